"""The platform API (/api/v1/): qualification lookups, worker links, the event feed, webhooks.

Machines call it with bearer tokens (bootcamp/api/auth.py); it answers JSON, and errors as RFC
9457 problem documents. The OpenAPI 3.1 description at /api/v1/openapi.json is generated from
the request and response models in bootcamp/api/schemas.py by spectree (bootcamp/api/spec.py).
This package is a top layer, like the views: it may call courses' and exams' services, and
nothing below imports it.
"""

from __future__ import annotations

from flask import Blueprint, Flask, request

from bootcamp import outbox  # noqa: F401  (the tables, for migrations)
from bootcamp.api import models  # noqa: F401
from bootcamp.extensions import csrf, db, limiter

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # bearer tokens, never cookies: nothing for a forged form to ride on
# Each token has its own limit (auth.py); the limiter's per-route and app-wide limits are for
# pages: the API is exempt from them, and the filter spares its requests the limiter's work
# of finding that out.
limiter.exempt(bp)


@limiter.request_filter
def _api_request() -> bool:
    return request.blueprint == "api"


@bp.before_request
def reads_without_a_transaction() -> None:
    """GET and HEAD only read: their statements run in autocommit, which spares the BEGIN and
    ROLLBACK round trips of a transaction. Each statement still sees one consistent snapshot,
    and under READ COMMITTED a transaction gives a series of statements no more than that.
    When an earlier hook already opened the request's transaction (a browser session's
    bookkeeping), the request stays in it."""
    if request.method in ("GET", "HEAD") and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def init_api(app: Flask) -> None:
    """Mount the API and its OpenAPI description."""
    from bootcamp.api import views  # noqa: F401  (registers the routes on bp)
    from bootcamp.api.spec import spec

    app.register_blueprint(bp, url_prefix="/api/v1")
    spec.register(app)
