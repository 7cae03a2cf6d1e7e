"""Scorers per item kind (pure functions) and progress, dropout and item statistics."""
