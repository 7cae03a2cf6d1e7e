"""Bearer authentication, scopes and per-token rate limits for /api/v1/.

`require_scope(scope)` wraps an API view: no token, an unknown or a revoked one -> 401 with
`WWW-Authenticate: Bearer`; a token without the scope -> 403; over the token's rate limit ->
429 with `Retry-After`. The limit is counted in the app's limiter storage (Redis when
REDIS_URL is set, else per process), keyed by token, so one noisy integration cannot slow
another. Use is counted in memory and written to the token row at most once a minute per
process, so a lookup does not pay for a write.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request
from limits import parse
from sqlalchemy import update

from bootcamp.api.models import ApiClient, ApiToken
from bootcamp.api.tokens import token_by_raw
from bootcamp.errors import problem
from bootcamp.extensions import db, limiter
from bootcamp.types import utcnow

USAGE_FLUSH_SECONDS = 60.0

_usage_lock = threading.Lock()
_pending_uses: dict[int, int] = {}
_last_flush: dict[int, float] = {}


def unauthorized(detail: str):
    response = problem(401, "Authentication required", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="bootcamp"'
    return response


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _rate_limited(token: ApiToken):
    """The 429 answer when the token is over its limit, else None (and the hit is counted)."""
    item = parse(current_app.config["API_LIMIT_PER_TOKEN"])
    strategy = limiter.limiter
    if strategy.hit(item, "api-token", str(token.id)):
        return None
    reset_at, _ = strategy.get_window_stats(item, "api-token", str(token.id))
    wait = max(1, math.ceil(reset_at - time.time()))
    response = problem(429, "Too many requests",
                       f"This token may make {item}; try again in {wait} s.")
    response.headers["Retry-After"] = str(wait)
    return response


def _count_use(token: ApiToken) -> None:
    """Add one use; write the pending uses and the time to the row at most once a minute."""
    now = time.monotonic()
    with _usage_lock:
        _pending_uses[token.id] = _pending_uses.get(token.id, 0) + 1
        if now - _last_flush.get(token.id, -math.inf) < USAGE_FLUSH_SECONDS:
            return
        uses = _pending_uses.pop(token.id)
        _last_flush[token.id] = now
    db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(
        last_used_at=utcnow(), use_count=ApiToken.use_count + uses))
    db.session.commit()


def authenticate(scope: str):
    """The answer that refuses this request, or None once g.api_token and g.api_client are
    set."""
    raw = _bearer()
    if raw is None:
        return unauthorized("Send a token in an `Authorization: Bearer <token>` header.")
    token = token_by_raw(raw)
    if token is None or token.revoked_at is not None:
        return unauthorized("This token is not valid: it is unknown or was revoked.")
    if scope not in token.scopes:
        return problem(403, "Missing scope",
                       f"This token does not have the {scope!r} scope.", scope=scope)
    refused = _rate_limited(token)
    if refused is not None:
        return refused
    g.api_token = token
    g.api_client = db.session.get(ApiClient, token.client_id)
    _count_use(token)
    return None


def require_scope(scope: str) -> Callable:
    """Decorate an API view: it runs only for a valid token that has `scope`."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            refused = authenticate(scope)
            return refused if refused is not None else view(*args, **kwargs)

        wrapper.required_scope = scope
        return wrapper

    return decorate


def current_client() -> ApiClient:
    return g.api_client
