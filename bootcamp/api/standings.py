"""Qualification reads for the API, batched: a constant number of queries however many rows.

A platform asks thousands of times a minute, so nothing here runs a query per course or per
worker. The two hot reads are one SQL statement each (WORKER_STANDINGS for a worker's lookup,
COURSE_STANDINGS for the batch check, after COURSE): the link, every course's record, the
manual version it was granted under, the course's current version and exam settings, the
attempts behind `retry_available_at` and the reading that makes a trainee "in training" before
any record exists, in one round trip, as plain columns. The bulk sync pages ORM rows
(sync_query) and fetches the attempts and readings once for all rows that need them
(standings). Either way the status is the one exams.services.qualifications.shown_status gives
(a lapse the sweep has not applied yet shows as expired) and the retry time follows
exams.services.attempts' own rules (retry_after): reads never write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    TextClause,
    TextualSelect,
    and_,
    bindparam,
    case,
    column,
    func,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import aliased

from bootcamp.api import session_reads_in_autocommit
from bootcamp.api.fixed_reads import fetch_all
from bootcamp.api.workers import CONTROL, linked_user_id
from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.types import UTCDateTime
from courses.models import Course, CourseStatus, ManualVersion, VersionStatus
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


# The two hot reads, one SQL statement each, written out once: the same text every time, so
# PostgreSQL prepares it after a few runs; plain column rows come back, no ORM objects (the
# lookup's on the driver's own cursor, fixed_reads.fetch_all: no Session, no Result). They
# run on PostgreSQL and SQLite alike; the rules stay in Python (shown_status, retry_after).
# Courses are few: each is tried against the worker's enrolment and record through unique
# indexes ((client_id, external_id), (user_id, course_id), primary keys), and the subqueries
# probe indexes too: (user_id, course_id, cycle, kind, number) on attempts, (user_id,
# created_at) on events. `q.id IS NULL` sits inside the events EXISTS on purpose: PostgreSQL
# then probes per row without a record, where it would otherwise hash the whole events table
# for a batch of a thousand.
# The values they spell out are those of VersionStatus, Status, AttemptKind, AttemptState and
# STARTED_EVENTS; tests/api/test_lookup_statements.py checks that they still are.

# A worker's standing in every course they are enrolled in or have a record for, by slug,
# with what retry_after needs: how many attempts of the record's cycle are of the kind it
# would take next, and when the cycle's latest failed attempt was graded. No row: the client
# has not linked this id, or the worker is in no course (worker_standings tells which).
WORKER_STANDINGS = text("""
SELECT c.slug, c.title, c.status AS course_status, c.created_at AS course_created_at,
       (SELECT max(v.number) FROM manual_versions v
        WHERE v.course_id = c.id AND v.status = 'published') AS current_version,
       s.id IS NOT NULL AS has_settings, s.attempts_allowed, s.retry_delay_seconds,
       e.created_at AS enrolled_at, q.status, q.cycle, q.score, q.granted_at, q.expires_at,
       q.refresh_due_at, q.updated_at, granted.number AS granted_under,
       -- no record yet: has the trainee read or practised? (in training, else not started)
       EXISTS (SELECT 1 FROM events ev
               WHERE q.id IS NULL AND ev.user_id = w.user_id AND ev.course_id = c.id
               AND ev.kind IN ('manual_opened', 'section_read', 'practice_answered'))
       AS started,
       (SELECT count(*) FROM attempts a
        WHERE a.user_id = w.user_id AND a.course_id = c.id AND a.cycle = q.cycle
        AND CASE WHEN q.status = 'needs_refresh' THEN a.kind = 'refresh'
                 ELSE a.kind = 'qualification' END) AS attempts_used,
       (SELECT max(a.submitted_at) FROM attempts a
        WHERE a.user_id = w.user_id AND a.course_id = c.id AND a.cycle = q.cycle
        AND a.state = 'graded' AND a.passed = false) AS last_failed_at
FROM worker_links w
CROSS JOIN courses c
LEFT JOIN enrollments e ON e.user_id = w.user_id AND e.course_id = c.id
LEFT JOIN qualifications q ON q.user_id = w.user_id AND q.course_id = c.id
LEFT JOIN manual_versions granted ON granted.id = q.manual_version_id
LEFT JOIN exam_settings s ON s.course_id = c.id
WHERE w.client_id = :client_id AND w.external_id = :external_id
  AND (e.id IS NOT NULL OR q.id IS NOT NULL)
ORDER BY c.slug
""")

# One course for the batch check, with its current manual version; no row: no such course.
COURSE = text("""
SELECT c.id, c.slug, c.title, c.status AS course_status, c.created_at AS course_created_at,
       (SELECT max(v.number) FROM manual_versions v
        WHERE v.course_id = c.id AND v.status = 'published') AS current_version
FROM courses c WHERE c.slug = :slug
""")

# The batch check: each of these ids the client has linked, with its record in the course.
# PostgreSQL takes the ids as one array parameter (the statement stays short and the same, so
# psycopg prepares it and need not parse a thousand placeholders); SQLite as a list.
_COURSE_STANDINGS = """
SELECT w.external_id,
       e.created_at AS enrolled_at, q.status, q.score, q.granted_at, q.expires_at,
       q.refresh_due_at, q.updated_at, granted.number AS granted_under,
       EXISTS (SELECT 1 FROM events ev
               WHERE q.id IS NULL AND ev.user_id = w.user_id AND ev.course_id = c.id
               AND ev.kind IN ('manual_opened', 'section_read', 'practice_answered'))
       AS started
FROM worker_links w
JOIN courses c ON c.id = :course_id
LEFT JOIN enrollments e ON e.user_id = w.user_id AND e.course_id = c.id
LEFT JOIN qualifications q ON q.user_id = w.user_id AND q.course_id = c.id
LEFT JOIN manual_versions granted ON granted.id = q.manual_version_id
WHERE w.client_id = :client_id AND w.external_id IN_IDS
"""
COURSE_STANDINGS = {
    "postgresql": text(_COURSE_STANDINGS.replace("IN_IDS", "= ANY(:external_ids)")),
    "sqlite": text(_COURSE_STANDINGS.replace("IN_IDS", "IN :external_ids")).bindparams(
        bindparam("external_ids", expanding=True)),
}

# How the columns come back, in the statements' order (matched by position, SQLAlchemy reads
# them once per statement, not once per execution): times as aware UTC (SQLite forgets the
# zone), statuses as enums, SQLite's 0/1 as booleans; the rest as the driver gives them.
_TYPES = {"course_status": Course.__table__.c.status.type,
          "status": Qualification.__table__.c.status.type,
          **dict.fromkeys(("has_settings", "started"), Boolean()),
          **dict.fromkeys(("course_created_at", "enrolled_at", "granted_at", "expires_at",
                           "refresh_due_at", "updated_at", "last_failed_at"), UTCDateTime())}


def _typed(statement: TextClause, names: str) -> TextualSelect:
    return statement.columns(*(column(name, _TYPES.get(name)) for name in names.split()))


WORKER_STANDINGS = _typed(WORKER_STANDINGS, """
    slug title course_status course_created_at current_version has_settings attempts_allowed
    retry_delay_seconds enrolled_at status cycle score granted_at expires_at refresh_due_at
    updated_at granted_under started attempts_used last_failed_at""")
COURSE = _typed(COURSE, "id slug title course_status course_created_at current_version")
COURSE_STANDINGS = {dialect: _typed(statement, """
    external_id enrolled_at status score granted_at expires_at refresh_due_at updated_at
    granted_under started""") for dialect, statement in COURSE_STANDINGS.items()}


def worker_standings(client_id: int, external_id: str, now: datetime) -> list[dict] | None:
    """The worker's standing in each of their courses, by slug (the shape of
    schemas.Standing); None when the client has linked no worker with this id. One statement
    (two for a linked worker in no course)."""
    if not 0 < len(external_id) <= 128 or CONTROL.search(external_id):
        return None  # as linked_user_id: no such id is linked (and PostgreSQL refuses NUL)
    found = fetch_all(WORKER_STANDINGS, {"client_id": client_id, "external_id": external_id})
    if not found:  # an unknown id, or a worker in no course
        session_reads_in_autocommit()
        if linked_user_id(client_id, external_id) is None:
            return None
    entries = []
    for row in found:
        entry = _standing(row, row, now)
        allowed, delay = ((row.attempts_allowed, row.retry_delay_seconds) if row.has_settings
                          else (DEFAULTS.attempts_allowed, DEFAULTS.retry_delay_seconds))
        entry["retry_available_at"] = retry_after(
            Status(entry["status"]), row.status, row.course_status, allowed, delay,
            row.attempts_used, row.last_failed_at, now)
        entries.append(entry)
    return entries


def check_standings(client_id: int, slug: str, external_ids: list[str],
                    now: datetime) -> tuple[str, dict[str, dict]] | None:
    """The batch check: (the course's slug, external id -> standing) for the ids this client
    linked (retry_available_at is not asked for: it stays None); None when there is no such
    course. Two statements, whatever the number of ids."""
    course = db.session.execute(COURSE, {"slug": slug}).one_or_none()
    if course is None:
        return None
    statement = COURSE_STANDINGS[db.session.get_bind().dialect.name]
    found = db.session.execute(statement, {
        "client_id": client_id, "course_id": course.id,
        "external_ids": list(set(external_ids))}).all()
    return course.slug, {row.external_id: _standing(course, row, now) for row in found}


def _standing(course: Any, record: Any, now: datetime) -> dict:
    """A Standing (retry_available_at None) from a course's columns and a record's: status
    None when there is none; status, expires_at and refresh_due_at are all shown_status
    reads of it."""
    status = shown_status(record if record.status is not None else None, record.started, now)
    return {
        "course": course.slug,
        "course_title": course.title,
        "status": status.value,
        "score": record.score,
        "manual_version": record.granted_under,
        "current_manual_version": course.current_version,
        "granted_at": record.granted_at,
        "expires_at": record.expires_at,
        "refresh_due_at": record.refresh_due_at,
        "retry_available_at": None,
        "updated_at": record.updated_at or record.enrolled_at or course.course_created_at,
    }


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
    """retry_after for a Row, with its attempts from batched stats."""
    qualification = row.qualification
    if qualification is None:
        return None
    allowed = row.settings.attempts_allowed if row.settings else DEFAULTS.attempts_allowed
    delay = (row.settings.retry_delay_seconds if row.settings
             else DEFAULTS.retry_delay_seconds)
    cycle = (row.user_id, row.course.id, qualification.cycle)
    used = stats.used.get((*cycle, str(next_kind(qualification.status))), 0)
    return retry_after(status, qualification.status, row.course.status, allowed, delay, used,
                       stats.last_failed.get(cycle), now)


def retry_after(status: Status, recorded: Status | None, course_status: CourseStatus,
                allowed: int | None, delay_seconds: int, used: int,
                last_failed_at: datetime | None, now: datetime) -> datetime | None:
    """When the worker's next attempt may start; None when it may now, or none is left.
    `status` is the one shown, `recorded` the record's (None: no record); `used` counts the
    cycle's attempts of the kind it would take next, `last_failed_at` is when the cycle's
    latest failed attempt was graded."""
    if (recorded is None or status not in RETRY_STATUSES
            or course_status != CourseStatus.OPEN):
        return None
    if status != recorded:  # a lapse not applied yet: expiry starts a new cycle
        return None
    if exhausted(recorded, next_kind(recorded), used, allowed):
        return None
    return retry_time(last_failed_at, delay_seconds, now)


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
