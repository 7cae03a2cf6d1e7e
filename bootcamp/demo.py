"""Demo data for `bootcamp demo`: a migrated database, one account per role, example courses,
two cohorts of the clothing course with five weeks of history (bootcamp.demo_cohorts), three
trainees who took the clothing-tagging exam (qualified, needs refresh, failed), and a demo
platform whose token and worker ids let anyone try the API at once."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask_migrate import upgrade

from bootcamp.config import resource_dir
from bootcamp.demo_cohorts import SEED, refresh_dropout, seed_cohorts, take_exam, wrong_answer
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from bootcamp.users.passwords import hash_password
from bootcamp.users.services import create_user, find_user
from bootcamp.users.sessions import end_all_sessions

DEMO_ACCOUNTS = [
    ("trainee@example.com", "Tara Trainee", Role.TRAINEE),
    ("instructor@example.com", "Ivan Instructor", Role.INSTRUCTOR),
    ("admin@example.com", "Ada Admin", Role.ADMIN),
]
# A second instructor, on the staff of no course: they see the courses only as trainees do.
OUTSIDER = ("outsider@example.com", "Olive Outsider")
OUTSIDER_NOTE = "an instructor on the staff of no course"
EXAM_COURSE = "clothing-tagging"
# Trainees who took the exam of EXAM_COURSE, each ending in the status named.
EXAM_TRAINEES = [
    ("qualified@example.com", "Quinn Qualified", "qualified"),
    ("refresh@example.com", "Rhea Refresh", "needs_refresh"),
    ("failed@example.com", "Fred Failed", "failed"),
]
# The demo platform's own ids for the demo trainees (its token is new on every run).
DEMO_PLATFORM = "Demo platform"
DEMO_WORKERS = [
    ("worker-1", "trainee@example.com"),
    ("worker-2", "qualified@example.com"),
    ("worker-3", "refresh@example.com"),
    ("worker-4", "failed@example.com"),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str
    status: str = ""  # for the exam trainees: their qualification in EXAM_COURSE
    note: str = ""  # shown after the password


def seed_demo() -> list[DemoAccount]:
    """Bring the database to the newest schema, load the examples, (re)set the accounts."""
    upgrade()
    accounts = []
    users = {}
    for email, name, role in DEMO_ACCOUNTS:
        user, password = _account(email, name, role)
        users[role] = user
        accounts.append(DemoAccount(email, password, role.value))
    _own_examples(users[Role.INSTRUCTOR], load_examples(only_new=True))
    outsider, password = _account(*OUTSIDER, Role.INSTRUCTOR)
    accounts.append(DemoAccount(outsider.email, password, Role.INSTRUCTOR.value,
                                note=OUTSIDER_NOTE))
    _trainee_history(users[Role.TRAINEE])
    db.session.commit()
    # Before the exam trainees: the cohorts' wrong gold predates every attempt.
    seed_cohorts(users[Role.INSTRUCTOR])
    db.session.commit()
    accounts += _exam_trainees()
    refresh_dropout()
    db.session.commit()
    return accounts


@dataclass(frozen=True)
class DemoPlatform:
    name: str
    token: str  # raw, printed once
    workers: list[tuple[str, str]]  # (external id, email) linked


def seed_demo_platform() -> DemoPlatform:
    """The demo API client with one live token of every scope (earlier demo tokens are
    revoked, as demo passwords are replaced), linked to the demo trainees."""
    from sqlalchemy import select

    from bootcamp.api.models import SCOPES, ApiToken
    from bootcamp.api.tokens import client_named, create_client, issue_token, revoke_token
    from bootcamp.api.workers import register

    client = client_named(DEMO_PLATFORM) or create_client(DEMO_PLATFORM, actor_id=None)
    for old in db.session.scalars(select(ApiToken).where(ApiToken.client_id == client.id,
                                                         ApiToken.revoked_at.is_(None))):
        revoke_token(old, actor_id=None)
    _, raw = issue_token(client, SCOPES, actor_id=None, name="demo")
    linked = []
    for external_id, email in DEMO_WORKERS:
        user = find_user(email)
        if user is not None:  # as a platform links its workers (POST /api/v1/workers)
            register(client, external_id, email, user.name, [])
            linked.append((external_id, email))
    db.session.commit()
    return DemoPlatform(client.name, raw, linked)


def demo_password() -> str:
    """A new random password (72 random bits: zxcvbn rates it unguessable)."""
    return "demo-" + secrets.token_urlsafe(9)


def _account(email: str, name: str, role: Role) -> tuple[User, str]:
    """The demo account, created or with a new password and session; (user, password)."""
    password = demo_password()
    user = find_user(email)
    if user is None:
        user = create_user(email, password, name, role)
    else:
        user.password_hash = hash_password(password)
        end_all_sessions(user)
        user.role = role
    return user, password


def load_examples(*, only_new: bool = False) -> list:
    """Import every bundle under examples/ (new versions are appended); returns the example
    courses. With `only_new` a bundle whose course exists and that brings no new manual
    version is left alone, so that a demo restart keeps what was done to the course since
    (the demo's wrong gold, an instructor's edits in the browser)."""
    from courses.services import catalog
    from courses.services.bundles import import_bundle

    courses = []
    for folder in sorted(resource_dir("examples").iterdir()):
        if not (folder / "course.yaml").is_file():
            continue
        course = catalog.find_course(_slug(folder)) if only_new else None
        if course is None or _new_versions(folder, course):
            course = import_bundle(folder, actor=None).course
        courses.append(course)
    return courses


def _slug(folder: Path) -> str:
    import yaml

    return str(yaml.safe_load((folder / "course.yaml").read_text(encoding="utf-8"))["slug"])


def _new_versions(folder: Path, course) -> bool:
    """Whether the bundle has more manual versions than the course has published."""
    from courses.services import manuals

    return len(list((folder / "manual").glob("*.md"))) > len(manuals.published_versions(course))


def _own_examples(instructor: User, courses: list) -> None:
    """The demo instructor owns every example course (the command line imported them)."""
    from courses.models import StaffRole
    from courses.services import staff

    db.session.flush()
    for course in courses:
        if staff.role_of(course.id, instructor.id) is None:
            staff.appoint(course, instructor, StaffRole.OWNER, actor=None)


def _trainee_history(trainee: User) -> None:
    """The demo trainee read version 2 of the clothing manual, so "what changed" has content."""
    from courses.models import EnrollmentSource
    from courses.services import catalog, enrolment, manuals

    course = catalog.find_course("clothing-tagging")
    if course is None or enrolment.enrollment_of(trainee.id, course.id) is not None:
        return
    enrolment.enrol(trainee, course, EnrollmentSource.SELF)
    version = manuals.version_by_number(course, 2)
    if version is not None:
        manuals.record_opened(trainee, course, version)


def _exam_trainees() -> list[DemoAccount]:
    """Three trainees who took the EXAM_COURSE exam through the real services (once: a second
    run only gives them new passwords), each committed on its own."""
    from courses.models import EnrollmentSource
    from courses.services import catalog, enrolment
    from exams.services import qualifications

    course = catalog.find_course(EXAM_COURSE)
    if course is None:
        return []
    accounts = []
    history = {"qualified": _qualify, "needs_refresh": _qualify_then_refresh,
               "failed": _fail_every_attempt}
    for email, name, status in EXAM_TRAINEES:
        user, password = _account(email, name, Role.TRAINEE)
        db.session.flush()
        if qualifications.qualification_of(user.id, course.id) is None:
            enrolment.enrol(user, course, EnrollmentSource.SELF)
            # Their own seeded draws: the demo's item statistics come out alike on every run.
            history[status](user, course, random.Random(f"{SEED}:{email}"))  # noqa: S311
        db.session.commit()
        accounts.append(DemoAccount(email, password, Role.TRAINEE.value,
                                    str(qualifications.status_of(user.id, course.id))))
    return accounts


def _take(attempt, rng: random.Random, *, right: Callable[[Any, int], bool],
          at: datetime | None = None):
    """Take the attempt to its end (block by block if sequential): the gold to the item at
    position n where right(item, n), else a wrong answer; every answer and hand-in at `at`
    (the start when not given)."""
    answered = attempt.started_at
    return take_exam(attempt, lambda item, position: (
        item.gold if right(item, position) else wrong_answer(item.kind, item.spec, item.gold)),
        answered_at=lambda: answered, handed_in_at=lambda: at or answered, rng=rng)


def _qualify(user: User, course, rng: random.Random, pin_version=None) -> None:
    from exams.services import attempts

    attempt = attempts.start(user, course, rng=rng)
    if pin_version is not None:
        attempt.manual_version_id = pin_version.id
    _take(attempt, rng, right=lambda item, position: True)


def _qualify_then_refresh(user: User, course, rng: random.Random) -> None:
    """Qualified under the version before the latest; the latest's material change then asks
    for a refresh exam (as publishing it would have)."""
    from courses.services import manuals
    from exams.services import qualifications

    latest = manuals.latest_version(course)
    earlier = manuals.version_by_number(course, latest.number - 1) if latest else None
    if earlier is None or not latest.material_sections:
        return _qualify(user, course, rng)
    _qualify(user, course, rng, pin_version=earlier)
    qualifications.require_refresh(course, latest)


def _fail_every_attempt(user: User, course, rng: random.Random) -> None:
    """Every attempt half wrong, days apart so that the retry delay has passed; the critical
    items right, so that the test fails on the evidence, not at a first critical miss."""
    from bootcamp.types import utcnow
    from exams.services import attempts, qualifications
    from exams.services.settings import settings_for

    rules = settings_for(course)
    allowed, delay = rules.attempts_allowed or 1, timedelta(seconds=rules.retry_delay_seconds)
    started = utcnow() - (delay + timedelta(hours=1)) * allowed
    for _ in range(allowed):
        attempt = _take(attempts.start(user, course, now=started, rng=rng), rng,
                        right=lambda item, position: item.critical or position % 2 == 0,
                        at=started + timedelta(minutes=10))
        started += delay + timedelta(hours=1)
        if qualifications.status_of(user.id, course.id) == qualifications.Status.FAILED:
            break
    _dispute_first_miss(user, attempt)


def _dispute_first_miss(user: User, attempt) -> None:
    """An open dispute, so that the instructors' queue has something to resolve."""
    from courses.models import Item
    from exams.services import disputes

    missed = next((r for r in attempt.responses if not r.correct), None)
    if missed is not None:
        disputes.open_dispute(user, db.session.get(Item, missed.item_id), missed.answer,
                              "The manual does not say this clearly; I think my answer fits.",
                              response=missed)
