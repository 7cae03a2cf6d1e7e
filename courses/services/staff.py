"""Who staffs a course: its owners and instructors, and the changes owners make to that list.

Only course staff (and admins) may see a course's private data or change it; owners also decide
who else is on the staff. Every change goes to the audit log.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bootcamp.audit import record_audit
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from bootcamp.users.services import find_user
from courses.models import Course, CourseStaff, StaffRole

MAX_STAFF = 200  # per course: a staff list is read on every page that shows it


class StaffError(ValueError):
    """A staff change that cannot be made, with a message fit to show."""


def role_of(course_id: int, user_id: int) -> StaffRole | None:
    """The user's role on the course's staff, or None when they are not on it."""
    member = _member(course_id, user_id)
    return member.role if member else None


def staffed_course_ids(user_id: int):
    """A subquery of the ids of the courses this user staffs."""
    return select(CourseStaff.course_id).where(CourseStaff.user_id == user_id)


def staff_of(course: Course) -> list[tuple[CourseStaff, User]]:
    """The course's staff, owners first, then by email."""
    return list(db.session.execute(
        select(CourseStaff, User).join(User, User.id == CourseStaff.user_id)
        .where(CourseStaff.course_id == course.id)
        .order_by(CourseStaff.role != StaffRole.OWNER, User.email)).all())


def appoint(course: Course, user: User, role: StaffRole, actor: User | None) -> CourseStaff:
    """Put `user` on the course's staff with `role` (the caller checked they may be)."""
    member = CourseStaff(course_id=course.id, user_id=user.id, role=role,
                         added_by_id=actor.id if actor else None)
    db.session.add(member)
    db.session.flush()
    _audit("course_staff_added", course, user, actor, role)
    return member


def add_staff(course: Course, email: str, role: StaffRole, actor: User) -> str:
    """Add an instructor account by email, or change the role of someone already on the staff;
    returns what was done, in words."""
    user = find_user(email)
    if user is None:
        raise StaffError(f"No account has the email {email.strip()}. They must sign up first.")
    if not user.has_role(Role.INSTRUCTOR):
        raise StaffError(f"{user.email} is a trainee account. An admin must make them an "
                         "instructor on the Users page first.")
    _lock(course)
    member = _member(course.id, user.id)
    if member is None:
        if _count(course) >= MAX_STAFF:
            raise StaffError(f"A course can have at most {MAX_STAFF} staff.")
        appoint(course, user, role, actor)
        return f"{user.email} is now on the staff, as {_label(role)}."
    if member.role == role:
        raise StaffError(f"{user.email} is already on the staff, as {_label(role)}.")
    if member.role == StaffRole.OWNER:
        _keep_an_owner(course, user)
    member.role = role
    _audit("course_staff_role_changed", course, user, actor, role)
    return f"{user.email} is now {_label(role)}."


def remove_staff(course: Course, user_id: int, actor: User) -> User:
    """Take someone off the course's staff; the last owner stays. Returns who was removed."""
    _lock(course)
    member = _member(course.id, user_id)
    user = db.session.get(User, user_id)
    if member is None or user is None:
        raise StaffError("That person is not on the staff of this course.")
    if member.role == StaffRole.OWNER:
        _keep_an_owner(course, user)
    db.session.delete(member)
    _audit("course_staff_removed", course, user, actor, member.role)
    return user


def _keep_an_owner(course: Course, leaving: User) -> None:
    """Refuse a change that would leave the course without an owner."""
    owners = list(db.session.scalars(select(CourseStaff.user_id).where(
        CourseStaff.course_id == course.id, CourseStaff.role == StaffRole.OWNER)))
    if owners == [leaving.id]:
        raise StaffError(f"{leaving.email} is the only owner. Make someone else an owner "
                         "first: a course always keeps one.")


def _lock(course: Course) -> None:
    """Serialise staff changes of one course, so two owners cannot both leave at once."""
    db.session.execute(select(Course.id).where(Course.id == course.id).with_for_update())


def _member(course_id: int, user_id: int) -> CourseStaff | None:
    return db.session.scalar(select(CourseStaff).where(CourseStaff.course_id == course_id,
                                                       CourseStaff.user_id == user_id))


def _count(course: Course) -> int:
    return db.session.scalar(select(func.count()).select_from(CourseStaff)
                             .where(CourseStaff.course_id == course.id))


def _label(role: StaffRole) -> str:
    return "an owner" if role == StaffRole.OWNER else "an instructor"


def _audit(action: str, course: Course, user: User, actor: User | None,
           role: StaffRole) -> None:
    record_audit(action, actor_id=actor.id if actor else None, target=f"course:{course.id}",
                 data={"user": user.email, "role": role.value})
