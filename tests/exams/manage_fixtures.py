"""A small course with an exam and a practice item, for the instructor pages' tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Flask

from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import Role, User
from courses.models import Course, Item
from courses.services import enrolment, items
from exams.models import Attempt
from exams.services import attempts, settings
from tests.factories import make_course, native

SLUG = "exam-manage"
MANUAL = """# Intro {#intro}

Welcome.

## Shoes {#shoes}

Shoes are clothing.

## Hats {#hats}

Hats are clothing.
"""

# Four exam items, every one needed to pass: one miss fails, and there is one attempt only.
RULES = settings.ExamRules(
    item_count=4, quotas={}, shuffle=False, pass_mark=1.0, critical_rule=True,
    time_limit_seconds=600, attempts_allowed=1, retry_delay_seconds=0, validity_days=30,
    refresh_item_count=2, refresh_grace_days=7)


@dataclass(frozen=True)
class Setup:
    course_id: int
    instructor: User
    trainee: User


def make_setup(app: Flask, make_user, *, rules: settings.ExamRules = RULES) -> Setup:
    instructor = make_user(Role.INSTRUCTOR)
    trainee = make_user()
    course_id = make_course(app, instructor, SLUG, versions=(MANUAL,))
    yes_no = {"options": ["yes", "no"]}
    natives = [native(f"shoe-{n}", "choice", yes_no, "yes", ["shoes"], pools=("exam",))
               for n in range(2)]
    natives += [native(f"hat-{n}", "choice", yes_no, "yes", ["hats"], pools=("exam",))
                for n in range(2)]
    natives.append(native("boots", "choice", yes_no, "yes", ["shoes"], pools=("practice",)))
    with app.app_context():
        course = db.session.get(Course, course_id)
        actor = db.session.get(User, instructor.id)
        items.upsert_items(course, natives, actor, "test")
        settings.save_settings(course, rules, actor)
        enrolment.enrol(db.session.get(User, trainee.id), course,
                        enrolment.EnrollmentSource.SELF)
        db.session.commit()
    return Setup(course_id, instructor, trainee)


def item_id(key: str) -> int:
    return db.session.query(Item.id).filter(Item.key == key).scalar()


def take_exam(setup: Setup, *, wrong: set[str] = frozenset()) -> int:
    """Start, answer (the gold, except the keys in `wrong`) and submit; the attempt's id."""
    now = utcnow()
    course = db.session.get(Course, setup.course_id)
    attempt = attempts.start(db.session.get(User, setup.trainee.id), course, now=now)
    for response in attempt.responses:
        item = db.session.get(Item, response.item_id)
        answer = "no" if item.key in wrong else item.gold
        attempts.save_answer(attempt, response.position, answer, 1, now=now)
    attempts.submit(attempt, now=now + timedelta(seconds=5))
    db.session.commit()
    return attempt.id


def response_of(attempt_id: int, key: str):
    attempt = db.session.get(Attempt, attempt_id)
    return next(r for r in attempt.responses if r.item_id == item_id(key))
