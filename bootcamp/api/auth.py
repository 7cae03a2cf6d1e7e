"""Bearer authentication, scopes and per-token rate limits for /api/v1/.

`require_scope(scope)` wraps an API view: no token, an unknown or a revoked one -> 401 with
`WWW-Authenticate: Bearer`; a token without the scope -> 403; over the token's rate limit ->
429 with `Retry-After`. The limit is counted in the app's limiter storage (Redis when
REDIS_URL is set, else per process), keyed by token, so one noisy integration cannot slow
another. Use is counted in memory and written to the token row at most once a minute per
process, so a lookup does not pay for a write.

A token that authenticated is remembered per process (and app) for API_TOKEN_CACHE_SECONDS
(the app's config, which config.py takes from the environment's
BOOTCAMP_API_TOKEN_CACHE_SECONDS, else TOKEN_CACHE_SECONDS: 5 s; 0 turns the cache off) with
its client, so a burst of lookups costs no query for either. Revoking a token through the ORM
(revoke_token, the admin pages, `bootcamp tokens revoke`) forgets it at once in the process that
revoked it; every other process (another gunicorn worker, another host) refuses it within
API_TOKEN_CACHE_SECONDS.
Unknown and revoked tokens are never remembered: each of them costs its query.

The rate limit is counted in leases: a process that needs a call reserves a share of the
token's limit from the shared counter at once (1/LEASE_SHARE of it, at most LEASE_MAX calls:
60 of the default 6,000 a minute) and spends it locally, so it asks Redis once every that many
calls instead of on each. A lease never holds more than what is left of the limit, so a token
is never let through more than its limit within a window; what a lease still holds after
LEASE_SECONDS is dropped, so another process may refuse a token at most that many calls early,
and at the turn of a window a process may let through at most that many calls of a lease
taken in the window before. Limits under 2 * LEASE_SHARE a window are counted call by call,
exactly, as are strategies other than the fixed window.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

from flask import Flask, current_app, g, has_app_context, request
from limits import RateLimitItem, parse
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import event, inspect, update
from sqlalchemy.orm import make_transient_to_detached

from bootcamp.api.models import ApiClient, ApiToken
from bootcamp.api.tokens import hash_token, token_by_raw
from bootcamp.errors import problem
from bootcamp.extensions import db, limiter
from bootcamp.types import utcnow

USAGE_FLUSH_SECONDS = 60.0
TOKEN_CACHE_SECONDS = 5.0  # how long another process may still accept a revoked token
TOKEN_CACHE_SIZE = 10_000  # tokens remembered per process and app, at most
LEASE_SHARE = 100  # a lease reserves 1/LEASE_SHARE of a token's limit...
LEASE_MAX = 100  # ...and at most this many calls
LEASE_SECONDS = 1.0  # what a lease still holds after this long is given up

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


@dataclass(frozen=True)
class _Remembered:
    """A token that authenticated and its client, detached copies, until `until`."""

    token: ApiToken
    client: ApiClient | None
    until: float


def _clock() -> float:
    return time.monotonic()


def _detached_copy(instance: Any) -> Any:
    """A detached copy of a loaded row (its column values only), safe to keep across
    sessions and threads: it is only ever merged into a session, never attached itself."""
    mapper = inspect(instance).mapper
    values = {}
    for column in mapper.column_attrs:
        value = getattr(instance, column.key)
        values[column.key] = list(value) if isinstance(value, list) else value
    copy = mapper.class_(**values)
    make_transient_to_detached(copy)
    return copy


def _token_cache(app: Flask) -> dict[str, _Remembered]:
    return app.extensions.setdefault("api_token_cache", {})


def _cache_seconds() -> float:
    """The app's API_TOKEN_CACHE_SECONDS (config.py reads the environment's, once)."""
    seconds = current_app.config.get("API_TOKEN_CACHE_SECONDS")
    return TOKEN_CACHE_SECONDS if seconds is None else float(seconds)


def forget_token(token_hash: str) -> None:
    """Drop a token from this process's cache (the current app's), if it is there."""
    if has_app_context():
        _token_cache(current_app._get_current_object()).pop(token_hash, None)


@event.listens_for(ApiToken, "after_update")
@event.listens_for(ApiToken, "after_delete")
def _forget_changed_token(mapper, connection, target: ApiToken) -> None:
    """A token changed through the ORM (revoked, say) is read afresh by the next request."""
    forget_token(target.token_hash)


def _authenticated(raw: str) -> tuple[ApiToken | None, ApiClient | None]:
    """The token a bearer value names and its client, from this process's cache while it is
    fresh, else from the database (and then remembered if it is valid)."""
    seconds = _cache_seconds()
    if seconds <= 0:
        token = token_by_raw(raw)
        return token, None if token is None else db.session.get(ApiClient, token.client_id)
    cache = _token_cache(current_app._get_current_object())
    key = hash_token(raw)
    now = _clock()
    remembered = cache.get(key)
    if remembered is not None and remembered.until > now:
        # The copies themselves, to be read only: current_client() merges the client into
        # the request's session when a view needs it there.
        return remembered.token, remembered.client
    token = token_by_raw(raw)
    if token is None:
        cache.pop(key, None)
        return None, None
    client = db.session.get(ApiClient, token.client_id)
    if token.revoked_at is None:
        if len(cache) >= TOKEN_CACHE_SIZE:
            cache.clear()
        cache[key] = _Remembered(_detached_copy(token),
                                 None if client is None else _detached_copy(client),
                                 now + seconds)
    else:
        cache.pop(key, None)
    return token, client


@lru_cache(maxsize=16)
def _limit(text: str) -> RateLimitItem:
    return parse(text)


@dataclass
class _Lease:
    """Calls this process reserved from a token's shared count and has not made yet."""

    left: int
    until: float


_lease_lock = threading.Lock()


def _lease_size(item: RateLimitItem) -> int:
    return max(1, min(LEASE_MAX, item.amount // LEASE_SHARE))


def _take_call(item: RateLimitItem, token_id: int) -> bool:
    """Whether the token may make one more call now; counts it (see the module's notes)."""
    strategy = limiter.limiter
    size = _lease_size(item)
    if size == 1 or not isinstance(strategy, FixedWindowRateLimiter):
        return strategy.hit(item, "api-token", str(token_id))
    key = item.key_for("api-token", str(token_id))
    leases: dict[str, _Lease] = current_app.extensions.setdefault("api_rate_leases", {})
    now = _clock()
    with _lease_lock:
        lease = leases.get(key)
        if lease is not None and lease.left > 0 and lease.until > now:
            lease.left -= 1
            return True
    counted = strategy.storage.incr(key, item.get_expiry(), amount=size)
    granted = min(size, item.amount - (counted - size))  # what of it fits under the limit
    if granted <= 0:
        return False
    with _lease_lock:
        leases[key] = _Lease(granted - 1, now + LEASE_SECONDS)
    return True


def _rate_limited(token: ApiToken):
    """The 429 answer when the token is over its limit, else None (and the call is counted)."""
    item = _limit(current_app.config["API_LIMIT_PER_TOKEN"])
    strategy = limiter.limiter
    if _take_call(item, token.id):
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
    set (read-only copies when they came from the token cache: use current_client())."""
    raw = _bearer()
    if raw is None:
        return unauthorized("Send a token in an `Authorization: Bearer <token>` header.")
    token, client = _authenticated(raw)
    if token is None or token.revoked_at is not None:
        return unauthorized("This token is not valid: it is unknown or was revoked.")
    if scope not in token.scopes:
        return problem(403, "Missing scope",
                       f"This token does not have the {scope!r} scope.", scope=scope)
    refused = _rate_limited(token)
    if refused is not None:
        return refused
    g.api_token = token
    g.api_client = client
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
    """The token's client, in this request's session (merged there without a query when it
    came from the token cache)."""
    client = g.api_client
    if client is not None and inspect(client).detached:
        client = g.api_client = db.session.merge(client, load=False)
    return client


def current_client_id() -> int:
    """The token's client's id, for views that need no more of it (no merge)."""
    return g.api_client.id
