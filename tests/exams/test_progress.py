"""Progress of every trainee in a course: the service against a hand-built history whose numbers
are worked out by hand below (active time by graders.activity's rule: a gap counts in full up
to 5 minutes, as 5 minutes up to 30, and nothing beyond), and a statement count that does not
grow with the number of trainees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course, Enrollment, EnrollmentSource, Item, ManualVersion, PracticeAnswer
from courses.services import enrolment
from exams.models import (
    Attempt,
    AttemptKind,
    AttemptState,
    Qualification,
    QualificationStatus,
    Response,
)
from exams.services import progress
from graders.activity import Stage
from graders.dropout import Risk, State
from tests.factories import MANAGE_MANUAL, MANAGE_RULES, _exam_course, manage_natives

SLUG = "progress-course"
T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
NOW = T + timedelta(days=5)


def at(minutes: float, days: int = 0) -> datetime:
    return T + timedelta(days=days, minutes=minutes)


@dataclass(frozen=True)
class History:
    course_id: int
    instructor: User
    ada: User  # read everything, practised, failed once, then qualified
    ben: User  # read one section, then nothing for almost five days: at risk
    cyd: User  # enrolled ten days before T and did nothing: dropped
    dee: User  # withdrew at T
    cohort_id: int  # ben's cohort


def _event(user: User, course_id: int, kind: str, moment: datetime, **data) -> None:
    db.session.add(Event(user_id=user.id, course_id=course_id, kind=kind, created_at=moment,
                         data=data))


def _enrol(user: User, course_id: int, moment: datetime, cohort_id: int | None = None,
           withdrawn_at: datetime | None = None) -> None:
    db.session.add(Enrollment(user_id=user.id, course_id=course_id, cohort_id=cohort_id,
                              source=EnrollmentSource.SELF, created_at=moment,
                              withdrawn_at=withdrawn_at))


def _attempt(user: User, course: Course, number: int, start: datetime, score: float,
             version_id: int) -> Attempt:
    """A graded attempt started at `start`, its four answers saved 2, 3, 4 and 5 minutes in,
    submitted at 6 minutes (or 5 for the second): events and saves at known moments."""
    items = [item for item in db.session.scalars(
        select(Item).where(Item.course_id == course.id).order_by(Item.position, Item.id))
        if "exam" in item.pools][:4]
    submitted = start + timedelta(minutes=6 if number == 1 else 5)
    attempt = Attempt(user_id=user.id, course_id=course.id, kind=AttemptKind.QUALIFICATION,
                      cycle=1, number=number, manual_version_id=version_id,
                      state=AttemptState.GRADED, started_at=start, submitted_at=submitted,
                      pass_mark=1.0, critical_rule=False, score=score, passed=score >= 1.0)
    offsets = (2, 3, 4, 5) if number == 1 else (1, 2, 3, 4)
    attempt.responses = [Response(position=n, item_id=item.id, answer="yes",
                                  saved_at=start + timedelta(minutes=offset))
                         for n, (item, offset) in enumerate(zip(items, offsets, strict=True), 1)]
    db.session.add(attempt)
    _event(user, course.id, "exam_started", start)
    _event(user, course.id, "exam_submitted", submitted)
    return attempt


def build_history(app, make_user) -> History:
    """The course of tests.factories' manage world (3 sections, 1 practice module) and four
    trainees whose every event is placed by hand."""
    instructor = make_user(Role.INSTRUCTOR)
    ada, ben, cyd, dee = (make_user() for _ in range(4))
    course_id = _exam_course(app, instructor, SLUG, MANAGE_MANUAL, manage_natives(),
                             MANAGE_RULES)
    with app.app_context():
        course = db.session.get(Course, course_id)
        version = db.session.scalar(select(ManualVersion).where(
            ManualVersion.course_id == course_id))
        cohort = enrolment.create_cohort(course, "March intake", date(2026, 3, 2), None,
                                         db.session.get(User, instructor.id))
        db.session.flush()
        _enrol(ada, course_id, T - timedelta(days=1))
        _enrol(ben, course_id, T - timedelta(days=1), cohort.id)
        _enrol(cyd, course_id, T - timedelta(days=10))
        _enrol(dee, course_id, T - timedelta(days=2), withdrawn_at=T)
        # Ada reads: gaps 2, 4 and 14 minutes count 2 + 4 + 5 = 11.
        _event(ada, course_id, "manual_opened", at(0), version=1)
        for minute, section in ((2, "intro"), (6, "shoes"), (20, "hats")):
            _event(ada, course_id, "section_read", at(minute), version=1, section=section)
        # Ada practises: ten answers a minute apart from 21 to 30, nine right (1 + 9 = 10);
        # the first, right, masters the one-item module (the others follow it straight away
        # and do not count, as the service places them).
        boots = db.session.scalar(select(Item).where(Item.course_id == course_id,
                                                     Item.key == "boots"))
        for n in range(10):
            moment, right = at(21 + n), n != 4
            db.session.add(PracticeAnswer(
                user_id=ada.id, course_id=course_id, item_id=boots.id, item_revision=1,
                module="shoes", answer="yes" if right else "no", points=float(right),
                correct=right, details={}, created_at=moment, round_number=1 + (n > 0),
                counts=n == 0, ends_round=n == 0))
            _event(ada, course_id, "practice_answered", moment, item="boots", module="shoes",
                   correct=right)
        # Two hours later the first attempt (6 minutes); the next day the second (5 minutes).
        _attempt(ada, course, 1, at(150), 0.5, version.id)
        second = _attempt(ada, course, 2, at(60, days=1), 1.0, version.id)
        db.session.flush()
        db.session.add(Qualification(
            user_id=ada.id, course_id=course_id, status=QualificationStatus.QUALIFIED, cycle=1,
            score=1.0, manual_version_id=version.id, attempt_id=second.id,
            granted_at=at(65, days=1), refresh_sections=[]))
        # Ben reads one section an hour after Ada started, then stops.
        _event(ben, course_id, "section_read", at(60), version=1, section="intro")
        # The qualification change and a withdrawal are not activity.
        _event(ada, course_id, "qualification_changed", at(600, days=1))
        _event(dee, course_id, "withdrew", T)
        db.session.commit()
        return History(course_id, instructor, ada, ben, cyd, dee, cohort.id)


@pytest.fixture
def history(app, make_user) -> History:
    return build_history(app, make_user)


def _by_email(rows):
    return {row.email: row for row in rows}


def test_values_match_the_hand_worked_history(app, history):
    with app.app_context():
        rows = _by_email(progress.course_progress(db.session.get(Course, history.course_id),
                                                  now=NOW))
    ada = rows[history.ada.email]
    assert (ada.sections_read, ada.sections_total) == (3, 3)
    assert (ada.practice_answers, ada.practice_correct) == (10, 9)
    assert (ada.modules_mastered, ada.modules_total) == (1, 1)
    assert (ada.attempts, ada.best_score) == (2, 1.0)
    assert ada.status == QualificationStatus.QUALIFIED
    # 11 reading + 10 practising + 6 (first exam: 2, 1, 1, 1, 1) + 5 (second: 1, 1, 1, 1, 1).
    assert ada.active == timedelta(minutes=32)
    assert ada.activity.sessions == 3
    assert (ada.first_activity, ada.last_activity) == (at(0), at(65, days=1))
    assert ada.activity.per_day == ((date(2026, 3, 2), timedelta(minutes=27)),
                                    (date(2026, 3, 3), timedelta(minutes=5)))
    assert (ada.stage, ada.state) == (Stage.QUALIFIED, State.QUALIFIED)

    ben = rows[history.ben.email]
    assert (ben.sections_read, ben.practice_answers, ben.attempts) == (1, 0, 0)
    assert ben.active == timedelta(0) and ben.last_activity == at(60)
    assert ben.cohort == "March intake"
    assert ben.status == QualificationStatus.IN_TRAINING
    assert (ben.stage, ben.state) == (Stage.READING, State.AT_RISK)
    assert ben.dropout.risks == (Risk.INACTIVE,)  # 4 days 23 hours > half of 7 days

    cyd = rows[history.cyd.email]
    assert (cyd.stage, cyd.state, cyd.first_activity) == (Stage.ENROLLED, State.DROPPED, None)
    assert cyd.status == QualificationStatus.NOT_STARTED
    assert cyd.dropout.dropped_at == T - timedelta(days=3)  # enrolled + 7 days
    dee = rows[history.dee.email]
    assert (dee.state, dee.dropout.dropped_at) == (State.WITHDRAWN, T)


def test_a_cohort_and_a_trainee_alone(app, history):
    with app.app_context():
        course = db.session.get(Course, history.course_id)
        cohort = progress.course_progress(course, history.cohort_id, now=NOW)
        assert [row.email for row in cohort] == [history.ben.email]
        mine = progress.trainee_progress(db.session.get(User, history.ada.id), course, now=NOW)
        assert mine.email == history.ada.email and mine.active == timedelta(minutes=32)
        assert progress.trainee_progress(db.session.get(User, history.instructor.id), course,
                                         now=NOW) is None


def test_a_trainee_alone_has_the_row_the_course_table_shows(app, history):
    """trainee_progress asks its own queries of one trainee (and their cohort's totals): every
    field, state included, equals their row in the course's table; dee left the course."""
    with app.app_context():
        course = db.session.get(Course, history.course_id)
        rows = _by_email(progress.course_progress(course, now=NOW))
        for trainee in (history.ada, history.ben, history.cyd, history.dee):
            user = db.session.get(User, trainee.id)
            assert progress.trainee_progress(user, course, now=NOW) == rows[user.email]


def test_a_shorter_dropout_window_drops_ben(app, history):
    with app.app_context():
        course = db.session.get(Course, history.course_id)
        course.dropout_window_days = 3
        rows = _by_email(progress.course_progress(course, now=NOW))
        db.session.rollback()
    assert rows[history.ben.email].state == State.DROPPED


def test_training_hours_per_day_and_week(app, history):
    with app.app_context():
        course = db.session.get(Course, history.course_id)
        days = progress.training_hours(course, period="day")
        weeks = progress.training_hours(course, period="week")
        only_tuesday = progress.training_hours(course, period="week", start=date(2026, 3, 3))
    assert [(r.period, r.email, r.active) for r in days] == [
        (date(2026, 3, 2), history.ada.email, timedelta(minutes=27)),
        (date(2026, 3, 3), history.ada.email, timedelta(minutes=5))]
    assert [(r.period, r.active) for r in weeks] == [(date(2026, 3, 2), timedelta(minutes=32))]
    assert [(r.period, r.active) for r in only_tuesday] == [
        (date(2026, 3, 2), timedelta(minutes=5))]


def _statements(app, course_id: int) -> int:
    found: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        found.append(statement)

    with app.app_context():
        course = db.session.get(Course, course_id)
        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            rows = progress.course_progress(course, now=NOW)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert rows
    return len(found)


def _add_trainees(app, course_id: int, make_user, count: int) -> None:
    users = [make_user() for _ in range(count)]
    with app.app_context():
        boots = db.session.scalar(select(Item).where(Item.course_id == course_id,
                                                     Item.key == "boots"))
        for n, user in enumerate(users):
            _enrol(user, course_id, T)
            _event(user, course_id, "section_read", at(n), version=1, section="intro")
            db.session.add(PracticeAnswer(
                user_id=user.id, course_id=course_id, item_id=boots.id, item_revision=1,
                module="shoes", answer="yes", points=1.0, correct=True, details={},
                created_at=at(n + 1)))
            _event(user, course_id, "practice_answered", at(n + 1))
        db.session.commit()


def test_the_statement_count_does_not_grow_with_the_trainees(app, history, make_user):
    """1 trainee or 31: the same grouped queries (no query per trainee)."""
    lone = _exam_course(app, history.instructor, "lone", MANAGE_MANUAL, manage_natives(),
                        MANAGE_RULES)
    _add_trainees(app, lone, make_user, 1)
    _add_trainees(app, history.course_id, make_user, 30)
    counts = (_statements(app, lone), _statements(app, history.course_id))
    assert counts[0] == counts[1] == 11, counts  # exams.services.progress lists them


def test_the_states_agree_with_the_dropout_records_service(app, history):
    """The table and exams.services.dropout read the same facts the same way."""
    from exams.services import dropout

    with app.app_context():
        course = db.session.get(Course, history.course_id)
        for moment in (T + timedelta(hours=2), NOW, NOW + timedelta(days=30)):
            rows = progress.course_progress(course, now=moment)
            assert len(rows) == 4
            for row in rows:
                assert row.state == dropout.state_of(row.user_id, course.id, moment).state


def test_staff_and_admins_enrolled_to_try_the_course_are_not_trainees(app, history,
                                                                      make_user):
    admin = make_user(Role.ADMIN)
    with app.app_context():
        _enrol(admin, history.course_id, T)
        _enrol(history.instructor, history.course_id, T)
        db.session.commit()
        course = db.session.get(Course, history.course_id)
        emails = {row.email for row in progress.course_progress(course, now=NOW)}
        assert admin.email not in emails and history.instructor.email not in emails
        assert len(emails) == 4
        assert progress.trainee_progress(db.session.get(User, admin.id), course,
                                         now=NOW) is None
