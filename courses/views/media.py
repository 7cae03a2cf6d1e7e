"""Serving a course's media files: manual pictures and the pictures of practice items.

Media that only exam items use is not served here to trainees (an exam's pictures must not be
studied before the exam); the exams blueprint serves those to the attempt that shows them.
"""

from __future__ import annotations

import mimetypes

from flask import abort, request
from flask_login import current_user, login_required
from sqlalchemy import select

from bootcamp.extensions import db
from courses.media_paths import MEDIA_PREFIX, media_path_problem
from courses.models import Course, MediaFile
from courses.services import catalog, items
from courses.views import bp
from courses.views.access import viewable_course

INLINE_TYPES = {"application/pdf", "text/plain"}


def media_file(course: Course, name: str) -> MediaFile | None:
    return db.session.scalar(select(MediaFile).where(MediaFile.course_id == course.id,
                                                     MediaFile.path == f"media/{name}"))


def media_response(file: MediaFile):
    """The file as a download-safe response, cached by the browser and revalidated by hash."""
    if request.if_none_match.contains(file.sha256):
        return "", 304
    kind = mimetypes.guess_type(file.path)[0] or "application/octet-stream"
    inline = kind.startswith(("image/", "audio/", "video/")) or kind in INLINE_TYPES
    return file.content, 200, {
        "Content-Type": kind,
        "ETag": f'"{file.sha256}"',
        "Cache-Control": "private, max-age=86400",
        "Content-Disposition": "inline" if inline else "attachment",
        # A media file is never a page: even if a browser were tricked into rendering one.
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }


@bp.route("/<slug>/media/<path:name>")
@login_required
def media(slug: str, name: str):
    """A course's media file; a name that is not canonical is refused before any lookup, so
    that no row an attack stored at a traversal path is ever served."""
    if media_path_problem(MEDIA_PREFIX + name):
        abort(404)
    course = viewable_course(slug)
    file = media_file(course, name)
    if file is None:
        abort(404)
    if not catalog.can_edit(course.id, current_user) and items.exam_only_media(course, file.path):
        abort(404)
    return media_response(file)
