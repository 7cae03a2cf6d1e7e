"""The kept practice summaries (courses.models.PracticeSummary) always equal the from-scratch
computation over practice_answers, whoever writes the answers and in whatever order: the
practice service, rows added with explicit (out of order) times, a regrade flipping answers,
deletions; and the migration's backfill computes the same rows.
"""

from __future__ import annotations

import importlib.util
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course, Item, PracticeAnswer, PracticeSummary, summary_select
from courses.services import practice
from tests.factories import _YES_NO, MANAGE_MANUAL, MANAGE_RULES, _exam_course, native

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIGRATION = Path(__file__).resolve().parents[2] / "migrations/versions/0012_practice_summaries.py"


def _course(app, make_user) -> int:
    """A course with two practice modules: "shoes" (boots) and "Other practice" (towel)."""
    natives = [native("boots", "choice", _YES_NO, "yes", ["shoes"]),
               native("towel", "choice", _YES_NO, "no", ["nowhere"])]
    return _exam_course(app, make_user(Role.INSTRUCTOR), "summaries", MANAGE_MANUAL, natives,
                        MANAGE_RULES)


def kept() -> set[tuple]:
    return {(row.user_id, row.course_id, row.module, row.answers, row.correct, row.recent,
             row.recent_correct) for row in db.session.scalars(select(PracticeSummary))}


def from_scratch() -> set[tuple]:
    return {tuple(row) for row in db.session.execute(summary_select())}


def _answer(user_id: int, course_id: int, item: Item, correct: bool, moment: datetime,
            module: str) -> None:
    db.session.add(PracticeAnswer(
        user_id=user_id, course_id=course_id, item_id=item.id, item_revision=1, module=module,
        answer="x", points=float(correct), correct=correct, details={}, created_at=moment))


def test_answers_through_the_service_keep_the_summary(app, make_user):
    course_id = _course(app, make_user)
    trainee = make_user()
    with app.app_context():
        course = db.session.get(Course, course_id)
        user = db.session.get(User, trainee.id)
        boots = practice.practice_item(course, "boots")
        for n in range(12):
            practice.answer_item(user, course, boots, "yes" if n % 6 else "no")
        db.session.commit()
        assert kept() == from_scratch() == {(user.id, course_id, "shoes", 12, 10, 10, 9)}
        assert practice.recent_results(user, course)["shoes"].mastered


def test_out_of_order_rows_flips_and_deletions_keep_the_summary(app, make_user):
    course_id = _course(app, make_user)
    trainees = [make_user() for _ in range(3)]
    rng = random.Random(12)
    with app.app_context():
        items = {item.key: item for item in db.session.scalars(
            select(Item).where(Item.course_id == course_id))}
        modules = {"boots": "shoes", "towel": "_other"}
        for _ in range(6):  # six flushes, each adding answers at random earlier or later times
            for _ in range(15):
                key = rng.choice(list(modules))
                _answer(rng.choice(trainees).id, course_id, items[key], rng.random() < 0.7,
                        T + timedelta(minutes=rng.randrange(300)), modules[key])
            db.session.flush()
            assert kept() == from_scratch()
        answers = list(db.session.scalars(select(PracticeAnswer)))
        for answer in rng.sample(answers, 20):  # what a regrade does
            answer.correct = not answer.correct
        db.session.flush()
        assert kept() == from_scratch()
        lone = next(a for a in answers if a.user_id == trainees[0].id)
        for answer in answers:
            if answer.user_id == trainees[0].id and answer is not lone:
                db.session.delete(answer)
        db.session.commit()
        assert kept() == from_scratch()
        assert [row for row in kept() if row[0] == trainees[0].id] == [
            (trainees[0].id, course_id, lone.module, 1, int(lone.correct), 1, int(lone.correct))]


def test_equal_times_are_ordered_by_id_as_recent_results(app, make_user):
    """Twelve answers at one moment: the last ten by id count, as practice.recent_results."""
    course_id = _course(app, make_user)
    trainee = make_user()
    with app.app_context():
        boots = db.session.scalar(select(Item).where(Item.key == "boots"))
        for n in range(12):
            _answer(trainee.id, course_id, boots, n >= 2, T, "shoes")
        db.session.commit()
        course = db.session.get(Course, course_id)
        recent = practice.recent_results(db.session.get(User, trainee.id), course)["shoes"]
        assert kept() == {(trainee.id, course_id, "shoes", 12, 10, recent.recent,
                           recent.correct)} == {(trainee.id, course_id, "shoes", 12, 10, 10, 10)}


def test_the_migrations_backfill_computes_the_same_rows(app, make_user):
    course_id = _course(app, make_user)
    trainees = [make_user() for _ in range(2)]
    spec = importlib.util.spec_from_file_location("migration_0012", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with app.app_context():
        boots = db.session.scalar(select(Item).where(Item.key == "boots"))
        for n in range(25):
            _answer(trainees[n % 2].id, course_id, boots, n % 3 > 0,
                    T + timedelta(minutes=(n * 7) % 25), "shoes")
        db.session.commit()
        before = kept()
        db.session.execute(text("DELETE FROM practice_summaries"))
        db.session.execute(text(migration.BACKFILL))
        assert kept() == before == from_scratch()
        db.session.rollback()
