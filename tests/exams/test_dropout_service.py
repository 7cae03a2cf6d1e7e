"""Dropout across time, with an injected clock: exams.services.dropout and `bootcamp graders
refresh`.

A trainee inactive for the course's window is recorded as dropped once, with one
`trainee.dropped` event however often the refresh runs; one who comes back gets `returned_at`
and is active again; dropping out again reuses the record without a second event; leaving the
course records reason "withdrew"; a qualified trainee is never dropped; staff never count.
The activity is written as events at chosen moments after the real enrolment time, and the
refresh is told what time it is.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.outbox import OutboxEvent
from bootcamp.types import utcnow as _now
from bootcamp.users.models import Role, User
from courses.models import Course, Enrollment, StaffRole
from courses.services import enrolment, staff
from exams.models import Dropout, QualificationStatus
from exams.services import dropout, progress, qualifications
from graders.activity import Stage
from graders.dropout import State
from tests.factories import make_course, make_world, take

DAY = timedelta(days=1)
SLUG = "dropout-course"


@pytest.fixture
def course_id(app, make_user) -> int:
    return make_course(app, make_user(Role.INSTRUCTOR), SLUG)


def enrol(app, user: User, course_id: int):
    """Enrol the user; returns the time of their "enrolled" event, their first activity (the
    clock's zero for the test)."""
    with app.app_context():
        enrolment.enrol(db.session.get(User, user.id), db.session.get(Course, course_id),
                        enrolment.EnrollmentSource.SELF)
        db.session.commit()
        return db.session.scalar(select(func.max(Event.created_at)).where(
            Event.kind == "enrolled", Event.user_id == user.id, Event.course_id == course_id))


def act(app, user: User, course_id: int, when, kind: str = "section_read") -> None:
    """The trainee did something in the course at `when`."""
    with app.app_context():
        db.session.add(Event(kind=kind, user_id=user.id, course_id=course_id, created_at=when,
                             data={}))
        db.session.commit()


def refresh(app, now, course_id: int | None = None) -> dropout.RefreshSummary:
    with app.app_context():
        summary = dropout.refresh(now, course_id)
        db.session.commit()
        return summary


def record(app, user: User, course_id: int) -> dict | None:
    with app.app_context():
        row = db.session.scalar(select(Dropout).where(Dropout.user_id == user.id,
                                                      Dropout.course_id == course_id))
        if row is None:
            return None
        return {"dropped_at": row.dropped_at, "stage": row.stage, "reason": row.reason,
                "recorded_at": row.recorded_at, "returned_at": row.returned_at}


def dropped_events(app) -> list[dict]:
    with app.app_context():
        return [{"user_id": e.user_id, "course_id": e.course_id, "sequence": e.sequence,
                 **e.data} for e in db.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "trainee.dropped")
            .order_by(OutboxEvent.id))]


def state(app, user: User, course_id: int, now):
    with app.app_context():
        return dropout.state_of(user.id, course_id, now)


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_inactive_past_the_window_is_dropped_once_with_one_event(app, make_user, course_id):
    trainee = make_user()
    t0 = enrol(app, trainee, course_id)
    act(app, trainee, course_id, t0 + DAY)  # read a section on day 1, then nothing

    assert refresh(app, t0 + 5 * DAY).changes == 0
    assert state(app, trainee, course_id, t0 + 5 * DAY).state == State.AT_RISK  # > half
    assert record(app, trainee, course_id) is None

    summary = refresh(app, t0 + 8 * DAY + timedelta(seconds=1))
    assert (summary.total("trainees"), summary.total("dropped")) == (1, 1)
    found = record(app, trainee, course_id)
    assert found["dropped_at"] == t0 + 8 * DAY  # last activity + the 7-day window
    assert (found["stage"], found["reason"], found["returned_at"]) == ("reading", "inactive",
                                                                       None)
    assert dropped_events(app) == [{
        "user_id": trainee.id, "course_id": course_id, "sequence": 1, "course": SLUG,
        "stage": "reading", "reason": "inactive", "dropped_at": iso(t0 + 8 * DAY),
        "last_activity_at": iso(t0 + DAY)}]

    for later in (9, 9, 30):  # idempotent: nothing changes, no second event
        again = refresh(app, t0 + later * DAY)
        assert again.changes == 0 and again.total("events") == 0
    assert record(app, trainee, course_id) == found
    assert len(dropped_events(app)) == 1
    assert state(app, trainee, course_id, t0 + 30 * DAY).state == State.DROPPED


def test_running_twice_writes_nothing_the_second_time(app, make_user, course_id):
    """The second refresh sends no INSERT, UPDATE or DELETE at all."""
    from tests.exams.test_reads_never_write import counting_writes

    trainees = [make_user() for _ in range(3)]
    t0 = min(enrol(app, trainee, course_id) for trainee in trainees)
    act(app, trainees[1], course_id, t0 + 2 * DAY, "practice_answered")
    with app.app_context():
        enrolment.withdraw(db.session.get(User, trainees[2].id),
                           db.session.get(Course, course_id), t0 + DAY)
        db.session.commit()
    first = refresh(app, t0 + 20 * DAY)
    assert first.total("dropped") == 3
    with app.app_context(), counting_writes() as writes:
        second = dropout.refresh(t0 + 20 * DAY)
    assert second.changes == 0
    assert writes == []


def test_a_trainee_who_comes_back_is_active_and_a_second_dropout_sends_no_event(
        app, make_user, course_id):
    trainee = make_user()
    t0 = enrol(app, trainee, course_id)
    refresh(app, t0 + 8 * DAY)  # never did anything: dropped 7 days after enrolling
    assert record(app, trainee, course_id)["dropped_at"] == t0 + 7 * DAY
    assert record(app, trainee, course_id)["stage"] == "enrolled"

    back = t0 + 10 * DAY
    act(app, trainee, course_id, back, "practice_answered")
    act(app, trainee, course_id, back + timedelta(hours=1), "practice_answered")
    assert state(app, trainee, course_id, back + timedelta(hours=2)).state == State.ACTIVE
    summary = refresh(app, back + timedelta(hours=2))
    assert summary.total("returned") == 1
    assert record(app, trainee, course_id)["returned_at"] == back  # the first activity after
    assert refresh(app, back + 3 * DAY).changes == 0

    gone = back + timedelta(hours=1) + 7 * DAY
    summary = refresh(app, gone + DAY)
    assert (summary.total("dropped"), summary.total("dropped_again")) == (0, 1)
    found = record(app, trainee, course_id)
    assert (found["dropped_at"], found["stage"], found["returned_at"]) == (
        gone, "practising", None)
    assert len(dropped_events(app)) == 1  # once per trainee and course
    assert refresh(app, gone + 2 * DAY).changes == 0


def test_leaving_the_course_is_a_dropout_with_reason_withdrew(app, make_user, course_id):
    trainee, other = make_user(), make_user()
    t0 = enrol(app, trainee, course_id)
    enrol(app, other, course_id)
    act(app, trainee, course_id, t0 + DAY, "manual_opened")
    act(app, other, course_id, t0 + DAY, "manual_opened")
    left = t0 + 2 * DAY
    with app.app_context():
        enrolment.withdraw(db.session.get(User, trainee.id), db.session.get(Course, course_id),
                           left)
        db.session.commit()
    assert state(app, trainee, course_id, left).state == State.WITHDRAWN
    assert state(app, other, course_id, left).state == State.ACTIVE

    summary = refresh(app, left + timedelta(minutes=5))
    assert summary.total("dropped") == 1  # the other trainee is still within the window
    found = record(app, trainee, course_id)
    assert (found["dropped_at"], found["reason"], found["stage"]) == (left, "withdrew",
                                                                      "reading")
    [event] = dropped_events(app)
    assert (event["user_id"], event["reason"], event["dropped_at"]) == (
        trainee.id, "withdrew", iso(left))
    assert refresh(app, left + DAY).changes == 0


def test_going_quiet_then_leaving_updates_the_record_without_a_second_event(
        app, make_user, course_id):
    trainee = make_user()
    t0 = enrol(app, trainee, course_id)
    refresh(app, t0 + 8 * DAY)
    with app.app_context():
        enrolment.withdraw(db.session.get(User, trainee.id), db.session.get(Course, course_id),
                           t0 + 9 * DAY)
        db.session.commit()
    summary = refresh(app, t0 + 10 * DAY)
    assert summary.total("changed") + summary.total("dropped_again") == 1
    found = record(app, trainee, course_id)
    assert (found["reason"], found["dropped_at"]) == ("withdrew", t0 + 9 * DAY)
    assert len(dropped_events(app)) == 1


def test_enrolling_again_after_leaving_is_a_return(app, make_user, course_id):
    trainee = make_user()
    enrol(app, trainee, course_id)
    with app.app_context():
        user, course = db.session.get(User, trainee.id), db.session.get(Course, course_id)
        enrolment.withdraw(user, course)
        dropout.refresh(_now(), course_id)
        db.session.commit()
        assert enrolment.enrollment_of(trainee.id, course_id) is None
    assert record(app, trainee, course_id)["reason"] == "withdrew"
    enrol(app, trainee, course_id)  # the same enrolment comes back
    with app.app_context():
        rows = db.session.scalars(select(Enrollment).where(
            Enrollment.user_id == trainee.id)).all()
        assert len(rows) == 1 and rows[0].withdrawn_at is None
    now = _now() + timedelta(minutes=1)
    assert state(app, trainee, course_id, now).state == State.ACTIVE
    assert refresh(app, now).total("returned") == 1
    assert record(app, trainee, course_id)["returned_at"] is not None
    assert len(dropped_events(app)) == 1


def test_a_qualified_trainee_is_never_dropped(app, make_user):
    world = make_world(app, make_user)  # validity 30 days
    with app.app_context():
        take(world)
        assert qualifications.status_of(world.trainee.id, world.course_id) == (
            QualificationStatus.QUALIFIED)
    now = _now()
    for later in (8, 40, 400):
        assert refresh(app, now + later * DAY).total("dropped") == 0
        assert state(app, world.trainee, world.course_id, now + later * DAY).state == (
            State.QUALIFIED)
    with app.app_context():  # the qualification lapses: they still finished the course
        assert qualifications.expire_due(now + 31 * DAY) == 1
        db.session.commit()
    assert refresh(app, now + 60 * DAY).total("dropped") == 0
    assert record(app, world.trainee, world.course_id) is None
    assert dropped_events(app) == []


def test_the_stage_reached_comes_from_attempts_and_the_qualification(app, make_user):
    world = make_world(app, make_user)  # two attempts, an hour apart
    failing = {f"{k}-{n}" for k in ("shoe", "hat", "towel") for n in range(3)}
    now = _now()
    with app.app_context():
        take(world, wrong=failing, now=now)
    assert state(app, world.trainee, world.course_id, now + DAY).stage == Stage.EXAMINED
    with app.app_context():
        take(world, wrong=failing, now=now + 2 * timedelta(hours=1))
    found = state(app, world.trainee, world.course_id, now + 30 * DAY)
    assert (found.stage, found.state) == (Stage.FAILED, State.DROPPED)
    refresh(app, now + 30 * DAY)
    assert record(app, world.trainee, world.course_id)["stage"] == "failed"
    [event] = dropped_events(app)
    assert event["stage"] == "failed"


def test_staff_and_admins_are_never_counted(app, make_user, course_id):
    instructor, admin, trainee = make_user(Role.INSTRUCTOR), make_user(Role.ADMIN), make_user()
    with app.app_context():
        staff.appoint(db.session.get(Course, course_id), db.session.get(User, instructor.id),
                      StaffRole.INSTRUCTOR, None)
        db.session.commit()
    t0 = min(enrol(app, user, course_id) for user in (instructor, admin, trainee))
    summary = refresh(app, t0 + 30 * DAY)
    assert (summary.total("trainees"), summary.total("dropped")) == (1, 1)
    assert [e["user_id"] for e in dropped_events(app)] == [trainee.id]
    assert state(app, instructor, course_id, t0 + 30 * DAY) is None
    assert state(app, admin, course_id, t0 + 30 * DAY) is None


def test_the_window_is_the_courses_and_one_course_can_be_refreshed_alone(
        app, make_user, course_id):
    other_id = make_course(app, make_user(Role.INSTRUCTOR), "other-course")
    with app.app_context():
        db.session.get(Course, course_id).dropout_window_days = 3
        db.session.commit()
    trainee = make_user()
    t0 = enrol(app, trainee, course_id)
    enrol(app, trainee, other_id)
    summary = refresh(app, t0 + 4 * DAY, course_id)
    assert [c.slug for c in summary.courses] == [SLUG]
    assert record(app, trainee, course_id)["dropped_at"] == t0 + 3 * DAY
    assert record(app, trainee, other_id) is None  # 7 days there, and not refreshed
    assert refresh(app, t0 + 4 * DAY).total("dropped") == 0


def test_activity_lists_match_the_progress_table():
    """The progress table and the dropout records agree on what counts as activity."""
    assert dropout.ACTIVITY_EVENTS == progress.ACTIVITY_EVENTS


def test_state_of_writes_nothing_and_is_none_for_strangers(app, make_user, course_id):
    from tests.exams.test_reads_never_write import counting_writes

    trainee, stranger = make_user(), make_user()
    t0 = enrol(app, trainee, course_id)
    with app.app_context(), counting_writes() as writes:
        assert dropout.state_of(trainee.id, course_id, t0 + 30 * DAY).state == State.DROPPED
        assert dropout.state_of(stranger.id, course_id, t0) is None
    assert writes == []


# The command line.


def cli(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["graders", "refresh", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_command_records_dropouts_and_says_what_it_did(app, make_user, course_id):
    trainee = make_user()
    with app.app_context():  # enrolled (by hand, without the event) three weeks ago; never came
        db.session.add(Enrollment(user_id=trainee.id, course_id=course_id,
                                  source=enrolment.EnrollmentSource.SELF,
                                  created_at=_now() - 21 * DAY))
        db.session.commit()
    output = cli(app)
    assert (f"{SLUG}: 1 trainee(s); 1 newly dropped (1 trainee.dropped event(s)), "
            "0 dropped again, 0 record(s) updated, 0 came back.") in output
    assert "1 course(s) refreshed; 1 change(s), 1 trainee.dropped event(s)." in output
    again = cli(app, "--course", SLUG)
    assert again.endswith("1 course(s) refreshed; 0 change(s), 0 trainee.dropped event(s).\n")
    assert len(dropped_events(app)) == 1


def test_the_command_refuses_an_unknown_course(app):
    result = app.test_cli_runner().invoke(args=["graders", "refresh", "--course", "nope"])
    assert result.exit_code == 2
    assert "No course has the slug 'nope'" in result.output


# Two refreshes at once (PostgreSQL: SQLite serialises writers).


def test_two_refreshes_at_once_write_one_record_and_one_event_each(racing_app, app, make_user,
                                                                     course_id):
    trainees = [make_user() for _ in range(12)]
    t0 = min(enrol(racing_app, trainee, course_id) for trainee in trainees)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(n: int) -> None:
        with racing_app.app_context():
            barrier.wait()
            try:
                summary = dropout.refresh(t0 + 8 * DAY)
                db.session.commit()
                results[n] = summary.total("dropped")
            except Exception as exc:  # noqa: BLE001 - an exception is what the test looks for
                results[n] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(results) == 12, results  # each trainee's record landed once, in one of them
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Dropout)) == 12
        per_trainee = db.session.execute(
            select(OutboxEvent.user_id, func.count()).where(
                OutboxEvent.type == "trainee.dropped").group_by(OutboxEvent.user_id)).all()
    assert sorted(count for _, count in per_trainee) == [1] * 12
