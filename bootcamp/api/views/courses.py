"""API: courses."""

from bootcamp.api import bp  # noqa: F401
