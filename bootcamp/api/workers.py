"""Worker links: a platform's own ids for trainees, made by POST /api/v1/workers.

Registering is idempotent on (client, external_id): the same id always names the same trainee.
Two identical requests at once must still make one account and one link, so on PostgreSQL the
registration first takes transaction-scoped advisory locks on the external id and on the email
(always in that order, so two registrations cannot deadlock); SQLite serialises writers anyway.
An Idempotency-Key reserves its row first, so a retried request waits for the first one and
replays its answer. Services flush, the view commits.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects import postgresql, sqlite

from bootcamp.api.models import ApiClient, IdempotentRequest, WorkerLink
from bootcamp.audit import record_audit
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import Role, User
from bootcamp.users.services import create_user, find_user, normalise_email
from courses.models import Course, CourseStatus, Enrollment, EnrollmentSource
from courses.services.enrolment import enrol

CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class WorkerError(ValueError):
    """A registration that cannot be made; `status` is the HTTP status that says so."""

    def __init__(self, status: int, title: str, message: str):
        super().__init__(message)
        self.status, self.title = status, title


@dataclass(frozen=True)
class Registered:
    user: User
    link: WorkerLink
    created: bool  # a new link (201), or the one this external id already had (200)
    courses: list[str]  # slugs the worker is enrolled in, by slug


def _insert():
    return postgresql.insert if db.session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert


def linked_user_id(client_id: int, external_id: str) -> int | None:
    """The trainee a client's id names: one indexed query."""
    if not 0 < len(external_id) <= 128 or CONTROL.search(external_id):
        return None  # no such id can be linked (and PostgreSQL refuses NUL in a query)
    return db.session.scalar(select(WorkerLink.user_id).where(
        WorkerLink.client_id == client_id, WorkerLink.external_id == external_id))


def links_of(client_id: int, external_ids: Iterable[str]) -> dict[str, int]:
    """external id -> user id for those of the ids the client has linked: one query."""
    ids = list(set(external_ids))
    if not ids:
        return {}
    return dict(db.session.execute(select(WorkerLink.external_id, WorkerLink.user_id).where(
        WorkerLink.client_id == client_id, WorkerLink.external_id.in_(ids))).all())


def external_ids_of(client_id: int, user_ids: Iterable[int]) -> dict[int, str]:
    """user id -> the client's external id, for the users it has linked: one query."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    return {user_id: external_id for external_id, user_id in db.session.execute(
        select(WorkerLink.external_id, WorkerLink.user_id).where(
            WorkerLink.client_id == client_id, WorkerLink.user_id.in_(ids))).all()}


def _serialise(*names: str) -> None:
    """Hold PostgreSQL advisory locks named by `names` until the transaction ends."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for name in names:
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _courses_to_enrol(slugs: list[str]) -> list[Course]:
    wanted = list(dict.fromkeys(slugs))
    if not wanted:
        return []
    found = {course.slug: course for course in db.session.scalars(
        select(Course).where(Course.slug.in_(wanted), Course.status == CourseStatus.OPEN))}
    missing = [slug for slug in wanted if slug not in found]
    if missing:
        raise WorkerError(404, "Unknown course",
                          f"courses: no open course {', '.join(map(repr, missing))}.")
    return [found[slug] for slug in wanted]


def _account(email: str, name: str) -> User:
    """The trainee with this email, made with a random password nobody knows if none exists."""
    user = find_user(email)
    if user is None:
        user = create_user(email, secrets.token_urlsafe(32), name, Role.TRAINEE)
    if user.role != Role.TRAINEE:
        raise WorkerError(403, "Not a trainee",
                          "This email belongs to a staff account: platforms may link "
                          "trainees only.")
    return user


def _link(client: ApiClient, external_id: str, user: User) -> WorkerLink:
    existing = db.session.scalar(select(WorkerLink).where(
        WorkerLink.client_id == client.id, WorkerLink.user_id == user.id))
    if existing is not None:
        raise WorkerError(409, "Already linked",
                          f"This email's trainee is already your worker "
                          f"{existing.external_id!r}.")
    link = WorkerLink(client_id=client.id, external_id=external_id, user_id=user.id,
                      created_at=utcnow())
    db.session.add(link)
    db.session.flush()
    record_audit("worker_linked", actor_id=None, target=f"user:{user.id}",
                 data={"client": client.name, "external_id": external_id})
    return link


def register(client: ApiClient, external_id: str, email: str, name: str,
             course_slugs: list[str]) -> Registered:
    """Create or link the worker and enrol them; the same external id returns its worker."""
    courses = _courses_to_enrol(course_slugs)
    _serialise(f"worker-link:{client.id}:{external_id}", f"account:{normalise_email(email)}")
    link = db.session.scalar(select(WorkerLink).where(
        WorkerLink.client_id == client.id, WorkerLink.external_id == external_id))
    created = link is None
    if link is None:
        user = _account(email, name)
        link = _link(client, external_id, user)
    else:
        user = db.session.get(User, link.user_id)
        if user.role != Role.TRAINEE:
            raise WorkerError(403, "Not a trainee", "This worker's account is now a staff "
                              "account: platforms may act for trainees only.")
    for course in courses:
        enrol(user, course, EnrollmentSource.EMAIL_LIST)
    enrolled = db.session.scalars(
        select(Course.slug).join(Enrollment, Enrollment.course_id == Course.id)
        .where(Enrollment.user_id == user.id).order_by(Enrollment.created_at, Course.slug))
    return Registered(user, link, created, list(enrolled))


# Idempotency-Key: the stored answer of a request, replayed for the same key.

# How long a key's answer is replayed, at least: long enough for any client's retries. Older
# keys are forgotten by prune_idempotent_requests (the webhook worker runs it every hour).
IDEMPOTENCY_WINDOW = timedelta(hours=24)


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def reserve_key(client_id: int, key: str, digest: str) -> IdempotentRequest | None:
    """Claim the key for this request: None when it is ours now (the caller answers and then
    calls store_answer), else the earlier request's row. On PostgreSQL a concurrent request
    with the same key waits here until the first one commits, then gets its answer."""
    inserted = db.session.scalar(
        _insert()(IdempotentRequest)
        .values(client_id=client_id, key=key, request_hash=digest, status=0, body={},
                created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["client_id", "key"])
        .returning(IdempotentRequest.id))
    if inserted is not None:
        return None
    return db.session.scalar(select(IdempotentRequest).where(
        IdempotentRequest.client_id == client_id, IdempotentRequest.key == key)
        .execution_options(populate_existing=True))


def store_answer(client_id: int, key: str, status: int, body: dict[str, Any]) -> None:
    stored = db.session.scalar(select(IdempotentRequest).where(
        IdempotentRequest.client_id == client_id, IdempotentRequest.key == key))
    stored.status, stored.body = status, body


def prune_idempotent_requests(now: datetime) -> int:
    """Forget the keys older than IDEMPOTENCY_WINDOW (the same key after that is a new
    request); returns how many. The caller commits."""
    return db.session.execute(delete(IdempotentRequest).where(
        IdempotentRequest.created_at < now - IDEMPOTENCY_WINDOW)).rowcount
