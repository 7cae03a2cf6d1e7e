"""The kept practice summaries (courses.models.PracticeSummary) always equal the from-scratch
computation over practice_answers, whoever writes the answers and in whatever order: the
practice service, rows added with explicit (out of order) times, a regrade flipping answers,
deletions; the migrations' backfills compute the same rows; and what the service stores about
each answer's round gives the standing of the pure rule (courses.practice_modules.replay).
"""

from __future__ import annotations

import importlib.util
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, select, text

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course, Item, PracticeAnswer, PracticeSummary, summary_select
from courses.practice_modules import Standing, replay
from courses.services import practice
from tests.factories import _YES_NO, MANAGE_MANUAL, MANAGE_RULES, _exam_course, native

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
VERSIONS = Path(__file__).resolve().parents[2] / "migrations/versions"
MIGRATION = VERSIONS / "0014_practice_mastery_rounds.py"
HATS = ("cap", "beret", "bonnet")


def _course(app, make_user) -> int:
    """A course with three practice modules: "shoes" (boots), "hats" (cap, beret, bonnet)
    and "Other practice" (towel)."""
    natives = [native("boots", "choice", _YES_NO, "yes", ["shoes"]),
               native("towel", "choice", _YES_NO, "no", ["nowhere"]),
               *(native(key, "choice", _YES_NO, "yes", ["hats"]) for key in HATS)]
    return _exam_course(app, make_user(Role.INSTRUCTOR), "summaries", MANAGE_MANUAL, natives,
                        MANAGE_RULES)


def kept() -> set[tuple]:
    return {(row.user_id, row.course_id, row.module, row.answers, row.correct, row.rounds_done,
             row.round_items, row.round_correct, row.open_tried)
            for row in db.session.scalars(select(PracticeSummary))}


def from_scratch() -> set[tuple]:
    return {tuple(row) for row in db.session.execute(summary_select())}


def _answer(user_id: int, course_id: int, item: Item, correct: bool, moment: datetime,
            module: str, rng: random.Random | None = None) -> None:
    """A row written directly, with an arbitrary round when `rng` is given."""
    rounds = ({"round_number": rng.randint(1, 3), "counts": rng.random() < 0.6,
               "ends_round": rng.random() < 0.3} if rng else {})
    db.session.add(PracticeAnswer(
        user_id=user_id, course_id=course_id, item_id=item.id, item_revision=1, module=module,
        answer="x", points=float(correct), correct=correct, details={}, created_at=moment,
        **rounds))


def test_answers_through_the_service_keep_the_summary(app, make_user):
    """Twelve answers to the one item of "shoes" in a row: only the first counts (a wrong
    one), so the module is not mastered; a right one after another module's item masters it."""
    course_id = _course(app, make_user)
    trainee = make_user()
    with app.app_context():
        course = db.session.get(Course, course_id)
        user = db.session.get(User, trainee.id)
        boots = practice.practice_item(course, "boots")
        for n in range(12):
            practice.answer_item(user, course, boots, "yes" if n % 6 else "no")
        db.session.commit()
        assert kept() == from_scratch() == {(user.id, course_id, "shoes", 12, 10, 1, 1, 0, 0)}
        assert practice.mastered_count(user, course) == (0, 3)
        practice.answer_item(user, course, practice.practice_item(course, "towel"), "no")
        practice.answer_item(user, course, boots, "yes")
        db.session.commit()
        assert kept() == from_scratch()
        shoes = practice.standings(user, course, practice.modules(course))["shoes"]
        assert shoes == Standing(1, rounds_done=2, round_items=1, round_correct=1, open_tried=0)
        assert practice.mastered_count(user, course) == (2, 3)  # shoes, and towel's module


def test_the_pages_read_mastery_from_the_summaries_in_one_statement(app, make_user):
    """The course home and the training centre's "modules mastered", and the practice pages'
    standings: one statement each, whatever the number of answers (no answer is ranked)."""
    course_id = _course(app, make_user)
    trainee = make_user()
    found: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        found.append(statement)

    with app.app_context():
        course = db.session.get(Course, course_id)
        user = db.session.get(User, trainee.id)
        for n in range(30):
            key = HATS[n % 3]
            practice.answer_item(user, course, practice.practice_item(course, key), "yes")
        db.session.commit()
        modules = practice.modules(course)
        db.session.refresh(user)  # loaded again after the commit, before counting
        db.session.refresh(course)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert practice.mastered_count(user, course, modules) == (1, 3)
            assert practice.standings(user, course, modules)["hats"].mastered
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert len(found) == 2, found
    assert all("practice_answers" not in statement for statement in found)


def test_the_stored_rounds_give_the_pure_rules_standing(app, make_user):
    """Random answers through the service, across modules: each module's kept summary is what
    courses.practice_modules.replay says of the same answers."""
    course_id = _course(app, make_user)
    trainee = make_user()
    rng = random.Random(5)
    with app.app_context():
        course = db.session.get(Course, course_id)
        user = db.session.get(User, trainee.id)
        keys = [*HATS, "boots", "towel"]
        given: list[tuple[str, bool]] = []
        for n in range(60):
            key = rng.choice(keys)
            right = rng.random() < 0.8
            practice.answer_item(user, course, practice.practice_item(course, key),
                                 ("yes" if right else "no") if key != "towel"
                                 else ("no" if right else "yes"), now=T + timedelta(minutes=n))
            given.append((key, right))
        db.session.commit()
        assert kept() == from_scratch()
        found = practice.modules(course)
        assert practice.standings(user, course, found) == {
            module.id: replay(module.item_keys, given) for module in found}


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
                        T + timedelta(minutes=rng.randrange(300)), modules[key], rng)
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
        last = lone.counts and lone.ends_round
        assert [row for row in kept() if row[0] == trainees[0].id] == [
            (trainees[0].id, course_id, lone.module, 1, int(lone.correct),
             lone.round_number if lone.ends_round else 0, int(last),
             int(last and lone.correct), int(lone.counts and not lone.ends_round))]


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0014", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def test_the_migrations_backfill_computes_the_same_rows(app, make_user):
    course_id = _course(app, make_user)
    trainees = [make_user() for _ in range(2)]
    rng = random.Random(3)
    with app.app_context():
        boots = db.session.scalar(select(Item).where(Item.key == "boots"))
        for n in range(25):
            _answer(trainees[n % 2].id, course_id, boots, n % 3 > 0,
                    T + timedelta(minutes=(n * 7) % 25), "shoes", rng)
        db.session.commit()
        before = kept()
        db.session.execute(text("DELETE FROM practice_summaries"))
        db.session.execute(text(_migration().BACKFILL))
        assert kept() == before == from_scratch()
        db.session.rollback()


def _rounds() -> list[tuple]:
    return list(db.session.execute(text(
        "SELECT id, round_number, counts, ends_round FROM practice_answers ORDER BY id")))


def test_the_migration_replays_existing_answers_as_the_service_placed_them(
        empty_database_url):
    """Answers given before the migration get the rounds the service gives them now, and
    their summaries; down and up again gives the same rows."""
    from flask_migrate import downgrade, upgrade

    from bootcamp.users.services import create_user
    from tests.conftest import make_app

    app = make_app(empty_database_url)
    rng = random.Random(8)
    with app.app_context():
        upgrade()
        author = create_user("author@example.com", "a long passphrase", "", Role.INSTRUCTOR)
        user_id = create_user("trainee@example.com", "a long passphrase", "", Role.TRAINEE).id
        db.session.commit()
        db.session.refresh(author)
        db.session.expunge(author)
    course_id = _course(app, lambda role=None: author)
    with app.app_context():
        course = db.session.get(Course, course_id)
        user = db.session.get(User, user_id)
        for n in range(40):
            key = rng.choice([*HATS, "boots", "towel"])
            practice.answer_item(user, course, practice.practice_item(course, key),
                                 rng.choice(["yes", "no"]), now=T + timedelta(minutes=n))
        db.session.commit()
        placed, summaries = _rounds(), kept()
        assert any(counts for _, _, counts, _ in placed)
        assert any(not counts for _, _, counts, _ in placed)
        db.session.remove()
        downgrade(revision="0013")
        upgrade(revision="0014")
        assert _rounds() == placed
        assert kept() == summaries == from_scratch()
        db.session.remove()
        db.engine.dispose()
