"""Honest time on the course home: exams.services.timing against a hand-built history whose
medians are worked out by hand below (graders.activity's rule: every gap here is a minute or
two, so it counts in full), the too-few case, and the course home showing both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course, Enrollment, EnrollmentSource, Item, ManualVersion, PracticeAnswer
from exams.models import Attempt, AttemptKind, AttemptState, Response
from exams.services import timing
from tests.factories import MANAGE_MANUAL, MANAGE_RULES, _exam_course, manage_natives, signed_in

SLUG = "timing-course"
T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float, days: int = 0) -> datetime:
    return T + timedelta(days=days, minutes=minutes)


@dataclass(frozen=True)
class World:
    course_id: int
    instructor: User
    trainees: tuple[User, ...]


def _event(user: User, course_id: int, kind: str, moment: datetime, **data) -> None:
    db.session.add(Event(user_id=user.id, course_id=course_id, kind=kind, created_at=moment,
                         data=data))


def _enrol(user: User, course_id: int) -> None:
    db.session.add(Enrollment(user_id=user.id, course_id=course_id, source=EnrollmentSource.SELF,
                              created_at=T - timedelta(days=1)))


def _read(user: User, course_id: int, day: int, last_gap: int) -> None:
    """Open the manual, read intro and shoes a minute apart, hats `last_gap` minutes later:
    1 + 1 + last_gap minutes; a re-read ten minutes after does not count."""
    _event(user, course_id, "manual_opened", at(0, day), version=1)
    for minute, section in ((1, "intro"), (2, "shoes"), (2 + last_gap, "hats"),
                            (12 + last_gap, "intro")):
        _event(user, course_id, "section_read", at(minute, day), version=1, section=section)


def _practise(user: User, course_id: int, boots: Item, day: int, wrong_first: int) -> None:
    """`wrong_first` wrong answers, then three right ones, a minute apart, each a first try in
    a round of its own (as the service places them when another module's item comes between):
    the one-item module is mastered by the first right one, `wrong_first` minutes in; the
    answers after it do not count."""
    for n in range(wrong_first + 3):
        right = n >= wrong_first
        db.session.add(PracticeAnswer(
            user_id=user.id, course_id=course_id, item_id=boots.id, item_revision=1,
            module="shoes", answer="yes" if right else "no", points=float(right),
            correct=right, details={}, created_at=at(60 + n, day), round_number=n + 1,
            counts=True, ends_round=True))


def _exam(user: User, course: Course, version_id: int, day: int, saves: int,
          number: int = 1) -> None:
    """A graded attempt with `saves` answers saved a minute apart and submitted a minute after
    the last: saves + 1 minutes."""
    items = [item for item in db.session.scalars(
        select(Item).where(Item.course_id == course.id).order_by(Item.position, Item.id))
        if "exam" in item.pools]
    start = at(200 + 100 * number, day)
    attempt = Attempt(user_id=user.id, course_id=course.id, kind=AttemptKind.QUALIFICATION,
                      cycle=1, number=number, manual_version_id=version_id,
                      state=AttemptState.GRADED, started_at=start,
                      submitted_at=start + timedelta(minutes=saves + 1), pass_mark=1.0,
                      critical_rule=False, score=0.5, passed=False)
    attempt.responses = [Response(position=n, item_id=items[(n - 1) % len(items)].id,
                                  answer="yes", saved_at=start + timedelta(minutes=n))
                         for n in range(1, saves + 1)]
    db.session.add(attempt)


def build(app, make_user, *, exam_takers: int) -> World:
    """Six trainees: five read it all (3..7 minutes: median 5) and master the shoes module
    (9..13 minutes: median 11); the sixth reads one section and answers twice. The first
    `exam_takers` take the exam (3..7 minutes: median 5 for five); the first also retakes it
    (ignored: the first attempt counts). The instructor, enrolled too, is no trainee."""
    instructor = make_user(Role.INSTRUCTOR)
    trainees = tuple(make_user() for _ in range(6))
    course_id = _exam_course(app, instructor, SLUG, MANAGE_MANUAL, manage_natives(),
                             MANAGE_RULES)
    with app.app_context():
        course = db.session.get(Course, course_id)
        course.estimated_minutes = 45
        version = db.session.scalar(select(ManualVersion).where(
            ManualVersion.course_id == course_id))
        boots = db.session.scalar(select(Item).where(Item.course_id == course_id,
                                                     Item.key == "boots"))
        for n, trainee in enumerate(trainees[:5]):
            _enrol(trainee, course_id)
            _read(trainee, course_id, n, last_gap=1 + n)
            _practise(trainee, course_id, boots, n, wrong_first=9 + n)
            if n < exam_takers:
                _exam(trainee, course, version.id, n, saves=2 + n)
        _exam(trainees[0], course, version.id, 0, saves=20, number=2)
        straggler = trainees[5]
        _enrol(straggler, course_id)
        _event(straggler, course_id, "section_read", at(0), version=1, section="intro")
        for n in range(2):
            db.session.add(PracticeAnswer(
                user_id=straggler.id, course_id=course_id, item_id=boots.id, item_revision=1,
                module="shoes", answer="yes", points=1.0, correct=True, details={},
                created_at=at(60 + n)))
        _enrol(instructor, course_id)
        _read(instructor, course_id, 0, last_gap=0)
        db.session.commit()
    return World(course_id, instructor, trainees)


def _steps(app, course_id: int) -> dict[str, timing.StepTime]:
    with app.app_context():
        found = timing.course_timing(db.session.get(Course, course_id))
    assert found.estimated_minutes == 45
    return {step.key: step for step in found.steps}


def test_medians_match_the_hand_worked_history(app, make_user):
    world = build(app, make_user, exam_takers=5)
    steps = _steps(app, world.course_id)
    assert list(steps) == ["manual", "practice:shoes", "exam"]
    assert (steps["manual"].finished, steps["manual"].median) == (5, timedelta(minutes=5))
    shoes = steps["practice:shoes"]
    assert (shoes.finished, shoes.median, shoes.minutes) == (5, timedelta(minutes=11), 11)
    assert shoes.label == "Practice: Shoes"
    assert (steps["exam"].finished, steps["exam"].median) == (5, timedelta(minutes=5))


def test_too_few_finishers_give_no_median(app, make_user):
    world = build(app, make_user, exam_takers=4)
    exam = _steps(app, world.course_id)["exam"]
    assert (exam.finished, exam.median, exam.minutes) == (4, None, None)


def test_a_constant_number_of_statements(app, make_user):
    world = build(app, make_user, exam_takers=5)
    found: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        found.append(statement)

    with app.app_context():
        course = db.session.get(Course, world.course_id)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            timing.course_timing(course)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert len(found) <= 6, found


@pytest.mark.parametrize("takers", [5, 4])
def test_the_course_home_shows_measured_time_beside_the_estimate(app, make_user, takers):
    world = build(app, make_user, exam_takers=takers)
    page = signed_in(app, world.trainees[0]).get(f"/courses/{SLUG}").get_data(as_text=True)
    assert "How long it really takes" in page
    assert "45 min" in page  # the instructor's estimate
    assert "11 min" in page  # practice: shoes
    if takers == 5:
        assert "not enough trainees yet" not in page
    else:
        assert "not enough trainees yet" in page


def test_only_the_latest_trainees_count(app, make_user, monkeypatch):
    """With room for three, the straggler and the last two readers count (enrolled at the same
    moment, the latest enrolment first): two finished the manual, too few for a median."""
    world = build(app, make_user, exam_takers=5)
    monkeypatch.setattr(timing, "RECENT_TRAINEES", 3)
    manual = _steps(app, world.course_id)["manual"]
    assert (manual.finished, manual.median) == (2, None)


def _statements_of(app, course_id: int, **options) -> tuple[int, timing.CourseTiming]:
    found: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        found.append(statement)

    with app.app_context():
        course = db.session.get(Course, course_id)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            result = timing.course_timing(course, **options)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return len(found), result


def test_the_process_keeps_the_steps_until_they_expire_or_the_course_changes(
        app, make_user, monkeypatch):
    """The course home's second view runs no query for the steps; the estimate is always the
    course's current one; an edited course, an expired copy or `fresh` measure again."""
    world = build(app, make_user, exam_takers=5)
    clock = [1000.0]
    monkeypatch.setattr(timing.time, "monotonic", lambda: clock[0])
    first, measured = _statements_of(app, world.course_id)
    again, kept = _statements_of(app, world.course_id)
    assert first > 0 and again == 0 and kept == measured
    assert _statements_of(app, world.course_id, fresh=True)[0] == first
    clock[0] += timing.CACHE_SECONDS - 1
    assert _statements_of(app, world.course_id)[0] == 0
    clock[0] += 1
    assert _statements_of(app, world.course_id)[0] == first
    with app.app_context():
        db.session.get(Course, world.course_id).estimated_minutes = 50
        db.session.commit()
    count, edited = _statements_of(app, world.course_id)
    assert count == first and edited.estimated_minutes == 50 and edited.steps == kept.steps
