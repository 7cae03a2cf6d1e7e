"""What an instructor's dashboard shows of the courses they teach: what waits for them.

Reads only, in a fixed number of grouped statements whatever the number of courses: a manual
draft not yet published, open disputes, requests for another round, trainees due a refresh
exam, and active trainees.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from bootcamp.extensions import db
from bootcamp.users.models import User
from courses.models import Course, Enrollment, ManualVersion, VersionStatus
from courses.services import catalog
from exams.models import Qualification, QualificationStatus
from exams.services import disputes, round_requests


@dataclass(frozen=True)
class TaughtCourse:
    """One course on the instructor's dashboard."""

    course: Course
    has_draft: bool
    open_disputes: int
    due_refresh: int
    trainees: int  # enrolled and not withdrawn
    round_requests: int = 0  # trainees with no attempts left asking for another round


def taught_courses(user: User) -> list[TaughtCourse]:
    """The courses this user may change (every course for admins), newest first."""
    courses = catalog.staff_courses(user)
    ids = [course.id for course in courses]
    if not ids:
        return []
    drafts = set(db.session.scalars(select(ManualVersion.course_id).where(
        ManualVersion.course_id.in_(ids), ManualVersion.status == VersionStatus.DRAFT)))
    due = _counts(select(Qualification.course_id, func.count()).where(
        Qualification.course_id.in_(ids),
        Qualification.status == QualificationStatus.NEEDS_REFRESH))
    trainees = _counts(select(Enrollment.course_id, func.count()).where(
        Enrollment.course_id.in_(ids), Enrollment.withdrawn_at.is_(None)))
    open_disputes = disputes.open_counts(ids)
    rounds = round_requests.pending_counts(ids)
    return [TaughtCourse(course, course.id in drafts, open_disputes.get(course.id, 0),
                         due.get(course.id, 0), trainees.get(course.id, 0),
                         rounds.get(course.id, 0))
            for course in courses]


def _counts(query) -> dict[int, int]:
    """{course id: count} of a (course_id, count) query, grouped here."""
    return dict(db.session.execute(query.group_by(query.selected_columns[0])).all())
