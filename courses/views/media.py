"""Serving a course's media files: manual pictures and the pictures and point clouds of
practice items (a cloud also packed for the cuboids widget, with ?packed).

Media that only exam items use is not served here to trainees (an exam's pictures must not be
studied before the exam); the exams blueprint serves those to the attempt that shows them.
"""

from __future__ import annotations

import mimetypes
from collections import OrderedDict
from threading import Lock

from flask import abort, request
from flask_login import current_user, login_required
from sqlalchemy import select

from bootcamp.errors import problem
from bootcamp.extensions import db
from courses import pointclouds
from courses.media_paths import MEDIA_PREFIX, is_cloud, media_path_problem
from courses.models import Course, MediaFile
from courses.services import catalog, enrolment, items
from courses.views import bp
from courses.views.access import viewable_course

INLINE_TYPES = {"application/pdf", "text/plain"}


def media_file(course: Course, name: str) -> MediaFile | None:
    return db.session.scalar(select(MediaFile).where(MediaFile.course_id == course.id,
                                                     MediaFile.path == f"media/{name}"))


def media_response(file: MediaFile):
    """The file as a download-safe response, cached by the browser and revalidated by hash;
    with ?packed, a point cloud thinned out and packed for the widget (packed_cloud)."""
    if "packed" in request.args:
        return packed_response(file)
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


def packed_response(file: MediaFile):
    """A point cloud as courses.pointclouds.pack writes it: what the cuboids widget draws.

    The same routes (and so the same access rules) as the file itself. Imported media never
    change, so the browser may keep it; the server keeps the last few it packed.
    """
    if not is_cloud(file.path):
        abort(404)
    tag = f"{file.sha256}-packed{pointclouds.PACK_VERSION}"
    if request.if_none_match.contains(tag):
        return "", 304
    try:
        content = packed_cloud(file.sha256, file.path, file.content)
    except pointclouds.PointCloudError as error:  # checked on import: only a file stored before
        return problem(422, "Unreadable point cloud", str(error))
    return content, 200, {
        "Content-Type": "application/octet-stream", "ETag": f'"{tag}"',
        "Cache-Control": "private, max-age=31536000, immutable",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }


_PACKED: OrderedDict[str, bytes] = OrderedDict()
_PACKED_KEPT = 8  # clouds: about 350 kB each
_PACKED_LOCK = Lock()


def packed_cloud(sha256: str, path: str, content: bytes) -> bytes:
    """The packed form of a cloud, made once per file content and kept while it is in use."""
    with _PACKED_LOCK:
        if sha256 in _PACKED:
            _PACKED.move_to_end(sha256)
            return _PACKED[sha256]
    packed = pointclouds.pack(pointclouds.decimate(pointclouds.read_cloud(content, path)))
    with _PACKED_LOCK:
        _PACKED[sha256] = packed
        while len(_PACKED) > _PACKED_KEPT:
            _PACKED.popitem(last=False)
    return packed


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
    if not catalog.can_edit(course.id, current_user) and (
            items.exam_only_media(course, file.path)
            or ("packed" in request.args  # for the practice tool: enrolled trainees only
                and enrolment.enrollment_of(current_user.id, course.id) is None)):
        abort(404)
    return media_response(file)
