"""API views, one module per resource; importing this package registers their routes."""

from bootcamp.api.views import courses, events, qualifications, webhooks, workers  # noqa: F401
