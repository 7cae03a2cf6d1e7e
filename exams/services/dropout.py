"""Dropout records: who left a course unqualified, when, at which stage, and who came back.

The rule itself is graders.dropout's (pure, tested on its own); this module gathers the facts
it needs with SQL, one grouped query per course, and keeps one `Dropout` row per trainee and
course (exams.models.Dropout):

- `refresh(now)` (the `bootcamp graders refresh` cron) writes: a trainee the rule finds dropped
  or withdrawn gets a row, and the first time only a `trainee.dropped` outbox event; a trainee
  with activity after the dropout date gets `returned_at`; a returned trainee who drops out
  again reuses the row, with no second event. Running it twice changes nothing the second time.
- `state_of(user_id, course_id, now)` reads one trainee's state for a page and writes nothing.

What counts, and why (docs/statistics.md, "Dropout" and "Stages"):

- Trainees: enrolled users who are neither on the course's staff nor admins.
- Activity: the trainee's own events in the course (ACTIVITY_EVENTS, the same list as the
  progress table's) and their saved exam answers; not what the system does to them (a
  qualification changing, a regrade), nor the "leave" click. Without any, inactivity runs
  from the enrolment.
- Qualified: holds or held the qualification, i.e. it was granted and no regrade took the pass
  back (`Qualification.granted_at` is set; a regrade that fails the granting attempt clears it).
  That covers qualified and needs refresh, and also expired and revoked after a grant: a
  trainee who finished the course has not dropped out of it when their qualification later
  lapses. The qualification date for the rule is `granted_at`.
- Stage reached (graders.activity.stage_reached): reading = a manual_opened or section_read
  event; practising = a practice_answered event; examined = a graded exam attempt; qualified as
  above; failed = the qualification's status is failed (every attempt of the cycle used).
- Withdrawn: `Enrollment.withdrawn_at` (the "Leave this course" action); the dropout date is
  the withdrawal time, the reason "withdrew".

Concurrency: the first record is an INSERT ... ON CONFLICT DO NOTHING on the (user, course)
unique key, and only the transaction whose insert lands writes the event; later changes are
UPDATEs guarded by the values they expect, so two refreshes at once (two cron hosts) write one
row and one event. Services flush, never commit: the CLI commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.outbox import record_outbox
from bootcamp.types import UTCDateTime
from bootcamp.users.models import Role, User
from courses.models import Course, CourseStaff, Enrollment, PracticeAnswer
from exams.models import (
    Attempt,
    AttemptState,
    Dropout,
    Qualification,
    QualificationStatus,
    Response,
)
from exams.services import qualifications
from graders.activity import Stage, stage_reached
from graders.dropout import CohortPractice, DropoutStatus, Enrolment, State, dropout_status

# What the trainee did themselves in the course (the same list as exams.services.progress):
# changes made to them (a qualification changed by an instructor or the sweep, a regrade) are
# not activity, nor is leaving the course. Saved exam answers count too (Response.saved_at).
ACTIVITY_EVENTS = ("enrolled", "manual_opened", "section_read", "practice_answered",
                   "exam_started", "exam_submitted", "item_disputed")
READING_EVENTS = ("manual_opened", "section_read")
PRACTICE_EVENTS = ("practice_answered",)
LEFT_EVENT = "course_left"
DROPPED_STATES = (State.DROPPED, State.WITHDRAWN)
EVENT_TYPE = "trainee.dropped"


class Reason:
    INACTIVE = "inactive"
    WITHDREW = "withdrew"


@dataclass(frozen=True)
class Facts:
    """One trainee's facts in one course, as the grouped query finds them."""

    user_id: int
    enrolled_at: datetime
    withdrawn_at: datetime | None
    last_activity: datetime | None
    qualified_at: datetime | None
    stage: Stage
    record: Dropout | None
    came_back_at: datetime | None  # the first activity after the record's dropout date


@dataclass
class CourseRefresh:
    """What one course's refresh did."""

    slug: str
    trainees: int = 0
    dropped: int = 0  # first records, each with its trainee.dropped event
    dropped_again: int = 0  # records reused (came back, then left again), no event
    changed: int = 0  # records whose date or reason moved (a withdrawal after going quiet)
    returned: int = 0  # records given returned_at

    @property
    def events(self) -> int:
        return self.dropped

    def line(self) -> str:
        return (f"{self.slug}: {self.trainees} trainee(s); {self.dropped} newly dropped "
                f"({self.events} trainee.dropped event(s)), {self.dropped_again} dropped again, "
                f"{self.changed} record(s) updated, {self.returned} came back.")


@dataclass
class RefreshSummary:
    """What a refresh did, per course."""

    now: datetime
    courses: list[CourseRefresh] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(course, name) for course in self.courses)

    @property
    def changes(self) -> int:
        return sum(self.total(name) for name in ("dropped", "dropped_again", "changed",
                                                 "returned"))


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _trainee_condition(course_id: int) -> ColumnElement[bool]:
    """Enrolled users who are not the course's staff nor admins."""
    staff = exists().where(CourseStaff.course_id == course_id,
                           CourseStaff.user_id == Enrollment.user_id)
    return and_(Enrollment.course_id == course_id, User.role != Role.ADMIN, ~staff)


def _facts(course_id: int, user_id: int | None = None) -> list[Facts]:
    """Every trainee's facts in the course (or one trainee's), in one statement: the events
    and graded attempts grouped per trainee, joined to enrolments, qualifications and records."""
    when = type_coerce  # keep UTCDateTime's result processing on aggregates (SQLite strings)
    activity = select(
        Event.user_id.label("user_id"),
        when(func.max(Event.created_at), UTCDateTime()).label("last"),
        func.max(case((Event.kind.in_(READING_EVENTS), 1), else_=0)).label("read"),
        func.max(case((Event.kind.in_(PRACTICE_EVENTS), 1), else_=0)).label("practised"),
        when(func.min(case((Event.created_at > Dropout.dropped_at, Event.created_at))),
             UTCDateTime()).label("came_back"),
    ).outerjoin(Dropout, (Dropout.user_id == Event.user_id)
                & (Dropout.course_id == Event.course_id)).where(
        Event.course_id == course_id, Event.kind.in_(ACTIVITY_EVENTS),
        Event.user_id.is_not(None))
    # Exams: graded attempts (the stage), and the latest saved answer (activity; an answer
    # saved after a dropout date is a return like any event).
    examined = select(
        Attempt.user_id.label("user_id"),
        func.count(func.distinct(case((Attempt.state == AttemptState.GRADED, Attempt.id))))
        .label("graded"),
        when(func.max(Response.saved_at), UTCDateTime()).label("saved"),
        when(func.min(case((Response.saved_at > Dropout.dropped_at, Response.saved_at))),
             UTCDateTime()).label("saved_back"),
    ).outerjoin(Response, Response.attempt_id == Attempt.id).outerjoin(
        Dropout, (Dropout.user_id == Attempt.user_id) & (Dropout.course_id == Attempt.course_id)
    ).where(Attempt.course_id == course_id)
    if user_id is not None:
        activity = activity.where(Event.user_id == user_id)
        examined = examined.where(Attempt.user_id == user_id)
    activity = activity.group_by(Event.user_id).subquery()
    examined = examined.group_by(Attempt.user_id).subquery()
    query = (
        select(Enrollment.user_id, Enrollment.created_at, Enrollment.withdrawn_at,
               activity.c.last, activity.c.read, activity.c.practised, activity.c.came_back,
               examined.c.graded, examined.c.saved, examined.c.saved_back,
               Qualification.status, Qualification.granted_at, Dropout)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(activity, activity.c.user_id == Enrollment.user_id)
        .outerjoin(examined, examined.c.user_id == Enrollment.user_id)
        .outerjoin(Qualification, (Qualification.user_id == Enrollment.user_id)
                   & (Qualification.course_id == course_id))
        .outerjoin(Dropout, (Dropout.user_id == Enrollment.user_id)
                   & (Dropout.course_id == course_id))
        .where(_trainee_condition(course_id))
        .order_by(Enrollment.user_id))
    if user_id is not None:
        query = query.where(Enrollment.user_id == user_id)
    found = []
    for row in db.session.execute(query):
        qualified = qualified_at(row.granted_at)
        failed = row.status == QualificationStatus.FAILED
        stage = stage_reached(opened_manual=bool(row.read), practised=bool(row.practised),
                              examined=bool(row.graded), qualified=qualified is not None,
                              failed=failed)
        found.append(Facts(row.user_id, _utc(row.created_at), _utc(row.withdrawn_at),
                           _latest(row.last, row.saved), qualified, stage, row.Dropout,
                           _earliest(row.came_back, row.saved_back)))
    return found


def _latest(*moments: datetime | None) -> datetime | None:
    known = [_utc(moment) for moment in moments if moment is not None]
    return max(known) if known else None


def _earliest(*moments: datetime | None) -> datetime | None:
    known = [_utc(moment) for moment in moments if moment is not None]
    return min(known) if known else None


def qualified_at(granted_at: datetime | None) -> datetime | None:
    """When the trainee qualified, for the dropout rule, or None if they never did.

    Holding or having held the qualification counts: it was granted and no regrade took the
    pass back (a regrade that fails the granting attempt clears granted_at). So qualified and
    needs refresh count, and so do expired and revoked after a grant: a trainee who finished
    the course has not dropped out of it when the qualification later lapses (the retention
    curve censors them at their qualification date, docs/statistics.md). Every grant sets
    granted_at, so a qualified or needs-refresh status always has one.
    """
    return _utc(granted_at)


def status_of(facts: Facts, now: datetime, window: timedelta,
              cohort: CohortPractice | None = None, practice: tuple[int, int] = (0, 0)
              ) -> DropoutStatus:
    """graders.dropout's rule on the gathered facts."""
    return dropout_status(Enrolment(
        enrolled_at=facts.enrolled_at, last_activity=facts.last_activity,
        qualified_at=facts.qualified_at, withdrawn_at=facts.withdrawn_at, stage=facts.stage,
        practice_answers=practice[0], practice_correct=practice[1],
    ), now, window=window, cohort=cohort)


def window_of(course: Course) -> timedelta:
    return timedelta(days=course.dropout_window_days or 7)


def _insert_record(course: Course, facts: Facts, status: DropoutStatus, reason: str,
                   now: datetime) -> bool:
    """The first record of this trainee in this course; False when another transaction
    (a concurrent refresh) wrote it first."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    inserted = db.session.execute(insert(Dropout).values(
        user_id=facts.user_id, course_id=course.id, dropped_at=status.dropped_at,
        stage=str(status.stage), reason=reason, recorded_at=now, returned_at=None,
    ).on_conflict_do_nothing(index_elements=["user_id", "course_id"])
        .returning(Dropout.id)).scalar()
    return inserted is not None


def _publish(course: Course, facts: Facts, status: DropoutStatus, reason: str) -> None:
    """The trainee.dropped event, in this transaction (the outbox). The qualification row, if
    any, is locked first, as every writer of this trainee's events does, so that the events'
    sequence numbers follow each other."""
    qualifications.qualification_of(facts.user_id, course.id, lock=True)
    record_outbox(EVENT_TYPE, user_id=facts.user_id, course_id=course.id, data={
        "course": course.slug, "stage": str(status.stage), "reason": reason,
        "dropped_at": _iso(status.dropped_at),
        "last_activity_at": _iso(_latest(facts.last_activity, facts.enrolled_at))})


def _guarded_update(record: Dropout, values: dict, *expected: ColumnElement[bool]) -> bool:
    """Update the record only if it still holds what this refresh read (another refresh may
    have changed it meanwhile); True when this one did."""
    done = db.session.execute(
        update(Dropout).where(Dropout.id == record.id, *expected).values(**values)
        .returning(Dropout.id)).scalar()
    return done is not None


def _refresh_course(course: Course, now: datetime, user_id: int | None = None) -> CourseRefresh:
    result = CourseRefresh(course.slug)
    window = window_of(course)
    for facts in _facts(course.id, user_id):
        result.trainees += 1
        status = status_of(facts, now, window)
        record = facts.record
        if status.state in DROPPED_STATES:
            reason = Reason.WITHDREW if status.state == State.WITHDRAWN else Reason.INACTIVE
            values = {"dropped_at": status.dropped_at, "stage": str(status.stage),
                      "reason": reason, "recorded_at": now, "returned_at": None}
            if record is None:
                if _insert_record(course, facts, status, reason, now):
                    _publish(course, facts, status, reason)
                    result.dropped += 1
            elif record.returned_at is not None:
                if _guarded_update(record, values, Dropout.returned_at.is_not(None)):
                    result.dropped_again += 1
            elif _utc(record.dropped_at) != status.dropped_at or record.reason != reason:
                # Went quiet, then clicked "leave"; or the window changed. The stage stays the
                # one reached by the dropout unless the dropout itself moved.
                if _guarded_update(record, values, Dropout.returned_at.is_(None),
                                   Dropout.dropped_at == record.dropped_at,
                                   Dropout.reason == record.reason):
                    result.changed += 1
        elif record is not None and record.returned_at is None and facts.came_back_at:
            if _guarded_update(record, {"returned_at": facts.came_back_at},
                               Dropout.returned_at.is_(None),
                               Dropout.dropped_at == record.dropped_at):
                result.returned += 1
    db.session.flush()
    return result


def refresh(now: datetime, course_id: int | None = None,
            user_id: int | None = None) -> RefreshSummary:
    """Record dropouts and returns in every course (or one; or one trainee's), as of `now`.

    Only the first dropout of a trainee in a course emits `trainee.dropped`; a window made
    longer leaves existing records as they are (they were dropped under the old one) until
    the trainee comes back or drops out under the new window.
    """
    summary = RefreshSummary(now)
    query = select(Course).order_by(Course.slug)
    if course_id is not None:
        query = query.where(Course.id == course_id)
    for course in db.session.scalars(query).all():
        summary.courses.append(_refresh_course(course, now, user_id))
    db.session.expire_all()  # the records changed by the UPDATEs above
    return summary


def _practice(course_id: int, user_ids: Iterable[int] | None) -> tuple[int, int]:
    """Practice answers and correct ones (every try counts) of these trainees."""
    query = select(func.count(), func.coalesce(func.sum(case((PracticeAnswer.correct, 1),
                                                             else_=0)), literal(0))).where(
        PracticeAnswer.course_id == course_id)
    if user_ids is not None:
        query = query.where(PracticeAnswer.user_id.in_(user_ids))
    answers, correct = db.session.execute(query).one()
    return int(answers or 0), int(correct or 0)


def state_of(user_id: int, course_id: int, now: datetime) -> DropoutStatus | None:
    """The trainee's state in the course at `now`, from the facts, without writing anything:
    active, at risk, dropped, withdrawn or qualified. None when they are not a trainee of the
    course (never enrolled, or on its staff).

    At risk by accuracy compares the trainee's practice answers with those of their cohort (the
    enrolled trainees of the same cohort, or of the whole course when they are in none).
    """
    facts = _facts(course_id, user_id)
    if not facts:
        return None
    course = db.session.get(Course, course_id)
    enrollment = db.session.scalar(select(Enrollment).where(
        Enrollment.user_id == user_id, Enrollment.course_id == course_id))
    peers = select(Enrollment.user_id).join(User, User.id == Enrollment.user_id).where(
        _trainee_condition(course_id))
    if enrollment.cohort_id is not None:
        peers = peers.where(Enrollment.cohort_id == enrollment.cohort_id)
    mine = _practice(course_id, [user_id])
    cohort = CohortPractice(*_practice(course_id, peers)) if mine[0] else None
    return status_of(facts[0], now, window_of(course), cohort, mine)
