"""Cohorts, invitations and enrolment."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from bootcamp.audit import record_audit
from bootcamp.events import record_event
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import User
from bootcamp.users.services import normalise_email
from courses.models import (
    Cohort,
    Course,
    CourseStatus,
    Enrollment,
    EnrollmentSource,
    Invitation,
)

INVITE_SALT = "cohort-invite"
MAX_EMAILS = 5000


class EnrolmentError(ValueError):
    """Enrolment that cannot happen; `problems` lists every reason (with lines for lists)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def enrollment_of(user_id: int, course_id: int) -> Enrollment | None:
    """The user's enrolment in the course: the one lookup every "is enrolled" check uses.

    A trainee who left the course (withdrawn_at set) is not enrolled until they enrol again.
    """
    return db.session.scalar(_enrollment_query(), {"user_id": user_id, "course_id": course_id})


@cache
def _enrollment_query() -> Select:
    """Built once: most pages ask it (building it costs ~60 µs of CPU)."""
    return select(Enrollment).where(Enrollment.user_id == bindparam("user_id"),
                                    Enrollment.course_id == bindparam("course_id"),
                                    Enrollment.withdrawn_at.is_(None))


def enrolled_course_ids(user_id: int, course_ids: Sequence[int]) -> set[int]:
    """Which of these courses the user is enrolled in (enrollment_of for many, one query)."""
    return set(db.session.scalars(select(Enrollment.course_id).where(
        Enrollment.user_id == user_id, Enrollment.course_id.in_(course_ids),
        Enrollment.withdrawn_at.is_(None))))


def _enrollment_row(user_id: int, course_id: int, *, lock: bool = False) -> Enrollment | None:
    """The enrolment row, withdrawn or not (locked and re-read when asked)."""
    query = select(Enrollment).where(Enrollment.user_id == user_id,
                                     Enrollment.course_id == course_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def left_at(user_id: int, course_id: int) -> datetime | None:
    """When the user left the course, if they did and have not enrolled again."""
    return db.session.scalar(select(Enrollment.withdrawn_at).where(
        Enrollment.user_id == user_id, Enrollment.course_id == course_id))


class WithdrawError(ValueError):
    """Leaving a course one is not enrolled in."""


def withdraw(user: User, course: Course, now: datetime | None = None) -> Enrollment:
    """The trainee leaves the course: the enrolment is kept (with their reading, practice and
    results) and marked withdrawn; a "course_left" event is recorded at the same moment, so
    that the withdrawal itself never counts as coming back. Enrolling again undoes it.
    """
    now = now or utcnow()
    enrollment = _enrollment_row(user.id, course.id, lock=True)
    if enrollment is None or enrollment.withdrawn_at is not None:
        raise WithdrawError("You are not enrolled in this course.")
    enrollment.withdrawn_at = now
    entry = record_event("course_left", user_id=user.id, course_id=course.id,
                         data={"enrolled_at": enrollment.created_at.isoformat()})
    entry.created_at = now
    return enrollment


def _rejoin(enrollment: Enrollment, source: EnrollmentSource) -> Enrollment:
    """Enrol again after leaving: the old enrolment (and cohort place) comes back."""
    enrollment.withdrawn_at = None
    record_event("enrolled", user_id=enrollment.user_id, course_id=enrollment.course_id,
                 data={"source": source.value, "cohort": enrollment.cohort_id, "again": True})
    return enrollment


@dataclass(frozen=True)
class Places:
    """How full a cohort is: the one count that the pages and the enrol check all read.

    Everyone placed in the cohort holds a place, those who left too (coming back gives it
    back, unchecked). So does every invitation by email not yet taken up: it turns into an
    enrolment at log-in without a new check, so its place must already be kept for it.
    """

    enrolled: int
    invited: int
    capacity: int | None

    @property
    def taken(self) -> int:
        return self.enrolled + self.invited

    @property
    def left(self) -> int | None:
        """Free places; None when the cohort has no limit."""
        return None if self.capacity is None else max(self.capacity - self.taken, 0)

    @property
    def full(self) -> bool:
        return self.left == 0


def cohort_places(cohorts: list[Cohort]) -> dict[int, Places]:
    """The places of each cohort, by id, in two queries however many cohorts there are."""
    ids = [cohort.id for cohort in cohorts]
    enrolled = dict(db.session.execute(
        select(Enrollment.cohort_id, func.count()).where(Enrollment.cohort_id.in_(ids))
        .group_by(Enrollment.cohort_id)).all())
    invited = dict(db.session.execute(
        select(Invitation.cohort_id, func.count())
        .where(Invitation.cohort_id.in_(ids), Invitation.accepted_at.is_(None))
        .group_by(Invitation.cohort_id)).all())
    return {cohort.id: Places(enrolled.get(cohort.id, 0), invited.get(cohort.id, 0),
                              cohort.capacity) for cohort in cohorts}


def places_of(cohort: Cohort) -> Places:
    """The places of one cohort (lock it first when the answer decides a join)."""
    return cohort_places([cohort])[cohort.id]


def join_problem(cohort: Cohort, places: Places, enrollment: Enrollment | None = None
                 ) -> str | None:
    """Why this person (enrolled in the course as `enrollment`, if at all) cannot join the
    cohort now, in words for the invite page; None when they can, or are in it already."""
    if enrollment is not None and enrollment.cohort_id is not None:
        return None if enrollment.cohort_id == cohort.id else _in_another_cohort(enrollment)
    if cohort.course.status != CourseStatus.OPEN:
        return "This course is not open for enrolment."
    if places.full:
        return f"The cohort {cohort.name} is full."
    return None


def _in_another_cohort(enrollment: Enrollment) -> str:
    other = db.session.get(Cohort, enrollment.cohort_id)
    return f"Already in another cohort of this course: {other.name}."


def _lock_cohort(cohort: Cohort) -> None:
    """Capacity checks must not race: lock the cohort row (PostgreSQL) while counting."""
    db.session.execute(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())


def _insert_enrollment(user_id: int, course_id: int, cohort_id: int | None,
                       source: EnrollmentSource, now: datetime | None = None
                       ) -> Enrollment | None:
    """Insert an enrolment unless this user already has one in this course (None then).

    ON CONFLICT DO NOTHING turns a concurrent duplicate (two tabs, a double click) into a
    no-op, where a plain INSERT would raise IntegrityError and abort the whole transaction.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = db.session.scalar(
        insert(Enrollment)
        .values(user_id=user_id, course_id=course_id, cohort_id=cohort_id, source=source,
                created_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "course_id"])
        .returning(Enrollment.id)
    )
    return db.session.get(Enrollment, inserted) if inserted is not None else None


def enrol(user: User, course: Course, source: EnrollmentSource,
          cohort: Cohort | None = None, *, now: datetime | None = None) -> Enrollment:
    """Enrol a trainee (idempotent, also under concurrency); a cohort's capacity is respected.
    `now` dates a first enrolment (the demo's history); it defaults to the current time."""
    now = now or utcnow()
    existing = _enrollment_row(user.id, course.id)
    if existing is not None and existing.withdrawn_at is None:
        return existing
    if course.status != CourseStatus.OPEN:
        raise EnrolmentError(["This course is not open for enrolment."])
    if existing is not None:  # left the course: enrol again, keeping the cohort place
        existing = _enrollment_row(user.id, course.id, lock=True)
        return existing if existing.withdrawn_at is None else _rejoin(existing, source)
    if cohort is not None:
        _lock_cohort(cohort)
        # The lock may have waited for this user's own concurrent request: not "full" then.
        existing = enrollment_of(user.id, course.id)
        if existing is not None:
            return existing
        problem = join_problem(cohort, places_of(cohort))
        if problem:
            raise EnrolmentError([problem])
    enrollment = _insert_enrollment(user.id, course.id, cohort.id if cohort else None, source,
                                    now)
    if enrollment is None:  # a concurrent request enrolled them first
        return enrollment_of(user.id, course.id)
    record_event("enrolled", user_id=user.id, course_id=course.id,
                 data={"source": source.value, "cohort": cohort.id if cohort else None}
                 ).created_at = now
    return enrollment


def create_cohort(course: Course, name: str, starts_on: date, capacity: int | None,
                  instructor: User) -> Cohort:
    cohort = Cohort(course_id=course.id, name=name.strip(), starts_on=starts_on,
                    capacity=capacity, instructor_id=instructor.id)
    db.session.add(cohort)
    db.session.flush()
    record_audit("cohort_created", actor_id=instructor.id, target=f"cohort:{cohort.id}",
                 data={"course": course.slug, "name": cohort.name})
    return cohort


def join_cohort(user: User, cohort: Cohort, source: EnrollmentSource) -> Enrollment:
    """Put a trainee in a cohort: enrol them, or move their enrolment that has no cohort into
    it (back into the course if they had left). Raises EnrolmentError when the cohort is full,
    the course is closed, or they are in another cohort of the course: moving them out of it
    would rewrite that cohort's progress and dropout figures behind its instructor's back.
    """
    _lock_cohort(cohort)
    row = _enrollment_row(user.id, cohort.course_id, lock=True)
    if row is None:
        return enrol(user, cohort.course, source, cohort)
    if row.cohort_id not in (None, cohort.id):
        raise EnrolmentError([_in_another_cohort(row)])
    if row.cohort_id is None:  # a new place: the same checks as a new enrolment
        problem = join_problem(cohort, places_of(cohort))
        if problem:
            raise EnrolmentError([problem])
        row.cohort_id = cohort.id
    if row.withdrawn_at is None:
        return row
    if cohort.course.status != CourseStatus.OPEN:  # coming back: into an open course only
        raise EnrolmentError(["This course is not open for enrolment."])
    return _rejoin(row, source)


# Invite links: signed with the app's secret, carrying their own expiry.


def make_invite_token(secret: str, cohort: Cohort, days: int) -> str:
    expires = int(time.time()) + days * 86400
    return URLSafeSerializer(secret, salt=INVITE_SALT).dumps({"c": cohort.id, "e": expires})


def cohort_from_token(secret: str, token: str) -> Cohort:
    """The cohort an invite link is for; raises EnrolmentError when forged or expired."""
    try:
        payload = URLSafeSerializer(secret, salt=INVITE_SALT).loads(token)
    except BadSignature as exc:
        raise EnrolmentError(
            ["This invite link is not valid. Ask your instructor for a new one."]) from exc
    if payload.get("e", 0) < time.time():
        raise EnrolmentError(["This invite link has expired. Ask your instructor for a new one."])
    cohort = db.session.get(Cohort, payload.get("c"))
    if cohort is None:
        raise EnrolmentError(["This invite link is for a cohort that no longer exists."])
    return cohort


# Invitations by a list of email addresses.


@dataclass
class InviteReport:
    """What a list did, address by address, for the instructor to read."""

    added: list[str] = field(default_factory=list)  # had an account: in the cohort now
    invited: list[str] = field(default_factory=list)  # no account yet: in it when they log in
    already: list[str] = field(default_factory=list)  # in this cohort, or invited to it, before
    refused: dict[str, str] = field(default_factory=dict)  # address -> why it was not added


def parse_email_list(text: str) -> list[str]:
    """Emails from a CSV (first column, or the column headed "email"); all or nothing."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    column, start = 0, 0
    if rows and any(cell.strip().lower() == "email" for cell in rows[0]):
        column = [cell.strip().lower() for cell in rows[0]].index("email")
        start = 1
    emails, problems = [], []
    for number, row in enumerate(rows[start:], start=start + 1):
        value = row[column].strip() if len(row) > column else ""
        if not value:
            continue
        try:
            emails.append(normalise_email(
                validate_email(value, check_deliverability=False).normalized))
        except EmailNotValidError as exc:
            problems.append(f"line {number}: {value!r} is not an email address ({exc})")
    if not emails and not problems:
        problems.append("line 1: the list has no email addresses")
    if len(emails) > MAX_EMAILS:
        problems.append(f"the list has {len(emails)} addresses; the limit is {MAX_EMAILS}")
    if problems:
        raise EnrolmentError(problems)
    return list(dict.fromkeys(emails))


def _sort_list(cohort: Cohort, emails: list[str], users: dict[str, User]
               ) -> tuple[InviteReport, int]:
    """Which listed addresses are added, invited, already there or refused (and why), and
    how many new places that takes."""
    rows = {row.user_id: row for row in db.session.scalars(select(Enrollment).where(
        Enrollment.course_id == cohort.course_id,
        Enrollment.user_id.in_([user.id for user in users.values()])))}
    pending = set(db.session.scalars(
        select(Invitation.email).where(Invitation.cohort_id == cohort.id,
                                       Invitation.accepted_at.is_(None))))
    report, new_places = InviteReport(), 0
    for email in emails:
        user = users.get(email)
        row = rows.get(user.id) if user else None
        if email in pending or (row and row.cohort_id == cohort.id and not row.withdrawn_at):
            report.already.append(email)
        elif user is None:
            report.invited.append(email)
            new_places += 1
        elif not user.is_active:
            report.refused[email] = "The account is deactivated."
        elif row and row.cohort_id not in (None, cohort.id):
            report.refused[email] = _in_another_cohort(row)
        else:
            report.added.append(email)
            new_places += row is None or row.cohort_id is None
    return report, new_places


def invite_emails(cohort: Cohort, text: str, actor: User) -> InviteReport:
    """Put listed people who have accounts in the cohort at once (enrolled, or moved in when
    enrolled in the course without a cohort) and invite the rest, or change nothing."""
    emails = parse_email_list(text)
    _lock_cohort(cohort)
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    report, wanted = _sort_list(cohort, emails, users)
    left = places_of(cohort).left
    if left is not None and wanted > left:
        raise EnrolmentError([f"The cohort has {left} free places; "
                              f"the list would add {wanted} people."])
    for email in report.added:
        join_cohort(users[email], cohort, EnrollmentSource.EMAIL_LIST)
    for email in report.invited:
        db.session.add(Invitation(cohort_id=cohort.id, email=email, invited_by_id=actor.id))
    record_audit("cohort_invited", actor_id=actor.id, target=f"cohort:{cohort.id}",
                 data={"added": len(report.added), "invited": len(report.invited),
                       "refused": len(report.refused)})
    return report


def accept_pending_invitations(user: User) -> list[Course]:
    """Turn invitations to this user's email into enrolments (called at every log-in).

    An invitation to a course that is not open stays pending (and keeps its place) until a
    log-in after the course opens.
    """
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.email == user.email,
                                 Invitation.accepted_at.is_(None))
    ).all()
    courses = []
    for invitation in invitations:
        cohort = db.session.get(Cohort, invitation.cohort_id)
        if cohort.course.status == CourseStatus.OPEN:
            invitation.accepted_at = utcnow()
            # Their place was reserved when they were invited, so capacity is not checked again.
            if _insert_enrollment(user.id, cohort.course_id, cohort.id,
                                  EnrollmentSource.EMAIL_LIST) is not None:
                record_event("enrolled", user_id=user.id, course_id=cohort.course_id,
                             data={"source": "email_list", "cohort": cohort.id})
                courses.append(cohort.course)
            else:  # invited back after leaving the course
                left = _enrollment_row(user.id, cohort.course_id, lock=True)
                if left is not None and left.withdrawn_at is not None:
                    _rejoin(left, EnrollmentSource.EMAIL_LIST)
                    courses.append(cohort.course)
    return courses
