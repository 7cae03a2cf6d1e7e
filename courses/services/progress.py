"""Where each trainee stands in each course, and what they should do next."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, bindparam, exists, or_, select

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


def course_progress(user: User, course: Course, *, has_practice: bool | None = None,
                    enrolled: bool | None = None) -> CourseProgress:
    """Counted from the outline kept at publishing: drawing a card never renders a manual.
    `has_practice` and `enrolled` when the page knows already."""
    return courses_progress(user, [course], _ids(course, has_practice), _ids(course, enrolled))[0]


def _ids(course: Course, flag: bool | None) -> set[int] | None:
    """The course's id in a set when `flag`, none when not, None when unknown."""
    return None if flag is None else {course.id} if flag else set()


def courses_progress(user: User, courses: list[Course], practising: set[int] | None = None,
                     enrolled: set[int] | None = None) -> list[CourseProgress]:
    """course_progress of many courses in a fixed number of queries (the training centre's
    cards), however many courses there are; one fewer each when `practising` says which of
    them have practice items, `enrolled` which the user is enrolled in."""
    ids = [course.id for course in courses]
    latest = manuals.latest_versions(ids)
    published = {course_id: version for course_id, version in latest.items() if version}
    read = manuals.still_read_in(user.id, published) if published else {}
    if enrolled is None:
        enrolled = enrolment.enrolled_course_ids(user.id, ids)
    last_read = manuals.last_read_versions(user.id, ids)
    practising = practice.with_practice(ids) if practising is None else practising
    return [CourseProgress(course, course.id in enrolled, latest[course.id],
                           last_read.get(course.id),
                           len(latest[course.id].outline) if latest[course.id] else 0,
                           len(read.get(course.id, ())), course.id in practising)
            for course in courses]


def training_centre_courses(user: User) -> tuple[list[Course], set[int]]:
    """Open courses, plus any other course the trainee is enrolled in; and, from the same
    query, the ids of those they are enrolled in now (not withdrawn)."""
    rows = db.session.execute(_centre_query(), {"user_id": user.id}).all()
    return [course for course, _ in rows], {course.id for course, now in rows if now}


@cache
def _centre_query() -> Select:
    """Built once: the training centre asks it on every view."""
    user_id = bindparam("user_id")
    enrolled = select(Enrollment.course_id).where(Enrollment.user_id == user_id)
    current = exists().where(Enrollment.user_id == user_id, Enrollment.course_id == Course.id,
                             Enrollment.withdrawn_at.is_(None))
    return (select(Course, current)
            .where(or_(Course.status == CourseStatus.OPEN, Course.id.in_(enrolled)))
            .where(Course.status != CourseStatus.DRAFT)
            .order_by(Course.title))
