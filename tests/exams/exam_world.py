"""A small course with an exam, built through the services, for the exam service tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask

from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses.models import Course, Item
from courses.services import enrolment, items, manuals
from exams.models import Attempt
from exams.services import attempts, settings
from tests.factories import make_course, native

MANUAL = """# Intro {#intro}

Welcome.

## Shoes {#shoes}

Shoes are clothing.

## Hats {#hats}

Hats are clothing.

## Towels {#towels}

Towels are not clothing.
"""
MANUAL_V2 = MANUAL.replace("Hats are clothing.", "Hats are clothing, helmets are not.")

RULES = settings.ExamRules(
    item_count=4, quotas={}, shuffle=True, pass_mark=0.75, critical_rule=True,
    time_limit_seconds=600, attempts_allowed=2, retry_delay_seconds=3600, validity_days=30,
    refresh_item_count=2, refresh_grace_days=7)


def exam_natives() -> list[dict]:
    yes_no = {"options": ["yes", "no"]}
    natives = [
        native(f"shoe-{n}", "choice", yes_no, "yes", ["shoes"], pools=("exam",)) for n in range(3)
    ] + [
        native(f"hat-{n}", "choice", yes_no, "yes", ["hats"], pools=("exam",)) for n in range(3)
    ] + [
        native(f"towel-{n}", "choice", yes_no, "no", ["towels"], pools=("exam",))
        for n in range(2)
    ]
    natives[-1]["critical"] = True
    return natives


@dataclass(frozen=True)
class World:
    course_id: int
    instructor: User
    trainee: User

    def course(self) -> Course:
        return db.session.get(Course, self.course_id)

    def user(self, user: User) -> User:
        return db.session.get(User, user.id)


def make_world(app: Flask, make_user, rules: settings.ExamRules = RULES) -> World:
    from bootcamp.users.models import Role

    instructor = make_user(Role.INSTRUCTOR)
    trainee = make_user()
    course_id = make_course(app, instructor, "exam-course", versions=(MANUAL,))
    with app.app_context():
        course = db.session.get(Course, course_id)
        actor = db.session.get(User, instructor.id)
        items.upsert_items(course, exam_natives(), actor, "test")
        settings.save_settings(course, rules, actor)
        enrolment.enrol(db.session.get(User, trainee.id), course,
                        enrolment.EnrollmentSource.SELF)
        db.session.commit()
    return World(course_id, instructor, trainee)


def answer_all(attempt: Attempt, *, wrong: set[str] = frozenset(),
               now: datetime | None = None) -> None:
    """Answer every item: the gold, except for the item keys in `wrong`."""
    for response in attempt.responses:
        item = db.session.get(Item, response.item_id)
        given = item.gold if item.key not in wrong else ("no" if item.gold == "yes" else "yes")
        attempts.save_answer(attempt, response.position, given, 1, now=now)


def keys_of(attempt: Attempt) -> list[str]:
    return [db.session.get(Item, r.item_id).key for r in attempt.responses]


def take(world: World, user: User, *, wrong: set[str] = frozenset(),
         now: datetime | None = None) -> Attempt:
    """Start, answer and submit an attempt; returns it graded (committed)."""
    now = now or utcnow()
    attempt = attempts.start(world.user(user), world.course(), now=now)
    answer_all(attempt, wrong=wrong, now=now)
    attempts.submit(attempt, now=now)
    db.session.commit()
    return attempt


def publish(world: World, markdown: str, material: list[str]) -> None:
    course = world.course()
    actor = world.user(world.instructor)
    manuals.save_draft(course, markdown, actor)
    manuals.publish_draft(course, "Changed.", material, actor)
    db.session.commit()
