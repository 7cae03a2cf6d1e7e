"""Qualifications: one record per trainee and course, every transition kept with its reason.

Statuses (exams.models.QualificationStatus): not started and in training before a pass;
qualified; failed when every attempt of the cycle is used; needs refresh after a material
manual change; expired when validity or the refresh grace period runs out; revoked by an
instructor. Expiry and a new round of attempts start a new cycle, so attempts count afresh.

Services never commit: the view, the CLI command or the sweep that calls them does. Reads
never write: standing() and shown_status() show a lapse the sweep has not applied yet as
expired; a lapse happens only in expire_if_due (the sweep, and starting an attempt).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bootcamp.audit import record_audit
from bootcamp.events import Event, record_event
from bootcamp.extensions import db
from bootcamp.outbox import record_outbox
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses.models import Course, Enrollment, ManualVersion, VersionStatus
from courses.signals import manual_published, refresh_impact
from exams.grading import MIN_GROUP
from exams.models import (
    Attempt,
    AttemptKind,
    Qualification,
    QualificationChange,
    QualificationStatus,
)
from exams.services import notices, qualification_mail
from exams.services.settings import settings_for

Status = QualificationStatus
STARTED_EVENTS = ("manual_opened", "section_read", "practice_answered")
LABELS = {
    Status.NOT_STARTED: "Not started",
    Status.IN_TRAINING: "In training",
    Status.QUALIFIED: "Qualified",
    Status.FAILED: "Not qualified: no attempts left",
    Status.NEEDS_REFRESH: "Needs a refresh",
    Status.EXPIRED: "Expired",
    Status.REVOKED: "Revoked",
}


class QualificationError(ValueError):
    """An instructor action that does not apply to this qualification."""


def qualification_of(user_id: int, course_id: int, *, lock: bool = False) -> Qualification | None:
    query = select(Qualification).where(Qualification.user_id == user_id,
                                        Qualification.course_id == course_id)
    if lock:  # and re-read: another transaction may have changed it while we waited
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def locked(user_id: int, course_id: int) -> tuple[Qualification, bool]:
    """The qualification row (created if missing) locked until the transaction ends; created?

    Every change to a trainee's attempts goes through this lock, so that concurrent requests
    for one trainee and course run one after the other (on SQLite the insert takes the lock).
    """
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    created = db.session.execute(insert(Qualification).values(
        user_id=user_id, course_id=course_id, status=Status.IN_TRAINING, cycle=1,
        refresh_sections=[], updated_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["user_id", "course_id"])
        .returning(Qualification.id)).scalar() is not None
    return qualification_of(user_id, course_id, lock=True), created


PLATFORM_EVENTS = {
    Status.QUALIFIED: "qualification.granted",
    Status.NEEDS_REFRESH: "qualification.needs_refresh",
    Status.EXPIRED: "qualification.expired",
    Status.REVOKED: "qualification.revoked",
    Status.FAILED: "qualification.failed",
}
VALID = (Status.QUALIFIED, Status.NEEDS_REFRESH)  # platforms may assign work


def platform_event(before: Status, status: Status) -> str | None:
    """The outbox type of a transition, or None where platforms have nothing to act on.

    Back to in training is news only when it ends a valid qualification (a regrade that fails
    the attempt that granted it): to a platform that is a failure. Starting the exam, or a
    failed attempt with attempts left, changes nothing a platform gates on.
    """
    if status == Status.IN_TRAINING:
        return "qualification.failed" if before in VALID else None
    return PLATFORM_EVENTS.get(status)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def publish_change(qualification: Qualification, type_: str, reason: str,
                   before: Status) -> None:
    """Write the platform event of a change in the change's own transaction (the outbox), so
    a platform hears about exactly the changes that commit."""
    course = db.session.get(Course, qualification.course_id)
    granted_under = (db.session.get(ManualVersion, qualification.manual_version_id)
                     if qualification.manual_version_id else None)
    current = db.session.scalar(select(func.max(ManualVersion.number)).where(
        ManualVersion.course_id == course.id, ManualVersion.status == VersionStatus.PUBLISHED))
    record_outbox(type_, user_id=qualification.user_id, course_id=course.id, data={
        "course": course.slug, "status": str(qualification.status),
        "previous_status": str(before), "reason": reason, "score": qualification.score,
        "manual_version": granted_under.number if granted_under else None,
        "current_manual_version": current,
        "granted_at": _iso(qualification.granted_at),
        "expires_at": _iso(qualification.expires_at),
        "refresh_due_at": _iso(qualification.refresh_due_at)})


def transition(qualification: Qualification, status: Status, reason: str, *,
               actor: User | None = None, attempt: Attempt | None = None,
               before: Status | None = None, event: str | None = None,
               now: datetime | None = None) -> None:
    """Move to `status`, keeping the change in the history, the event log and the outbox
    (`event` names the platform event where the statuses alone do not, as in reinstate;
    `now` dates the change for a generated history, else it is the present)."""
    now = now or utcnow()
    before = before or qualification.status
    qualification.status = status
    event = event or platform_event(Status(before), status)
    if event is not None:
        publish_change(qualification, event, reason, Status(before))
        qualification_mail.mail_change(qualification, event, reason)  # sent once it commits
    db.session.add(QualificationChange(
        qualification_id=qualification.id, from_status=before, to_status=status,
        reason=reason, actor_id=actor.id if actor else None,
        attempt_id=attempt.id if attempt else None, created_at=now))
    record_event("qualification_changed", user_id=qualification.user_id,
                 course_id=qualification.course_id,
                 data={"from": str(before), "to": str(status), "reason": reason}
                 ).created_at = now
    if before != status and before != Status.NOT_STARTED:
        notices.notify(qualification.user_id, qualification.course_id,
                       f"Your qualification is now “{LABELS[status]}”: {reason}")


def history(qualification: Qualification) -> list[QualificationChange]:
    return list(db.session.scalars(
        select(QualificationChange)
        .where(QualificationChange.qualification_id == qualification.id)
        .order_by(QualificationChange.created_at, QualificationChange.id)))


@dataclass(frozen=True)
class RosterRow:
    """One trainee of a course's roster, with their status now (no expiry applied)."""

    user: User
    qualification: Qualification | None
    version: int | None  # the number of the manual version it was granted under
    status: Status


def roster(course: Course) -> list[RosterRow]:
    """Every enrolled trainee and everyone with a qualification record, by email."""
    found = db.session.execute(
        select(User, Qualification, ManualVersion.number)
        .outerjoin(Enrollment, (Enrollment.user_id == User.id)
                   & (Enrollment.course_id == course.id))
        .outerjoin(Qualification, (Qualification.user_id == User.id)
                   & (Qualification.course_id == course.id))
        .outerjoin(ManualVersion, ManualVersion.id == Qualification.manual_version_id)
        .where((Enrollment.id.is_not(None)) | (Qualification.id.is_not(None)))
        .order_by(User.email)).all()
    without = [user.id for user, qualification, _ in found if qualification is None]
    started = set(db.session.scalars(
        select(Event.user_id).where(Event.course_id == course.id,
                                    Event.kind.in_(STARTED_EVENTS),
                                    Event.user_id.in_(without)).distinct())) if without else set()
    now = utcnow()
    return [RosterRow(user, qualification, version,
                      shown_status(qualification, user.id in started, now))
            for user, qualification, version in found]


def has_started(user_id: int, course_id: int) -> bool:
    """Whether the trainee has read or practised anything in the course."""
    return course_id in started_in(user_id, [course_id])


def started_in(user_id: int, course_ids: Sequence[int]) -> set[int]:
    """Which of these courses the trainee has read or practised anything in (one query)."""
    return set(db.session.scalars(select(Event.course_id).distinct().where(
        Event.user_id == user_id, Event.course_id.in_(course_ids),
        Event.kind.in_(STARTED_EVENTS))))


def shown_status(qualification: Qualification | None, started: bool, now: datetime) -> Status:
    """The status at `now` without writing: no record yet, or a lapse not yet applied."""
    if qualification is None:
        return Status.IN_TRAINING if started else Status.NOT_STARTED
    if lapse_reason(qualification, now) is not None:
        return Status.EXPIRED
    return qualification.status


def standing(user_id: int, course_id: int) -> tuple[Status, Qualification | None]:
    """The trainee's status now and their record; a read: a lapse the sweep has not applied
    yet shows as expired all the same."""
    return standings(user_id, [course_id])[course_id]


def standings(user_id: int, course_ids: Sequence[int]
              ) -> dict[int, tuple[Status, Qualification | None]]:
    """standing in many courses: one query for the records, one for where none exists."""
    records = {record.course_id: record for record in db.session.scalars(
        _records_query(), {"user_id": user_id, "course_ids": list(course_ids)})}
    unrecorded = [course_id for course_id in course_ids if course_id not in records]
    started = started_in(user_id, unrecorded) if unrecorded else set()
    now = utcnow()
    return {course_id: (shown_status(records.get(course_id),
                                     course_id in records or course_id in started, now),
                        records.get(course_id))
            for course_id in course_ids}


@cache
def _records_query() -> Select:
    """Built once: every course page asks it."""
    return select(Qualification).where(
        Qualification.user_id == bindparam("user_id"),
        Qualification.course_id.in_(bindparam("course_ids", expanding=True)))


def status_of(user_id: int, course_id: int) -> Status:
    """The trainee's status now, also when no record exists yet."""
    return standing(user_id, course_id)[0]


def lapse_reason(qualification: Qualification, now: datetime) -> str | None:
    """Why the qualification has lapsed by `now`, or None."""
    if (qualification.status == Status.QUALIFIED and qualification.expires_at
            and qualification.expires_at <= now):
        return "its validity ended"
    if (qualification.status == Status.NEEDS_REFRESH and qualification.refresh_due_at
            and qualification.refresh_due_at <= now):
        return "the refresh exam was not passed within the grace period"
    return None


def expire_if_due(qualification: Qualification, now: datetime) -> bool:
    """Expire the (locked) qualification if it has lapsed by `now`: the one place a lapse
    happens, called by the sweep (expire_due) and when an attempt starts."""
    reason = lapse_reason(qualification, now)
    if reason is None:
        return False
    qualification.cycle += 1
    qualification.refresh_due_at = None
    qualification.refresh_sections = []
    transition(qualification, Status.EXPIRED, f"Expired: {reason}.")
    return True


def due_query(now: datetime, user_id: int | None = None) -> Select:
    """The ids of the qualifications (everyone's or one trainee's) that expire_due expires."""
    query = select(Qualification.id).where(
        ((Qualification.status == Status.QUALIFIED) & (Qualification.expires_at <= now))
        | ((Qualification.status == Status.NEEDS_REFRESH)
           & (Qualification.refresh_due_at <= now)))
    return query if user_id is None else query.where(Qualification.user_id == user_id)


def expire_due(now: datetime | None = None, user_id: int | None = None) -> int:
    """Expire every qualification (or one trainee's) whose validity or refresh grace period
    has ended."""
    now = now or utcnow()
    due = db.session.scalars(due_query(now, user_id)).all()
    count = 0
    for qualification_id in due:
        qualification = db.session.scalar(select(Qualification).where(
            Qualification.id == qualification_id).with_for_update())
        count += expire_if_due(qualification, now)
    return count


def grant(qualification: Qualification, attempt: Attempt, reason: str, *,
          now: datetime | None = None) -> None:
    """Qualified under the attempt's manual version, from now, for the course's validity."""
    now = now or utcnow()
    validity = settings_for(db.session.get(Course, qualification.course_id)).validity_days
    qualification.score = attempt.score
    qualification.manual_version_id = attempt.manual_version_id
    qualification.attempt_id = attempt.id
    qualification.granted_at = now
    qualification.expires_at = now + timedelta(days=validity) if validity else None
    qualification.refresh_due_at = None
    qualification.refresh_sections = []
    transition(qualification, Status.QUALIFIED, reason, attempt=attempt, now=now)


def attempts_used(qualification: Qualification, kind: AttemptKind) -> int:
    return db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.user_id == qualification.user_id, Attempt.course_id == qualification.course_id,
        Attempt.cycle == qualification.cycle, Attempt.of_kind(kind))) or 0


def settle_after_fail(qualification: Qualification, attempt: Attempt, reason: str, *,
                      now: datetime | None = None) -> None:
    """After a failed qualification attempt: failed when no attempt is left, else in training."""
    allowed = settings_for(db.session.get(Course, qualification.course_id)).attempts_allowed
    exhausted = (allowed is not None
                 and attempts_used(qualification, AttemptKind.QUALIFICATION) >= allowed)
    target = Status.FAILED if exhausted else Status.IN_TRAINING
    if qualification.status != target:
        transition(qualification, target, reason, attempt=attempt, now=now)


def apply_result(qualification: Qualification, attempt: Attempt, *,
                 now: datetime | None = None) -> None:
    """What a freshly graded attempt does to the trainee's qualification (`now`: when it was
    graded, the present unless a generated history says otherwise)."""
    if qualification.status == Status.REVOKED or attempt.cycle != qualification.cycle:
        return
    number = f"attempt {attempt.number}"
    if attempt.is_refresh:
        if attempt.passed and qualification.status == Status.NEEDS_REFRESH:
            grant(qualification, attempt,
                  f"Passed the refresh exam ({number}){with_score(attempt)}.", now=now)
        return
    if attempt.passed:
        grant(qualification, attempt, f"Passed the exam ({number}){with_score(attempt)}.",
              now=now)
        _refresh_if_changed_since(qualification, attempt)
    else:
        settle_after_fail(qualification, attempt,
                          f"Did not pass the exam ({number}){with_score(attempt)}.", now=now)


def with_score(attempt: Attempt) -> str:
    """" with 80%" for the trainee's notices, or "" where their result page keeps the score
    to itself (a sequential attempt's: it counts the right answers up to the item that
    decided; an attempt of fewer than grading.MIN_GROUP items: the score is a count)."""
    if attempt.is_sequential or len(attempt.responses) < MIN_GROUP:
        return ""
    return f" with {attempt.score:.0%}"


def _acted_on(user_id: int, course_id: int) -> Qualification:
    """The record an instructor acts on, locked; created as not started when the trainee has
    no record and has not begun the course."""
    qualification, created = locked(user_id, course_id)
    if created and not has_started(user_id, course_id):
        qualification.status = Status.NOT_STARTED
    return qualification


def revoke(user_id: int, course_id: int, reason: str, actor: User) -> Qualification:
    """Revoke the trainee's qualification (a record is made if none exists yet)."""
    qualification = _acted_on(user_id, course_id)
    if qualification.status == Status.REVOKED:
        raise QualificationError("This qualification is already revoked.")
    transition(qualification, Status.REVOKED, f"Revoked: {reason}", actor=actor)
    record_audit("qualification_revoked", actor_id=actor.id,
                 target=f"qualification:{qualification.id}", data={"reason": reason})
    return qualification


def reinstate(user_id: int, course_id: int, reason: str, actor: User) -> Qualification:
    """Undo a revocation, or give a trainee who used every attempt a new round of them."""
    qualification = _acted_on(user_id, course_id)
    if qualification.status not in (Status.REVOKED, Status.FAILED):
        raise QualificationError("Only revoked qualifications, or trainees with no attempts "
                                 "left, can be reinstated.")
    target = Status.IN_TRAINING
    if qualification.status == Status.REVOKED:
        before = db.session.scalar(
            select(QualificationChange.from_status)
            .where(QualificationChange.qualification_id == qualification.id,
                   QualificationChange.to_status == Status.REVOKED)
            .order_by(QualificationChange.id.desc()).limit(1))
        if before in (Status.QUALIFIED, Status.NEEDS_REFRESH):
            target = Status(before)
    if target == Status.IN_TRAINING:
        qualification.cycle += 1  # a fresh round of attempts
    transition(qualification, target, f"Reinstated: {reason}", actor=actor,
               event="qualification.reinstated")
    record_audit("qualification_reinstated", actor_id=actor.id,
                 target=f"qualification:{qualification.id}",
                 data={"reason": reason, "status": str(target)})
    return qualification


def _refresh_if_changed_since(qualification: Qualification, attempt: Attempt) -> None:
    """An attempt started before a material change certifies the old manual: refresh at once."""
    started_under = db.session.get(ManualVersion, attempt.manual_version_id)
    for version in db.session.scalars(select(ManualVersion).where(
            ManualVersion.course_id == qualification.course_id,
            ManualVersion.number > started_under.number).order_by(ManualVersion.number)):
        require_refresh(db.session.get(Course, qualification.course_id), version,
                        only=qualification)


@refresh_impact.connect
def qualified_trainees(course: Course, *, sections: list[str]) -> int:
    """How many trainees a material change would send to a refresh exam now: those qualified
    (a trainee already due a refresh keeps their deadline; the sections are only added)."""
    return db.session.scalar(select(func.count()).select_from(Qualification).where(
        Qualification.course_id == course.id, Qualification.status == Status.QUALIFIED,
        Qualification.manual_version_id.is_not(None))) or 0


@manual_published.connect
def require_refresh(course: Course, version: ManualVersion, *,
                    only: Qualification | None = None) -> None:
    """A material change: everyone qualified under an older version takes a refresh exam."""
    if not version.material_sections:
        return
    grace = settings_for(course).refresh_grace_days
    due = utcnow() + timedelta(days=grace)
    older = select(ManualVersion.id).where(ManualVersion.course_id == course.id,
                                           ManualVersion.number < version.number)
    query = select(Qualification).where(
        Qualification.course_id == course.id,
        Qualification.status.in_([Status.QUALIFIED, Status.NEEDS_REFRESH]),
        Qualification.manual_version_id.in_(older)).with_for_update()
    if only is not None:
        query = query.where(Qualification.id == only.id)
    rows = db.session.scalars(query).all()
    sections = list(version.material_sections)
    titles = {entry["id"]: entry["title"] for entry in version.outline or []}
    changed = ", ".join(f"“{titles.get(section, section)}”" for section in sections)
    for qualification in rows:
        qualification.refresh_sections = sorted({*qualification.refresh_sections, *sections})
        if qualification.status == Status.NEEDS_REFRESH:
            continue  # already due: the earlier deadline stands, the new sections are added
        qualification.refresh_due_at = due
        transition(qualification, Status.NEEDS_REFRESH,
                   f"Manual version {version.number} changed {changed}: take the refresh "
                   f"exam by {due:%-d %B %Y} (UTC).")
