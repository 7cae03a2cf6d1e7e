"""Creating, editing and finding courses, and who may see them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, bindparam, func, select

from bootcamp.audit import record_audit
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import (
    Course,
    CourseStaff,
    CourseStatus,
    ManualVersion,
    StaffRole,
    VersionStatus,
)
from courses.services import enrolment, staff

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
    dropout_window_days: int = 7  # days without activity before an unqualified trainee drops


def _instructor(user: User | None) -> bool:
    """A signed-in instructor or admin (a demoted instructor's staff places count no more)."""
    return bool(user and user.is_authenticated and user.has_role(Role.INSTRUCTOR))


def can_edit(course_id: int, user: User | None) -> bool:
    """Admins change every course; instructors only the courses whose staff they are on."""
    if not _instructor(user):
        return False
    return user.has_role(Role.ADMIN) or staff.role_of(course_id, user.id) is not None


def editable_ids(course_ids: Sequence[int], user: User | None) -> set[int]:
    """Which of these courses the user may change (can_edit for many, at most one query)."""
    if not _instructor(user):
        return set()
    if user.has_role(Role.ADMIN):
        return set(course_ids)
    return set(db.session.scalars(staff.staffed_course_ids(user.id)
                                  .where(CourseStaff.course_id.in_(course_ids))))


def can_manage_staff(course: Course, user: User | None) -> bool:
    """Admins and the course's owners decide who else staffs it."""
    if not _instructor(user):
        return False
    return user.has_role(Role.ADMIN) or staff.role_of(course.id, user.id) == StaffRole.OWNER


def can_view(course: Course, user: User | None) -> bool:
    """Its staff see a course in any state; others see open ones, and archived ones they took."""
    if user is None or not user.is_authenticated:
        return False
    if can_edit(course.id, user):
        return True
    if course.status == CourseStatus.OPEN:
        return True
    return (course.status == CourseStatus.ARCHIVED
            and enrolment.enrollment_of(user.id, course.id) is not None)


def find_course(slug: str) -> Course | None:
    return db.session.scalar(_course_query(), {"slug": slug})


@cache
def _course_query() -> Select:
    """Built once: every course page asks it (building it costs ~30 µs of CPU)."""
    return select(Course).where(Course.slug == bindparam("slug"))


def create_course(fields: CourseFields, actor: User | None) -> Course:
    """Create a course; the slug must be new. Its creator becomes its owner."""
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
    if actor is not None:
        staff.appoint(course, actor, StaffRole.OWNER, actor)
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


def staff_courses(user: User) -> list[Course]:
    """The courses this user may change (every course for admins), newest first."""
    query = select(Course).order_by(Course.created_at.desc())
    if not user.has_role(Role.ADMIN):
        query = query.where(Course.id.in_(staff.staffed_course_ids(user.id)))
    return list(db.session.scalars(query))


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
