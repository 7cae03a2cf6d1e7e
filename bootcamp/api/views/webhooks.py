"""API: webhooks."""

from bootcamp.api import bp  # noqa: F401
