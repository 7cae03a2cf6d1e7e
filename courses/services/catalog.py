"""Creating, editing and finding courses, and who may see them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from bootcamp.audit import record_audit
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course, CourseStatus, Enrollment, ManualVersion, VersionStatus

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
RESERVED_SLUGS = {"manage", "new", "import", "invite"}  # taken by pages under /courses/


class CourseError(ValueError):
    """A course operation that cannot be done, with a message fit to show."""


@dataclass(frozen=True)
class CourseFields:
    """The editable facts about a course, as a form or a bundle gives them."""

    slug: str
    title: str
    code_name: str | None = None
    description: str = ""
    qualifies_for: str = ""
    estimated_minutes: int | None = None
    status: CourseStatus = CourseStatus.DRAFT


def is_staff(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.INSTRUCTOR))


def can_view(course: Course, user: User | None) -> bool:
    """Staff see every course; others see open ones, and archived ones they took."""
    if is_staff(user):
        return True
    if user is None or not user.is_authenticated:
        return False
    if course.status == CourseStatus.OPEN:
        return True
    return course.status == CourseStatus.ARCHIVED and is_enrolled(user.id, course.id)


def is_enrolled(user_id: int, course_id: int) -> bool:
    enrolled = select(Enrollment.id).where(Enrollment.user_id == user_id,
                                           Enrollment.course_id == course_id)
    return db.session.scalar(enrolled) is not None


def find_course(slug: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.slug == slug))


def create_course(fields: CourseFields, actor: User | None) -> Course:
    """Create a course; the slug must be new."""
    if not SLUG_PATTERN.match(fields.slug):
        raise CourseError("Use 2-64 lowercase letters, digits and hyphens for the slug.")
    if fields.slug in RESERVED_SLUGS:
        raise CourseError(f"{fields.slug!r} is reserved; choose another slug.")
    if find_course(fields.slug) is not None:
        raise CourseError(f"A course with the slug {fields.slug!r} already exists.")
    course = Course(**vars(fields))
    db.session.add(course)
    db.session.flush()
    record_audit("course_created", actor_id=actor.id if actor else None,
                 target=f"course:{course.id}", data={"slug": course.slug})
    return course


def update_course(course: Course, fields: CourseFields, actor: User | None) -> None:
    """Change a course's facts; the slug stays, since links and bundles depend on it."""
    changed = {}
    for name, value in vars(fields).items():
        if name != "slug" and getattr(course, name) != value:
            changed[name] = str(value)
            setattr(course, name, value)
    if changed:
        record_audit("course_updated", actor_id=actor.id if actor else None,
                     target=f"course:{course.id}", data=changed)


def staff_courses() -> list[Course]:
    """Every course, newest first, for the authoring list."""
    return list(db.session.scalars(select(Course).order_by(Course.created_at.desc())))


def published_counts(course_ids: list[int]) -> dict[int, int]:
    """How many published manual versions each course has."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(ManualVersion.course_id, func.count())
        .where(ManualVersion.course_id.in_(course_ids),
               ManualVersion.status == VersionStatus.PUBLISHED)
        .group_by(ManualVersion.course_id)
    )
    return dict(rows.all())
