"""Where each trainee stands in each course, and what they should do next."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from bootcamp.extensions import db
from bootcamp.users.models import User
from courses.models import Course, CourseStatus, Enrollment, ManualVersion
from courses.services import enrolment, manuals, practice


@dataclass(frozen=True)
class CourseProgress:
    """One trainee's standing in one course."""

    course: Course
    enrolled: bool
    latest: ManualVersion | None
    last_read: int | None  # the newest version they opened
    sections_total: int
    sections_read: int
    has_practice: bool = False  # the course has practice items

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
        if self.has_practice:
            return "Manual read: practise the rules with instant feedback"
        return "Manual read: practice items for this course are on their way"

    @property
    def practice_next(self) -> bool:
        """True when practising is the next step: enrolled, manual read, items to practise."""
        return (self.enrolled and self.has_practice and not self.has_changes
                and self.last_read is not None and self.sections_read >= self.sections_total)


def course_progress(user: User, course: Course) -> CourseProgress:
    """Counted from the outline kept at publishing: drawing a card never renders a manual."""
    latest = manuals.latest_version(course)
    read = manuals.sections_still_read(user.id, course, latest) if latest else set()
    enrolled = enrolment.enrollment_of(user.id, course.id) is not None
    return CourseProgress(course, enrolled, latest, manuals.last_read_version(user.id, course.id),
                          len(latest.outline) if latest else 0, len(read),
                          practice.has_practice(course))


def training_centre_courses(user: User) -> list[Course]:
    """Open courses, plus any other course the trainee is enrolled in."""
    enrolled = select(Enrollment.course_id).where(Enrollment.user_id == user.id)
    return list(db.session.scalars(
        select(Course)
        .where(or_(Course.status == CourseStatus.OPEN, Course.id.in_(enrolled)))
        .where(Course.status != CourseStatus.DRAFT)
        .order_by(Course.title)
    ))
