"""Where each trainee stands in each course, and what they should do next."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from bootcamp.extensions import db
from bootcamp.users.models import User
from courses.models import Course, CourseStatus, Enrollment, ManualVersion
from courses.services import manuals


@dataclass(frozen=True)
class CourseProgress:
    """One trainee's standing in one course."""

    course: Course
    enrolled: bool
    latest: ManualVersion | None
    last_read: int | None  # the newest version they opened
    sections_total: int
    sections_read: int

    @property
    def percent_read(self) -> int:
        return round(100 * self.sections_read / self.sections_total) if self.sections_total else 0

    @property
    def has_changes(self) -> bool:
        return bool(self.latest and self.last_read and self.last_read < self.latest.number)

    @property
    def next_step(self) -> str:
        """A short instruction: the single most useful thing to do now."""
        if not self.enrolled:
            return "Enrol to start"
        if self.latest is None:
            return "The manual is being written: check back soon"
        if self.has_changes:
            return f"See what changed since version {self.last_read}"
        if self.last_read is None:
            return "Start reading the manual"
        if self.sections_read < self.sections_total:
            return "Continue reading the manual"
        return "Manual read: practice and the exam open with the next releases"


def course_progress(user: User, course: Course, media_prefix: str) -> CourseProgress:
    latest = manuals.latest_version(course)
    section_ids = (
        {s.id for s in manuals.render_version(latest, media_prefix).sections} if latest else set()
    )
    read = manuals.sections_still_read(user.id, course, latest, media_prefix) if latest else set()
    enrolled = db.session.scalar(
        select(Enrollment.id).where(Enrollment.user_id == user.id,
                                    Enrollment.course_id == course.id)) is not None
    return CourseProgress(course, enrolled, latest, manuals.last_read_version(user.id, course.id),
                          len(section_ids), len(read))


def training_centre_courses(user: User) -> list[Course]:
    """Open courses, plus any other course the trainee is enrolled in."""
    enrolled = select(Enrollment.course_id).where(Enrollment.user_id == user.id)
    return list(db.session.scalars(
        select(Course)
        .where(or_(Course.status == CourseStatus.OPEN, Course.id.in_(enrolled)))
        .where(Course.status != CourseStatus.DRAFT)
        .order_by(Course.title)
    ))
