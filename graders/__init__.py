"""Scorers per item kind (pure functions) and progress, dropout and item statistics."""

from graders.errors import ScoringError
from graders.registry import KINDS, score, validate, validate_answer
from graders.result import Score

__all__ = ["KINDS", "Score", "ScoringError", "score", "validate", "validate_answer"]
