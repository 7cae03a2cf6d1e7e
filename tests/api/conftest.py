"""Fixtures for the platform API's tests: clients and tokens with chosen scopes, and a linked
worker whose qualifications stand in a few states. Records are written straight to the tables
the API reads (the exam engine has its own tests); everything else goes through services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from bootcamp.api.models import SCOPES, ApiClient, WorkerLink
from bootcamp.api.tokens import client_named, create_client, issue_token
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import Role, User
from courses.models import Course, Enrollment, EnrollmentSource, ManualVersion
from courses.services import enrolment
from exams.models import Attempt, AttemptKind, AttemptState, Qualification, QualificationStatus
from exams.rules import DEFAULTS
from tests.factories import MANUAL_V1, MANUAL_V2, make_course

CLIENT = "Acme Labelling"


@dataclass(frozen=True)
class Token:
    raw: str
    id: int
    client_id: int
    scopes: tuple[str, ...]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.raw}"}


@pytest.fixture
def make_token(app: Flask):
    """A new token of the client `client` (made if missing) with the given scopes."""

    def make(*scopes: str, client: str = CLIENT) -> Token:
        with app.app_context():
            owner = client_named(client) or create_client(client, None)
            token, raw = issue_token(owner, scopes or SCOPES, None)
            db.session.commit()
            return Token(raw, token.id, owner.id, tuple(token.scopes))

    return make


@pytest.fixture
def token(make_token) -> Token:
    """A token with every scope."""
    return make_token(*SCOPES)


def link_worker(app: Flask, user_id: int, external_id: str, client: str = CLIENT) -> None:
    with app.app_context():
        owner = db.session.scalar(select(ApiClient).where(ApiClient.name == client))
        db.session.add(WorkerLink(client_id=owner.id, external_id=external_id,
                                  user_id=user_id))
        db.session.commit()


def version_id(course_id: int, number: int) -> int:
    return db.session.scalar(select(ManualVersion.id).where(
        ManualVersion.course_id == course_id, ManualVersion.number == number))


def put_record(app: Flask, user_id: int, course_id: int, status: QualificationStatus, *,
               version: int | None = None, updated_at: datetime | None = None,
               **values) -> int:
    """A qualification record as the exam engine would have left it; returns its id."""
    with app.app_context():
        record = Qualification(
            user_id=user_id, course_id=course_id, status=status, cycle=1,
            manual_version_id=version_id(course_id, version) if version else None,
            refresh_sections=[], updated_at=updated_at or utcnow(), **values)
        db.session.add(record)
        db.session.commit()
        return record.id


def fail_attempt(app: Flask, user_id: int, course_id: int, submitted_at: datetime,
                 number: int = 1) -> None:
    """A graded, failed qualification attempt of cycle 1."""
    with app.app_context():
        db.session.add(Attempt(
            user_id=user_id, course_id=course_id, kind=AttemptKind.QUALIFICATION, cycle=1,
            number=number, manual_version_id=version_id(course_id, 1),
            state=AttemptState.GRADED, started_at=submitted_at - timedelta(minutes=10),
            submitted_at=submitted_at, pass_mark=0.8, critical_rule=False, score=0.5,
            passed=False, critical_missed=[]))
        db.session.commit()


def enrol(app: Flask, user_id: int, course_id: int) -> None:
    with app.app_context():
        enrolment.enrol(db.session.get(User, user_id), db.session.get(Course, course_id),
                        EnrollmentSource.SELF)
        db.session.commit()


@dataclass
class ApiWorld:
    """A trainee linked as "w-1", standing differently in four courses:

    - qualified: qualified under manual version 1 of 2, expires in 30 days;
    - refresh: needs a refresh, due in 7 days;
    - retry: in training after a failed attempt an hour ago (the retry delay runs for a day);
    - fresh: enrolled, nothing done yet (no record).
    """

    user_id: int
    instructor_id: int
    courses: dict[str, int] = field(default_factory=dict)
    failed_at: datetime | None = None


@pytest.fixture
def api_world(app: Flask, make_user, token: Token) -> ApiWorld:
    instructor = make_user(Role.INSTRUCTOR)
    trainee = make_user(Role.TRAINEE)
    world = ApiWorld(trainee.id, instructor.id)
    for slug in ("qualified", "refresh", "retry", "fresh"):
        world.courses[slug] = make_course(app, instructor, slug,
                                          versions=(MANUAL_V1, MANUAL_V2))
        enrol(app, trainee.id, world.courses[slug])
    now = utcnow()
    put_record(app, trainee.id, world.courses["qualified"], QualificationStatus.QUALIFIED,
               version=1, score=0.9, granted_at=now - timedelta(days=1),
               expires_at=now + timedelta(days=30))
    put_record(app, trainee.id, world.courses["refresh"], QualificationStatus.NEEDS_REFRESH,
               version=1, score=0.85, granted_at=now - timedelta(days=3),
               refresh_due_at=now + timedelta(days=7))
    put_record(app, trainee.id, world.courses["retry"], QualificationStatus.IN_TRAINING)
    world.failed_at = now - timedelta(hours=1)
    fail_attempt(app, trainee.id, world.courses["retry"], world.failed_at)
    link_worker(app, trainee.id, "w-1")
    assert DEFAULTS.retry_delay_seconds > 3600  # the retry above is still waiting
    return world


def enrolled_count(app: Flask, user_id: int) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Enrollment).where(
            Enrollment.user_id == user_id)).all())
