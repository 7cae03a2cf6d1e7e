"""API: events."""

from bootcamp.api import bp  # noqa: F401
