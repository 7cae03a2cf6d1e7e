"""API views, one module per resource; importing this package registers their routes."""

from bootcamp.api.views import (  # noqa: F401
    courses,
    events,
    qualifications,
    reference,
    webhooks,
    workers,
)
