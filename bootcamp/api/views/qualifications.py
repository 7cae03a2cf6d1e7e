"""API: qualifications."""

from bootcamp.api import bp  # noqa: F401
