"""Items per decision of sequential exams on the staff dashboards (exams.services.
sequential_stats): per course and per cohort, in one query, and nothing for a course without
sequential attempts.

The history (decision items, passed or not):

| trainee | cohort | attempt |
|---|---|---|
| a1, a2, a3 | A | sequential: 6 passed, 5 failed, 10 passed |
| b1 | B | sequential: 15 failed |
| n1 | none | sequential: 20 passed |
| n2 | none | a fixed exam, graded (no decision items: not counted) |
| n3 | A | a sequential attempt still open (not counted) |

Whole course: 5 decisions, 56 items (11.2 each); 3 passed (36 items, 12.0), 2 failed (20
items, 10.0). Cohort A: 3 decisions, 7.0 each; 2 passed (8.0), 1 failed (5.0).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import event, select

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Cohort, Course, CourseStatus, Enrollment, EnrollmentSource, Item
from courses.services import catalog, items, manuals
from exams.blocks import Plan
from exams.models import Attempt, AttemptKind, AttemptState, Response
from exams.sequential import SequentialRules
from exams.services import sequential_stats
from tests.factories import signed_in

PLAN = Plan(SequentialRules(min_items=5, max_items=20), {}).snapshot()
HISTORY = (  # (cohort index or None, decision items or None, passed, state)
    (0, 6, True, AttemptState.GRADED), (0, 5, False, AttemptState.GRADED),
    (0, 10, True, AttemptState.GRADED), (1, 15, False, AttemptState.GRADED),
    (None, 20, True, AttemptState.GRADED), (None, None, True, AttemptState.GRADED),
    (0, None, None, AttemptState.OPEN),
)


@pytest.fixture
def instructor(make_user) -> User:
    return make_user(Role.INSTRUCTOR)


def make_course(app: Flask, instructor: User, slug: str, cohorts: tuple[str, ...]
                ) -> tuple[int, list[int]]:
    with app.app_context():
        actor = db.session.get(User, instructor.id)
        course = catalog.create_course(catalog.CourseFields(
            slug=slug, title=slug.title(), status=CourseStatus.OPEN), actor)
        manuals.save_draft(course, "# Shoes {#shoes}\n\nShoes are clothing.\n", actor)
        manuals.publish_draft(course, "", [], actor)
        items.upsert_items(course, [{
            "id": "boots", "kind": "choice", "prompt": "Boots?", "media": None,
            "spec": {"options": ["yes", "no"]}, "gold": "yes", "explanation": "",
            "sections": ["shoes"], "critical": False, "pools": ["exam"]}], actor, "t")
        made = [Cohort(course_id=course.id, name=name, starts_on=date(2026, 3, 2 + 14 * n))
                for n, name in enumerate(cohorts)]
        db.session.add_all(made)
        db.session.commit()
        return course.id, [cohort.id for cohort in made]


def add_history(app: Flask, make_user, course_id: int, cohorts: list[int], history=HISTORY
                ) -> None:
    users = [make_user() for _ in history]
    with app.app_context():
        version = manuals.latest_version(db.session.get(Course, course_id))
        item_id = db.session.scalar(select(Item.id).where(Item.course_id == course_id))
        for user, (cohort, used, passed, state) in zip(users, history, strict=True):
            db.session.add(Enrollment(user_id=user.id, course_id=course_id,
                                      cohort_id=None if cohort is None else cohorts[cohort],
                                      source=EnrollmentSource.SELF))
            db.session.add(Attempt(
                user_id=user.id, course_id=course_id, kind=AttemptKind.QUALIFICATION,
                cycle=1, number=1, manual_version_id=version.id, state=state, pass_mark=0.75,
                critical_rule=True, critical_missed=[], passed=passed,
                sequential=None if used is None and state is AttemptState.GRADED else PLAN,
                decision_items=used, decision_llr=None if used is None else 1.0,
                responses=[Response(position=1, item_id=item_id, answer_seq=1, answer="yes",
                                    points=1.0, correct=True)]))
        db.session.commit()


@pytest.fixture
def course(app, instructor, make_user) -> tuple[int, list[int]]:
    course_id, cohorts = make_course(app, instructor, "seqdash", ("Cohort A", "Cohort B"))
    add_history(app, make_user, course_id, cohorts)
    return course_id, cohorts


def decision_rows(page: str) -> dict[str, list[str]]:
    """The items-per-decision table: group name -> its cells."""
    table = re.search(r'<table class="decisions-table">(.*?)</table>', page, re.S)
    assert table is not None, "no items-per-decision table"
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)[1:]
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows]
    return {row[0]: row[1:] for row in cells}


def test_the_course_dashboard_shows_items_per_decision_whole_and_per_cohort(
        app, instructor, course):
    page = signed_in(app, instructor).get("/courses/seqdash/dashboard").get_data(as_text=True)
    assert "took <strong>11.2 items</strong> on average to decide: 3 passed, 2 failed" in page
    assert decision_rows(page) == {
        "Seqdash": ["5", "11.2", "3", "12.0", "2", "10.0"],
        "Cohort A": ["3", "7.0", "2", "8.0", "1", "5.0"],
        "Cohort B": ["1", "15.0", "0", "—", "1", "15.0"],
        "Trainees in no cohort": ["1", "20.0", "1", "20.0", "0", "—"],
    }


def test_a_cohort_dashboard_shows_its_own_decisions_only(app, instructor, course):
    _, cohorts = course
    page = signed_in(app, instructor).get(
        f"/courses/seqdash/cohorts/{cohorts[0]}/dashboard").get_data(as_text=True)
    assert "3 graded sequential attempts in this cohort took <strong>7.0 items</strong>" in page
    assert decision_rows(page) == {"Cohort A": ["3", "7.0", "2", "8.0", "1", "5.0"]}


def test_the_item_analysis_shows_the_courses_decisions(app, instructor, course):
    page = signed_in(app, instructor).get("/courses/seqdash/items/analysis").get_data(
        as_text=True)
    assert decision_rows(page) == {"Seqdash": ["5", "11.2", "3", "12.0", "2", "10.0"]}


def test_a_course_without_sequential_attempts_shows_nothing_sequential(
        app, instructor, make_user):
    course_id, cohorts = make_course(app, instructor, "fixed", ("Cohort A",))
    add_history(app, make_user, course_id, cohorts, history=(
        (0, None, True, AttemptState.GRADED), (None, None, False, AttemptState.GRADED)))
    client = signed_in(app, instructor)
    for path in ("/courses/fixed/dashboard", f"/courses/fixed/cohorts/{cohorts[0]}/dashboard",
                 "/courses/fixed/items/analysis"):
        page = client.get(path).get_data(as_text=True)
        assert "Items per decision" not in page and "decisions-table" not in page, path


def test_a_trainee_does_not_see_the_decisions(app, course, make_user):
    client = signed_in(app, make_user())
    for path in ("/courses/seqdash/dashboard", "/courses/seqdash/items/analysis"):
        assert client.get(path).status_code == 403


def statements(app: Flask, course_id: int, cohort_id: int | None = None) -> int:
    found: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        found.append(statement)

    with app.app_context():
        course = db.session.get(Course, course_id)
        cohort = db.session.get(Cohort, cohort_id) if cohort_id else None
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            sequential_stats.decisions(course, cohort)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return len(found)


def test_one_query_however_many_cohorts_and_attempts(app, course, make_user):
    course_id, cohorts = course
    assert statements(app, course_id) == statements(app, course_id, cohorts[0]) == 1
    with app.app_context():
        more = [Cohort(course_id=course_id, name=f"More {n}", starts_on=date(2026, 5, n + 1))
                for n in range(3)]
        db.session.add_all(more)
        db.session.commit()
        ids = cohorts + [cohort.id for cohort in more]
    add_history(app, make_user, course_id, ids, history=tuple(
        (index, 7, index % 2 == 0, AttemptState.GRADED) for index in range(len(ids))))
    assert statements(app, course_id) == 1
    with app.app_context():
        found = sequential_stats.decisions(db.session.get(Course, course_id))
        assert found.whole.count == 10 and len(found.groups) == 6
        assert [group.name for group in found.groups][-1] == sequential_stats.NO_COHORT
        assert db.session.scalar(select(Cohort.name).where(Cohort.id == ids[-1])) == "More 2"
