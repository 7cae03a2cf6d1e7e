"""The course and cohort dashboards: funnel and retention inputs against a hand-built history,
Kaplan–Meier on the page against graders.retention, access, and a constant number of queries.

The history (T0 = 2 March 2026 09:00 UTC, looked at on day 30, dropout window 7 days):

| trainee | group | what they did | furthest step | retention input |
|---|---|---|---|---|
| a1 | A | nothing | enrolled | dropped, day 7 (enrolment + window) |
| a2 | A | opened the manual on day 1 | opened | dropped, day 8 |
| a3 | A | read both sections of v2 on day 2 | read all | dropped, day 9 |
| a4 | A | read v1's intro and shoes on day 2 (shoes changed in v2) | opened | dropped, day 9 |
| a5 | A | one practice answer on day 3, left on day 4 | practised | dropped (left), day 4 |
| a6 | A | mastered on day 3, exam and qualified on day 5 | qualified | qualified, censored day 5 |
| b1 | B | enrolled day 25, opened the manual day 26 | opened | still active, censored day 5 |
| b2 | B | enrolled day 10, active day 10.5, Dropout row day 12 | enrolled | dropped (row), day 2 |
| b3 | B | enrolled day 10, Dropout row day 12, back day 28 | opened | active, censored day 20 |
| n1 | none | enrolled day 0, practised, failed the exam on day 6 | examined | dropped, day 13 |
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import event, select

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import (
    Cohort,
    Course,
    CourseStatus,
    Enrollment,
    EnrollmentSource,
    Item,
    ManualVersion,
    PracticeAnswer,
)
from courses.services import catalog, items, manuals
from exams import charts
from exams.models import (
    Attempt,
    AttemptKind,
    AttemptState,
    Dropout,
    Qualification,
    QualificationChange,
    QualificationStatus,
)
from exams.services import cohort_stats
from graders.retention import Observation, Outcome, retention
from tests.factories import signed_in

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
NOW = T0 + timedelta(days=30)
MANUAL_V1 = "# Intro {#intro}\n\nWelcome.\n\n## Shoes {#shoes}\n\nShoes are clothing.\n"
MANUAL_V2 = MANUAL_V1.replace("Shoes are clothing.", "Shoes are clothing, flippers are not.")
HOSTILE = ("<script>alert(1)</script>", '"><svg onload=alert(2)>')


def parse_svg(svg: str) -> ET.Element:
    """Our own chart, parsed: a parse error would mean a name broke out of its text node."""
    return ET.fromstring(svg)  # noqa: S314 - the app's output, not untrusted input


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


class History:
    """Builds the module docstring's history through the models, with explicit times."""

    def __init__(self, app: Flask, instructor: User, make_user, names=("A", "B")):
        self.app, self.make_user = app, make_user
        with app.app_context():
            actor = db.session.get(User, instructor.id)
            course = catalog.create_course(catalog.CourseFields(
                slug="dash", title="Dash", status=CourseStatus.OPEN), actor)
            for number, text in enumerate((MANUAL_V1, MANUAL_V2), start=1):
                manuals.save_draft(course, text, actor)
                manuals.publish_draft(course, "" if number == 1 else "Shoes.", [], actor)
            items.upsert_items(course, [{
                "id": "boots", "kind": "choice", "prompt": "Boots?", "media": None,
                "spec": {"options": ["yes", "no"]}, "gold": "yes", "explanation": "",
                "sections": ["shoes"], "critical": False, "pools": ["practice"]}], actor, "t")
            self.cohorts = []
            for name in names:
                cohort = Cohort(course_id=course.id, name=name, starts_on=date(2026, 3, 2))
                db.session.add(cohort)
                db.session.flush()
                self.cohorts.append(cohort.id)
            db.session.commit()
            self.course_id = course.id
            self.item_id = db.session.scalar(select(Item.id).where(Item.key == "boots"))
            self.version_id = db.session.scalar(select(ManualVersion.id).where(
                ManualVersion.course_id == course.id, ManualVersion.number == 2))
        self.users: dict[str, int] = {}

    def trainee(self, name: str, cohort: int | None, enrolled: float,
                withdrawn: float | None = None) -> int:
        db.session.commit()  # make_user writes in a session of its own
        user = self.make_user(Role.TRAINEE, email=f"{name}-{len(self.users)}@example.com")
        self.users[name] = user.id
        cohort_id = self.cohorts[cohort] if cohort is not None else None
        db.session.add(Enrollment(user_id=user.id, course_id=self.course_id, cohort_id=cohort_id,
                                  source=EnrollmentSource.INVITE_LINK if cohort_id
                                  else EnrollmentSource.SELF,
                                  created_at=day(enrolled),
                                  withdrawn_at=day(withdrawn) if withdrawn is not None else None))
        return user.id

    def event(self, user_id: int, kind: str, at: float, **data) -> None:
        db.session.add(Event(user_id=user_id, course_id=self.course_id, kind=kind,
                             created_at=day(at), data=data))

    def answers(self, user_id: int, at: float, correct: int, wrong: int = 0) -> None:
        for n in range(correct + wrong):
            db.session.add(PracticeAnswer(
                user_id=user_id, course_id=self.course_id, item_id=self.item_id,
                item_revision=1, module="shoes", answer="yes", points=1.0 * (n < correct),
                correct=n < correct, details={}, created_at=day(at) + timedelta(minutes=n)))
            self.event(user_id, "practice_answered", at + n / 1440)

    def exam(self, user_id: int, at: float, passed: bool) -> None:
        db.session.add(Attempt(
            user_id=user_id, course_id=self.course_id, kind=AttemptKind.QUALIFICATION, cycle=1,
            number=1, manual_version_id=self.version_id, state=AttemptState.GRADED,
            started_at=day(at), submitted_at=day(at), pass_mark=0.8, critical_rule=False,
            score=1.0 if passed else 0.2, passed=passed))
        self.event(user_id, "exam_submitted", at)
        if passed:
            qualification = Qualification(user_id=user_id, course_id=self.course_id,
                                          status=QualificationStatus.QUALIFIED, granted_at=day(at))
            db.session.add(qualification)
            db.session.flush()
            db.session.add(QualificationChange(
                qualification_id=qualification.id, from_status="in_training",
                to_status="qualified", reason="Passed.", created_at=day(at)))

    def build(self) -> History:
        with self.app.app_context():
            self.trainee("a1", 0, 0)
            self.event(self.trainee("a2", 0, 0), "manual_opened", 1, version=2)
            a3 = self.trainee("a3", 0, 0)
            for section in ("intro", "shoes"):
                self.event(a3, "section_read", 2, version=2, section=section)
            a4 = self.trainee("a4", 0, 0)
            for section in ("intro", "shoes"):
                self.event(a4, "section_read", 2, version=1, section=section)
            self.answers(self.trainee("a5", 0, 0, withdrawn=4), 3, correct=1)
            a6 = self.trainee("a6", 0, 0)
            self.answers(a6, 3, correct=9, wrong=1)
            self.exam(a6, 5, passed=True)
            self.event(self.trainee("b1", 1, 25), "manual_opened", 26, version=2)
            b2 = self.trainee("b2", 1, 10)
            self.event(b2, "item_disputed", 10.5)
            db.session.add(Dropout(user_id=b2, course_id=self.course_id, dropped_at=day(12),
                                   stage="enrolled", reason="inactive"))
            b3 = self.trainee("b3", 1, 10)
            db.session.add(Dropout(user_id=b3, course_id=self.course_id, dropped_at=day(12),
                                   stage="enrolled", reason="inactive"))
            self.event(b3, "manual_opened", 28, version=2)
            n1 = self.trainee("n1", None, 0)
            self.answers(n1, 5, correct=10)
            self.exam(n1, 6, passed=False)
            db.session.commit()
        return self


EXPECTED = {  # name -> (days, outcome)
    "a1": (7, Outcome.DROPPED), "a2": (8, Outcome.DROPPED), "a3": (9, Outcome.DROPPED),
    "a4": (9, Outcome.DROPPED), "a5": (4, Outcome.DROPPED), "a6": (5, Outcome.QUALIFIED),
    "b1": (5, Outcome.CENSORED), "b2": (2, Outcome.DROPPED), "b3": (20, Outcome.CENSORED),
    "n1": (13, Outcome.DROPPED),
}


@pytest.fixture
def instructor(make_user) -> User:
    return make_user(Role.INSTRUCTOR)


@pytest.fixture
def history(app, instructor, make_user) -> History:
    return History(app, instructor, make_user).build()


def stats_at(app: Flask, history: History, cohort: int | None = None):
    with app.app_context():
        course = db.session.get(Course, history.course_id)
        chosen = db.session.get(Cohort, history.cohorts[cohort]) if cohort is not None else None
        return cohort_stats.course_stats(course, cohort=chosen, now=NOW)


def counts(group) -> dict[str, int]:
    return {step.key: step.count for step in group.funnel}


def test_the_funnel_counts_who_got_at_least_this_far(app, history):
    stats = stats_at(app, history)
    assert counts(stats.whole) == {"enrolled": 10, "opened": 8, "read_all": 4, "practised": 3,
                                   "mastered": 2, "examined": 2, "qualified": 1}
    assert [step.share for step in stats.whole.funnel][:3] == [1.0, 0.8, 0.4]
    by_name = {group.name: group for group in stats.groups}
    assert list(by_name) == ["A", "B", "Trainees in no cohort"]
    assert counts(by_name["A"]) == {"enrolled": 6, "opened": 5, "read_all": 3, "practised": 2,
                                    "mastered": 1, "examined": 1, "qualified": 1}
    assert counts(by_name["B"]) == {"enrolled": 3, "opened": 2, "read_all": 0, "practised": 0,
                                    "mastered": 0, "examined": 0, "qualified": 0}


def test_retention_inputs_are_the_hand_computed_durations_and_outcomes(app, history):
    with app.app_context():
        course = db.session.get(Course, history.course_id)
        facts = cohort_stats.trainee_facts(course)
        got = {fact.user_id: cohort_stats.outcome_of(fact, NOW, timedelta(days=7))
               for fact in facts}
    names = {user_id: name for name, user_id in history.users.items()}
    assert {names[user_id]: (round(item.days, 6), item.outcome)
            for user_id, item in got.items()} == EXPECTED


def test_a_cohort_dashboard_shows_graders_retention_numbers(app, history, instructor):
    expected = retention([Observation(days, outcome) for name, (days, outcome)
                          in EXPECTED.items() if name.startswith("a")])
    page = signed_in(app, instructor).get(
        f"/courses/dash/cohorts/{history.cohorts[0]}/dashboard")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    values = [float(v) for v in re.findall(r'data-value="([0-9.]+)"', body)]
    assert values[:len(expected.dropout.survival)] == [
        pytest.approx(s, abs=5e-5) for s in expected.dropout.survival]
    # By hand: S(4) = 5/6, S(7) = 5/6 * 3/4 = 0.625, S(8) = 0.625 * 2/3 = 0.417 <= 0.5.
    assert expected.dropout.median == 8
    assert "Half of the trainees had dropped out by <strong>day 8</strong>" in body
    assert "1 of 6 (17%) have qualified" in body


def test_the_course_dashboard_explains_small_groups_and_links_cohorts(app, history,
                                                                      instructor):
    body = signed_in(app, instructor).get("/courses/dash/dashboard").get_data(as_text=True)
    assert "B has 3 trainees: with fewer than 5 a curve is not meaningful yet" in body
    assert f'/courses/dash/cohorts/{history.cohorts[0]}/dashboard' in body
    assert "/courses/dash/dashboard/retention.svg?size=narrow" in body
    assert "Read the whole manual</th><td>4 (40%)</td>" in body


@pytest.mark.parametrize("chart", ["funnel", "retention", "qualification"])
def test_charts_are_svg_images_with_nothing_to_run_or_fetch(app, history, instructor, chart):
    client = signed_in(app, instructor)
    for size in ("wide", "narrow"):
        response = client.get(f"/courses/dash/dashboard/{chart}.svg?size={size}")
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert response.headers["Content-Security-Policy"] == charts.CHART_POLICY
        svg = response.get_data(as_text=True)
        root = parse_svg(svg)
        assert not [e for e in root.iter() if e.tag.endswith(("script", "foreignObject"))]
        assert re.findall(r"(?:href|src)=|https?://(?!www\.w3\.org/2000/svg)", svg) == []
    assert client.get("/courses/dash/dashboard/nope.svg").status_code == 404
    assert client.get(f"/courses/dash/dashboard/{chart}.svg?size=huge").status_code == 404


def test_hostile_cohort_names_stay_text(app, instructor, make_user):
    history = History(app, instructor, make_user, names=HOSTILE)
    with app.app_context():
        for n in range(6):
            history.trainee(f"h{n}", n % 2, 0)
        db.session.commit()
    client = signed_in(app, instructor)
    body = client.get("/courses/dash/dashboard").get_data(as_text=True)
    assert "<script>alert" not in body and "<svg onload" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    for index, name in enumerate(HOSTILE):
        base = f"/courses/dash/cohorts/{history.cohorts[index]}/dashboard"
        page = client.get(base).get_data(as_text=True)
        assert "<script>alert" not in page and "<svg onload" not in page
        for chart in ("funnel", "retention", "qualification"):
            svg = client.get(f"{base}/{chart}.svg").get_data(as_text=True)
            root = parse_svg(svg)
            tags = {element.tag.split("}")[-1] for element in root.iter()}
            assert "script" not in tags and tags <= SVG_TAGS, tags - SVG_TAGS
            assert not [name for element in root.iter() for name in element.attrib
                        if name.lower().startswith("on")]
        assert any(name in (element.text or "") for element in parse_svg(
            client.get(f"{base}/funnel.svg").get_data(as_text=True)).iter())


SVG_TAGS = {"svg", "defs", "style", "title", "g", "rect", "path", "text", "desc", "line",
            "circle", "tspan"}


@pytest.mark.parametrize("path", ["/courses/dash/dashboard", "/courses/dash/dashboard/funnel.svg",
                                  "/courses/dash/cohorts/{cohort}/dashboard",
                                  "/courses/dash/cohorts/{cohort}/dashboard/retention.svg"])
def test_only_the_course_staff_and_admins_see_the_dashboards(app, history, make_user, path):
    url = path.format(cohort=history.cohorts[0])
    other = make_user(Role.INSTRUCTOR)
    with app.app_context():
        actor = db.session.get(User, other.id)
        catalog.create_course(catalog.CourseFields(slug="other", title="Other"), actor)
        db.session.commit()
    assert app.test_client().get(url).headers["Location"].startswith("/auth/login")
    assert signed_in(app, make_user(Role.TRAINEE)).get(url).status_code == 403
    assert signed_in(app, other).get(url).status_code == 403
    assert signed_in(app, make_user(Role.ADMIN)).get(url).status_code == 200


def test_another_courses_cohort_is_not_found(app, history, instructor):
    client = signed_in(app, instructor)
    assert client.get("/courses/dash/cohorts/999999/dashboard").status_code == 404


def statements(app: Flask, history: History, cohort: int | None = None) -> int:
    """How many statements course_stats runs; each must be a read."""
    found: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        found.append(statement)

    with app.app_context():
        course = db.session.get(Course, history.course_id)
        chosen = db.session.get(Cohort, history.cohorts[cohort]) if cohort is not None else None
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            cohort_stats.course_stats(course, cohort=chosen, now=NOW)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert all(statement.lstrip().upper().startswith("SELECT") for statement in found), found
    return len(found)


def test_the_number_of_queries_does_not_grow_with_cohorts_or_trainees(app, instructor,
                                                                      make_user):
    one = History(app, instructor, make_user, names=("Only",))
    with app.app_context():
        one.trainee("x", 0, 0)
        db.session.commit()
    before, before_cohort = statements(app, one), statements(app, one, cohort=0)
    with app.app_context():
        three = History.__new__(History)
        three.__dict__.update(one.__dict__)
        for name in ("Second", "Third"):
            cohort = Cohort(course_id=one.course_id, name=name, starts_on=date(2026, 4, 1))
            db.session.add(cohort)
            db.session.flush()
            three.cohorts.append(cohort.id)
        for n in range(12):
            user_id = three.trainee(f"y{n}", n % 3, n)
            three.event(user_id, "manual_opened", n + 0.5, version=2)
        three.answers(user_id, 20, correct=10)
        db.session.commit()
    assert statements(app, three) == before
    assert statements(app, three, cohort=1) == before_cohort
