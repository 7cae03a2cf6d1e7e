"""Qualification reads for the API, batched: a constant number of queries however many rows.

A platform asks thousands of times a minute, so nothing here runs a query per course or per
worker. The main query brings each row's course, record, the manual version it was granted
under, the course's current version and its stored exam settings; the attempts behind
`retry_available_at` and the reading that makes a trainee "in training" before any record
exists are then fetched once for all rows that need them. The status is the one
exams.services.qualifications.shown_status gives (a lapse the sweep has not applied yet shows
as expired) and the retry time follows exams.services.attempts' own rules: reads never write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import aliased

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.types import UTCDateTime
from courses.models import Course, CourseStatus, Enrollment, ManualVersion, VersionStatus
from exams.models import Attempt, AttemptState, ExamSettings, Qualification
from exams.rules import DEFAULTS
from exams.services.attempts import exhausted, next_kind, retry_time
from exams.services.qualifications import STARTED_EVENTS, Status, shown_status

# Statuses whose next attempt may wait for the retry delay (the others have none to wait for).
RETRY_STATUSES = (Status.NOT_STARTED, Status.IN_TRAINING, Status.NEEDS_REFRESH, Status.EXPIRED)


@dataclass(frozen=True)
class Row:
    """One (worker, course) as the main query found it."""

    user_id: int
    course: Course
    qualification: Qualification | None
    granted_under: int | None  # the number of the manual version it was granted under
    current_version: int | None
    settings: ExamSettings | None  # None: the course keeps the default rules
    enrolled_at: datetime | None


def current_version_column(course_id: ColumnElement) -> ColumnElement:
    """The course's latest published manual version number, as a correlated subquery."""
    return (select(func.max(ManualVersion.number))
            .where(ManualVersion.course_id == course_id,
                   ManualVersion.status == VersionStatus.PUBLISHED)
            .scalar_subquery())


def _granted_version() -> type[ManualVersion]:
    """ManualVersion under another name: the version a record was granted under."""
    return aliased(ManualVersion)


def worker_rows(user_id: int) -> list[Row]:
    """Every course the worker is enrolled in or has a record for, by slug: one query."""
    granted = _granted_version()
    query = (
        select(Course, Qualification, granted.number, current_version_column(Course.id),
               ExamSettings, Enrollment.created_at)
        .outerjoin(Enrollment, (Enrollment.course_id == Course.id)
                   & (Enrollment.user_id == user_id))
        .outerjoin(Qualification, (Qualification.course_id == Course.id)
                   & (Qualification.user_id == user_id))
        .outerjoin(granted, granted.id == Qualification.manual_version_id)
        .outerjoin(ExamSettings, ExamSettings.course_id == Course.id)
        .where(or_(Enrollment.id.is_not(None), Qualification.id.is_not(None)))
        .order_by(Course.slug))
    return [Row(user_id, *found) for found in db.session.execute(query).all()]


def course_rows(course: Course, user_ids: Iterable[int]) -> dict[int, Row]:
    """The rows of these workers in one course, by user id (those with neither an enrolment
    nor a record get one too): one query."""
    user_ids = list(set(user_ids))
    if not user_ids:
        return {}
    granted = _granted_version()
    found = db.session.execute(
        select(Qualification, granted.number)
        .outerjoin(granted, granted.id == Qualification.manual_version_id)
        .where(Qualification.course_id == course.id, Qualification.user_id.in_(user_ids))).all()
    records = {qualification.user_id: (qualification, number) for qualification, number in found}
    enrolled = dict(db.session.execute(
        select(Enrollment.user_id, Enrollment.created_at)
        .where(Enrollment.course_id == course.id, Enrollment.user_id.in_(user_ids))).all())
    extra = db.session.execute(
        select(current_version_column(Course.id), ExamSettings)
        .select_from(Course).outerjoin(ExamSettings, ExamSettings.course_id == Course.id)
        .where(Course.id == course.id)).one()
    return {user_id: Row(user_id, course, *records.get(user_id, (None, None)), *extra,
                         enrolled.get(user_id))
            for user_id in user_ids}


def sync_query(client_id: int) -> Select:
    """The bulk sync's rows: qualification records of this client's linked workers."""
    from bootcamp.api.models import WorkerLink

    granted = _granted_version()
    return (select(Qualification, WorkerLink.external_id, Course, granted.number,
                   current_version_column(Course.id), ExamSettings)
            .join(WorkerLink, (WorkerLink.user_id == Qualification.user_id)
                  & (WorkerLink.client_id == client_id))
            .join(Course, Course.id == Qualification.course_id)
            .outerjoin(granted, granted.id == Qualification.manual_version_id)
            .outerjoin(ExamSettings, ExamSettings.course_id == Course.id))


def shown_status_is(status: Status, now: datetime) -> ColumnElement[bool]:
    """A condition on Qualification that holds when shown_status(record, now) is `status`."""
    q = Qualification
    lapsed_validity = and_(q.status == Status.QUALIFIED, q.expires_at <= now)
    lapsed_refresh = and_(q.status == Status.NEEDS_REFRESH, q.refresh_due_at <= now)
    if status == Status.EXPIRED:
        return or_(q.status == Status.EXPIRED, lapsed_validity, lapsed_refresh)
    if status == Status.QUALIFIED:
        return and_(q.status == status, or_(q.expires_at.is_(None), q.expires_at > now))
    if status == Status.NEEDS_REFRESH:
        return and_(q.status == status,
                    or_(q.refresh_due_at.is_(None), q.refresh_due_at > now))
    return q.status == status


@dataclass(frozen=True)
class AttemptStats:
    used: dict[tuple[int, int, int, str], int]  # (user, course, cycle, kind) -> attempts
    last_failed: dict[tuple[int, int, int], datetime]  # (user, course, cycle) -> submitted


def attempt_stats(rows: Iterable[Row]) -> AttemptStats:
    """Attempt counts and latest failures of the rows whose retry time may matter: one query,
    none when no row needs it."""
    wanted = [row for row in rows if row.qualification is not None
              and row.qualification.status in RETRY_STATUSES]
    if not wanted:
        return AttemptStats({}, {})
    failed_at = case((and_(Attempt.state == AttemptState.GRADED, Attempt.passed.is_(False)),
                      Attempt.submitted_at))
    found = db.session.execute(
        select(Attempt.user_id, Attempt.course_id, Attempt.cycle, Attempt.kind, func.count(),
               type_coerce(func.max(failed_at), UTCDateTime()))
        .where(Attempt.user_id.in_({row.user_id for row in wanted}),
               Attempt.course_id.in_({row.course.id for row in wanted}))
        .group_by(Attempt.user_id, Attempt.course_id, Attempt.cycle, Attempt.kind)).all()
    used: dict[tuple[int, int, int, str], int] = {}
    last_failed: dict[tuple[int, int, int], datetime] = {}
    for user_id, course_id, cycle, kind, count, failed in found:
        used[(user_id, course_id, cycle, str(kind))] = count
        key = (user_id, course_id, cycle)
        if failed is not None and (key not in last_failed or failed > last_failed[key]):
            last_failed[key] = failed
    return AttemptStats(used, last_failed)


def started_pairs(rows: Iterable[Row]) -> set[tuple[int, int]]:
    """(user, course) of rows without a record whose trainee has read or practised: one
    query, none when every row has a record."""
    without = [row for row in rows if row.qualification is None]
    if not without:
        return set()
    found = db.session.execute(
        select(Event.user_id, Event.course_id).distinct()
        .where(Event.user_id.in_({row.user_id for row in without}),
               Event.course_id.in_({row.course.id for row in without}),
               Event.kind.in_(STARTED_EVENTS))).all()
    return {(user_id, course_id) for user_id, course_id in found}


def retry_available_at(row: Row, status: Status, stats: AttemptStats,
                       now: datetime) -> datetime | None:
    """When the worker's next attempt may start; None when it may now, or none is left."""
    qualification = row.qualification
    if (qualification is None or status not in RETRY_STATUSES
            or row.course.status != CourseStatus.OPEN):
        return None
    if status != qualification.status:  # a lapse not applied yet: expiry starts a new cycle
        return None
    kind = next_kind(qualification.status)
    allowed = row.settings.attempts_allowed if row.settings else DEFAULTS.attempts_allowed
    delay = (row.settings.retry_delay_seconds if row.settings
             else DEFAULTS.retry_delay_seconds)
    cycle = (row.user_id, row.course.id, qualification.cycle)
    if exhausted(qualification.status, kind, stats.used.get((*cycle, str(kind)), 0), allowed):
        return None
    return retry_time(stats.last_failed.get(cycle), delay, now)


def standing(row: Row, started: set[tuple[int, int]], stats: AttemptStats,
             now: datetime) -> dict:
    """The row as the API's Standing: a plain dict, the shape of schemas.Standing."""
    qualification = row.qualification
    status = shown_status(qualification, (row.user_id, row.course.id) in started, now)
    return {
        "course": row.course.slug,
        "course_title": row.course.title,
        "status": status.value,
        "score": qualification.score if qualification else None,
        "manual_version": row.granted_under,
        "current_manual_version": row.current_version,
        "granted_at": qualification.granted_at if qualification else None,
        "expires_at": qualification.expires_at if qualification else None,
        "refresh_due_at": qualification.refresh_due_at if qualification else None,
        "retry_available_at": retry_available_at(row, status, stats, now),
        "updated_at": (qualification.updated_at if qualification
                       else row.enrolled_at or row.course.created_at),
    }


def standings(rows: list[Row], now: datetime) -> list[dict]:
    """Every row's standing, with the two batched look-ups they need."""
    started, stats = started_pairs(rows), attempt_stats(rows)
    return [standing(row, started, stats, now) for row in rows]
