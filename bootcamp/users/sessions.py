"""Server-side log-in sessions: start, find, list and end them. No Flask request here.

The session cookie carries a random token; the database keeps only its SHA-256 (32 random
bytes need no slow hash), so a copy of the table cannot be used to log in. Ending a session
deletes its row, so a copied cookie stops working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, or_, select, update

from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import User, UserSession

MAX_TOKEN_LENGTH = 64  # token_urlsafe(32) is 43 characters; anything longer is not ours
MAX_SESSIONS_PER_USER = 20  # more log-ins end the least recently used sessions
LONGEST_TOUCH_INTERVAL = timedelta(minutes=5)

# Facts about the user that a package asks before every page (exams: is anything past its
# deadline?), asked in the one query that finds the session instead of a query of their own:
# name -> a column built from the user id column; it may use bindparam("now").
FactColumn = Callable[[ColumnElement[int]], ColumnElement[Any]]
_facts: dict[str, FactColumn] = {}


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: `idle` without a request, `lifetime` after log-in at most."""

    idle: timedelta
    lifetime: timedelta

    def expired(self, found: UserSession, now: datetime) -> bool:
        """True when `found` has been idle or alive too long."""
        return now - found.last_seen_at > self.idle or now - found.created_at > self.lifetime

    @property
    def touch_interval(self) -> timedelta:
        """How stale last_seen_at may get: a few minutes, and well inside the idle timeout."""
        return min(LONGEST_TOUCH_INTERVAL, self.idle / 6)


def hash_token(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, device: str, address: str, policy: SessionPolicy) -> str:
    """Record a new session for `user`; returns the token for the cookie (shown only here)."""
    _end_expired(user, policy)
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=hash_token(token),
                               device=device[:80], address=address[:45]))
    db.session.flush()
    _keep_newest(user)
    return token


def _end_expired(user: User, policy: SessionPolicy) -> None:
    """Forget the user's sessions that no longer work (and the addresses they recorded)."""
    now = utcnow()
    db.session.execute(delete(UserSession).where(
        UserSession.user_id == user.id,
        or_(UserSession.last_seen_at < now - policy.idle,
            UserSession.created_at < now - policy.lifetime)))


def _keep_newest(user: User) -> None:
    """Bound the rows one account can pile up (say, a script that logs in in a loop)."""
    stale = (select(UserSession.id).where(UserSession.user_id == user.id)
             .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
             .offset(MAX_SESSIONS_PER_USER))
    stale_ids = list(db.session.scalars(stale))
    if stale_ids:
        db.session.execute(delete(UserSession).where(UserSession.id.in_(stale_ids)))


def register_fact(name: str, column: FactColumn) -> None:
    """Have find_session_with_facts also ask `column` of the session's user, as `name`."""
    _facts[name] = column
    _session_query.cache_clear()


@cache
def _session_query() -> Select:
    """The session, its user and the registered facts by token hash, built once."""
    facts = [column(UserSession.user_id).label(name) for name, column in _facts.items()]
    return select(UserSession, *facts).where(UserSession.token_hash == bindparam("token_hash"))


def find_session_with_facts(token: str) -> tuple[UserSession, dict[str, Any]] | None:
    """The session (with its user) whose cookie carries `token`, and the registered facts
    about that user, in one query."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = db.session.execute(_session_query(),
                             {"token_hash": hash_token(token), "now": utcnow()}).first()
    if row is None:
        return None
    found, *facts = row
    return found, dict(zip(_facts, facts, strict=True))


def find_session(token: str) -> UserSession | None:
    """The session (with its user, in one query) whose cookie carries `token`."""
    found = find_session_with_facts(token)
    return None if found is None else found[0]


def active_sessions(user: User, policy: SessionPolicy) -> list[UserSession]:
    """The user's sessions that still work, most recently used first."""
    now = utcnow()
    rows = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    return [row for row in rows if not policy.expired(row, now)]


def end_session(session_id: int) -> None:
    """End one session (log-out)."""
    db.session.execute(delete(UserSession).where(UserSession.id == session_id))


def end_other_sessions(user: User, keep_id: int | None) -> int:
    """End every session of `user` but `keep_id`; returns how many ended."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_id is not None:
        stmt = stmt.where(UserSession.id != keep_id)
    return db.session.execute(stmt).rowcount


def end_all_sessions(user: User) -> int:
    """End every session of `user` (log out everywhere, a role change, a new demo password)."""
    return end_other_sessions(user, keep_id=None)


def record_activity(session_id: int, now: datetime) -> None:
    """Move last_seen_at forward, in a transaction of its own.

    The one bookkeeping write a GET may do: it runs before the view (see
    bootcamp.auth.sessions), on its own connection, so it never commits the view's work.
    """
    with db.engine.begin() as connection:
        connection.execute(update(UserSession).where(UserSession.id == session_id)
                           .values(last_seen_at=now))


def discard_session(session_id: int) -> None:
    """Delete an expired session, in a transaction of its own (see record_activity)."""
    with db.engine.begin() as connection:
        connection.execute(delete(UserSession).where(UserSession.id == session_id))
