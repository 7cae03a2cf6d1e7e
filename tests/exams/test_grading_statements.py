"""Grading an attempt costs a fixed number of SQL statements, however many items it has: one
query for the responses with their items, the results written in one executemany."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course, CourseStatus
from courses.services import catalog, items, manuals
from exams.services import attempts, settings

MANUAL = "# Grading {#grading}\n\nRead everything."
OPTIONS = ["shirt", "shoe", "towel", "hat"]


def make_course(slug: str, count: int, author: User) -> int:
    """A published course whose exam draws all of its `count` choice items."""
    course = catalog.create_course(catalog.CourseFields(slug=slug, title=slug,
                                                        status=CourseStatus.OPEN), author)
    manuals.save_draft(course, MANUAL, author)
    manuals.publish_draft(course, "", [], author)
    natives = [{"id": f"q{n:02d}", "kind": "choice", "prompt": f"Question {n}", "media": None,
                "spec": {"options": OPTIONS}, "gold": "shirt", "explanation": "",
                "critical": False, "sections": ["grading"], "pools": ["exam"]}
               for n in range(count)]
    items.upsert_items(course, natives, author, "test")
    settings.save_settings(course, settings.ExamRules(
        item_count=count, quotas={}, shuffle=False, pass_mark=0.8, critical_rule=True,
        time_limit_seconds=None, attempts_allowed=None, retry_delay_seconds=0,
        validity_days=None), author)
    db.session.commit()
    return course.id


def grading_statements(app: Flask, count: int, make_user) -> list[tuple[str, bool]]:
    """(SQL, executemany) of every statement that submitting an answered `count`-item attempt
    sends, from a fresh session as a request would have it."""
    author, trainee = make_user(Role.INSTRUCTOR), make_user(Role.TRAINEE)
    seen: list[tuple[str, bool]] = []
    with app.app_context():
        author, trainee = db.session.merge(author), db.session.merge(trainee)
        course_id = make_course(f"grading-{count}", count, author)
        attempt = attempts.start(trainee, db.session.get(Course, course_id))
        for response in attempt.responses:
            attempts.save_answer(attempt, response.position, "shoe", 1)
        db.session.commit()
        db.session.expire_all()

        def listener(conn, cursor, statement, params, context, executemany) -> None:
            seen.append((statement, executemany))

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            graded = attempts.submit(attempt)
            db.session.flush()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert graded.score == 0.0 and len(graded.responses) == count
    return seen


def test_grading_sends_as_many_statements_for_50_items_as_for_5(app, make_user):
    few = grading_statements(app, 5, make_user)
    many = grading_statements(app, 50, make_user)
    assert [sql for sql, _ in many] == [sql for sql, _ in few]


def test_the_responses_are_read_once_and_written_in_one_executemany(app, make_user):
    seen = grading_statements(app, 50, make_user)
    reads = [sql for sql, _ in seen if sql.lstrip().startswith("SELECT") and "responses" in sql]
    assert len(reads) == 1 and "JOIN items" in reads[0]
    writes = [(sql, many) for sql, many in seen if sql.startswith("UPDATE responses")]
    assert len(writes) == 1 and writes[0][1]
