"""Finding the course a URL names, and refusing it to those who may not see or edit it."""

from __future__ import annotations

from flask import abort, url_for
from flask_login import current_user

from courses.models import Course
from courses.services import catalog


def viewable_course(slug: str) -> Course:
    """The course, or 404 when it does not exist or this user may not see it."""
    course = catalog.find_course(slug)
    if course is None or not catalog.can_view(course, current_user):
        abort(404)
    return course


def editable_course(slug: str) -> Course:
    """The course for staff; everyone else gets 403 (or 404 when it does not exist)."""
    course = catalog.find_course(slug)
    if course is None:
        abort(404)
    if not catalog.is_staff(current_user):
        abort(403)
    return course


def media_prefix(course: Course) -> str:
    """Where this course's media files are served: a manual's media/x.png maps below it."""
    return url_for("courses.home", slug=course.slug) + "/media/"
