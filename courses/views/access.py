"""Finding the course a URL names, and refusing it to those who may not see or edit it."""

from __future__ import annotations

from flask import abort, url_for
from flask_login import current_user

from courses.models import Course, Item
from courses.services import catalog, items


def viewable_course(slug: str) -> Course:
    """The course, or 404 when it does not exist or this user may not see it."""
    course = catalog.find_course(slug)
    if course is None or not catalog.can_view(course, current_user):
        abort(404)
    return course


def editable_course(slug: str) -> Course:
    """The course for its staff and admins; others get 403, or 404 when they may not even see
    it (it does not exist, or it is another instructor's draft)."""
    course = catalog.find_course(slug)
    if course is None:
        abort(404)
    if not catalog.can_edit(course.id, current_user):
        abort(403 if catalog.can_view(course, current_user) else 404)
    return course


def course_item(course: Course, key: str) -> Item:
    """The course's item a URL names by its key, or 404."""
    item = items.find_item(course, key)
    if item is None:
        abort(404)
    return item


def media_prefix(course: Course) -> str:
    """Where this course's media files are served: a manual's media/x.png maps below it."""
    return url_for("courses.home", slug=course.slug) + "/media/"
