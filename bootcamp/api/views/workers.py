"""API: workers."""

from bootcamp.api import bp  # noqa: F401
