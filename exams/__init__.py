"""Exams, attempts, sampling, timing, qualifications and their lifecycle, and disputes."""
