"""The per-process token cache of bootcamp/api/auth.py: a burst of API calls costs no token
query, and a revoked token is refused at once where it was revoked, within the cache's
seconds everywhere else."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event, select, update

from bootcamp.api import auth
from bootcamp.api.auth import current_client, require_scope
from bootcamp.api.models import ApiToken
from bootcamp.api.tokens import create_client, issue_token, revoke_token
from bootcamp.extensions import db
from bootcamp.types import utcnow


class Clock:
    """The cache's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(auth, "_clock", fake)
    return fake


@pytest.fixture
def scoped(app: Flask) -> str:
    """Routes that need events:read (naming the client) and webhooks:manage; returns a raw
    token with events:read only."""

    @require_scope("events:read")
    def whoami():
        return {"client": current_client().name, "client_id": current_client().id}

    @require_scope("webhooks:manage")
    def manage():
        return {"ok": True}

    app.add_url_rule("/test-only/whoami", "test_only_whoami", whoami)
    app.add_url_rule("/test-only/manage", "test_only_manage", manage)
    with app.app_context():
        client = create_client("Cached platform", actor_id=None)
        _, raw = issue_token(client, ["events:read"], actor_id=None)
        db.session.commit()
    return raw


def call(app: Flask, raw: str):
    return app.test_client().get("/test-only/whoami",
                                 headers={"Authorization": f"Bearer {raw}"})


def token_queries(app: Flask) -> list[str]:
    """A list that fills with every statement that reads the api_tokens table."""
    seen: list[str] = []

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, parameters, context, executemany):
        if "FROM api_tokens" in statement:
            seen.append(statement)

    return seen


def test_a_burst_of_calls_reads_the_token_once(app, scoped, clock):
    seen = token_queries(app)
    answers = [call(app, scoped) for _ in range(5)]
    assert [answer.status_code for answer in answers] == [200] * 5
    assert {answer.json["client"] for answer in answers} == {"Cached platform"}
    assert len(seen) == 1
    clock.now += auth.TOKEN_CACHE_SECONDS + 0.1
    assert call(app, scoped).status_code == 200
    assert len(seen) == 2  # read afresh once the entry is older than the cache's seconds


def test_revoked_elsewhere_is_refused_within_the_cache_seconds(app, scoped, clock):
    """Another process (a second worker, the CLI on another host) revokes the token: this one
    accepts it until its entry is TOKEN_CACHE_SECONDS old, never longer."""
    assert call(app, scoped).status_code == 200
    with app.app_context():  # a plain UPDATE: no ORM event reaches this process's cache
        db.session.execute(update(ApiToken).values(revoked_at=utcnow()))
        db.session.commit()
    clock.now += auth.TOKEN_CACHE_SECONDS - 0.5
    assert call(app, scoped).status_code == 200
    clock.now += 0.6
    refused = call(app, scoped)
    assert refused.status_code == 401
    assert "revoked" in refused.json["detail"]
    assert call(app, scoped).status_code == 401  # a revoked token is never remembered


def test_revoked_in_this_process_is_refused_at_once(app, scoped, clock):
    assert call(app, scoped).status_code == 200
    with app.app_context():
        revoke_token(db.session.scalar(select(ApiToken)), actor_id=None)
        db.session.commit()
    assert call(app, scoped).status_code == 401


def test_the_cache_can_be_turned_off(app, scoped, clock):
    app.config["API_TOKEN_CACHE_SECONDS"] = 0
    seen = token_queries(app)
    assert [call(app, scoped).status_code for _ in range(3)] == [200] * 3
    assert len(seen) == 3
    with app.app_context():
        db.session.execute(update(ApiToken).values(revoked_at=utcnow()))
        db.session.commit()
    assert call(app, scoped).status_code == 401


def test_a_cached_token_still_counts_against_its_rate_limit(app, scoped, clock):
    app.config["API_LIMIT_PER_TOKEN"] = "3 per minute"
    statuses = [call(app, scoped).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_cached_token_still_needs_its_scope(app, scoped, clock):
    assert call(app, scoped).status_code == 200  # now cached
    refused = app.test_client().get("/test-only/manage",
                                    headers={"Authorization": f"Bearer {scoped}"})
    assert refused.status_code == 403


# The rate limit in leases: a share of the limit reserved at once, spent locally.


def limit_key(app: Flask, limit: str) -> str:
    from limits import parse

    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    return parse(limit).key_for("api-token", str(token_id))


def test_a_large_limit_is_counted_in_leases_and_never_exceeded(app, scoped, clock):
    from bootcamp.extensions import limiter

    app.config["API_LIMIT_PER_TOKEN"] = "200 per minute"  # leases of 2 calls
    storage = limiter.limiter.storage
    increments = []
    original = storage.incr

    def counting(key, expiry, amount=1):
        increments.append(amount)
        return original(key, expiry, amount=amount)

    storage.incr = counting
    try:
        statuses = [call(app, scoped).status_code for _ in range(201)]
    finally:
        del storage.incr
    assert statuses == [200] * 200 + [429]
    assert len(increments) == 101 and set(increments) == {2}  # one per two calls, then the 429


def test_a_lease_holds_no_more_than_what_is_left(app, scoped, clock):
    """Another process reserved most of the limit: this one lets through only what is left."""
    from bootcamp.extensions import limiter

    app.config["API_LIMIT_PER_TOKEN"] = "200 per minute"
    assert call(app, scoped).status_code == 200  # reserves 2, spends 1
    key = limit_key(app, "200 per minute")
    limiter.limiter.storage.incr(key, 60, amount=197)  # the other process: 199 reserved
    statuses = [call(app, scoped).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # the lease's last call, then the one call left
    assert limiter.limiter.storage.get(key) > 200


def test_a_lease_left_unspent_is_given_up(app, scoped, clock):
    from bootcamp.extensions import limiter

    app.config["API_LIMIT_PER_TOKEN"] = "200 per minute"
    key = limit_key(app, "200 per minute")
    assert call(app, scoped).status_code == 200
    assert limiter.limiter.storage.get(key) == 2
    assert call(app, scoped).status_code == 200  # from the lease: nothing asked
    assert limiter.limiter.storage.get(key) == 2
    assert call(app, scoped).status_code == 200
    clock.now += auth.LEASE_SECONDS + 0.1
    assert call(app, scoped).status_code == 200  # the old lease's last call is given up
    assert limiter.limiter.storage.get(key) == 6
