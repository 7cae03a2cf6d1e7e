"""The platform API (/api/v1/): qualification lookups, worker links, the event feed, webhooks.

Machines call it with bearer tokens (bootcamp/api/auth.py); it answers JSON, and errors as RFC
9457 problem documents. The OpenAPI 3.1 description at /api/v1/openapi.json is generated from
the request and response models in bootcamp/api/schemas.py by spectree (bootcamp/api/spec.py).
This package is a top layer, like the views: it may call courses' and exams' services, and
nothing below imports it.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from bootcamp import outbox  # noqa: F401  (the tables, for migrations)
from bootcamp.api import models  # noqa: F401
from bootcamp.extensions import csrf

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # bearer tokens, never cookies: nothing for a forged form to ride on


def init_api(app: Flask) -> None:
    """Mount the API and its OpenAPI description."""
    from bootcamp.api import views  # noqa: F401  (registers the routes on bp)
    from bootcamp.api.spec import spec

    app.register_blueprint(bp, url_prefix="/api/v1")
    spec.register(app)
