"""Bringing converted gold items and their media into a course's bank, all or nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.users.models import User
from courses import importers
from courses.clips import holds_clip, media_problem
from courses.errors import SourceError, SourceInvalid
from courses.models import Course, MediaFile
from courses.services import items, manuals

FORMATS = ("jsonl", "coco", "labelstudio", "csv", "kitti", "mot", "cvat-video")


def convert(course: Course, fmt: str, source: Path, media_dir: Path | None, *,
            pool: str = "practice", annotation: str = "ground-truth", config: str | None = None,
            config_file: str = "config.xml", classes: Mapping[int, str] | None = None,
            clip: int | None = None) -> importers.Converted:
    """A file in any import format as native items and the media files they use.

    Without `media_dir`, native JSONL looks in media/ beside the file, COCO and CVAT for video
    beside the file, KITTI in the folder above label_2/ and MOTChallenge in the sequence
    folder above gt/ (as exports keep them); Label Studio and CSV then have no images.
    `classes` (MOTChallenge) and `clip` (frames per item, MOTChallenge and CVAT for video)
    apply to the tracking formats. Raises SourceInvalid listing every problem,
    UnicodeDecodeError when the file is not UTF-8 text.
    """
    text, file = source.read_text(encoding="utf-8"), source.name
    if fmt == "jsonl":
        return importers.from_jsonl(text, media_dir or source.parent / "media", file=file,
                                    sections=manuals.latest_section_titles(course))
    if fmt == "coco":
        return importers.from_coco(text, media_dir or source.parent, file=file, pools=pool)
    if fmt == "labelstudio":
        return importers.from_label_studio(
            text, media_dir, file=file, pools=pool, annotation=annotation.replace("-", "_"),
            config=config, config_file=config_file)
    if fmt == "csv":
        return importers.from_csv(text, media_dir, file=file, pools=pool)
    if fmt == "kitti":  # label_2/<frame>.txt, with calib/ and velodyne/ beside label_2/
        return importers.from_kitti(text, media_dir or source.parent.parent, file=file,
                                    pools=pool)
    if fmt == "mot":  # <sequence>/gt/gt.txt, with seqinfo.ini and img1/ in <sequence>
        return importers.from_mot(text, media_dir or source.parent.parent, file=file,
                                  pools=pool, classes=classes, clip=clip)
    if fmt == "cvat-video":
        return importers.from_cvat_video(text, media_dir or source.parent, file=file,
                                         pools=pool, clip=clip)
    raise ValueError(f"unknown item format {fmt!r} (formats: {', '.join(FORMATS)})")


def stored_media(course: Course) -> dict[str, str]:
    """The course's media paths and their SHA-256."""
    rows = db.session.execute(
        select(MediaFile.path, MediaFile.sha256).where(MediaFile.course_id == course.id))
    return dict(rows.all())


def _stored_content(course: Course, path: str) -> bytes | None:
    return db.session.scalar(select(MediaFile.content).where(MediaFile.course_id == course.id,
                                                             MediaFile.path == path))


def import_items(course: Course, converted: importers.Converted, actor: User | None, *,
                 source: str) -> items.BankChanges:
    """Check items against the manual and the media, then store media and upsert items.

    Each problem is reported at the line of the item it concerns (for a media file that
    differs from the course's, the first item that uses it), as the converters report theirs.
    """
    stored = stored_media(course)
    contents = {path: file if isinstance(file, bytes) else file.read_bytes()
                for path, file in converted.media.items()}
    sections = manuals.latest_section_titles(course)
    problems = []
    clashing = {path for path, content in contents.items()
                if path in stored and stored[path] != hashlib.sha256(content).hexdigest()}
    for native, line in zip(converted.items, converted.lines, strict=True):
        path = native["media"]
        if path in clashing:
            clashing.remove(path)
            problems.append(SourceError(source, line, (
                f'item "{native["id"]}": {path} differs from the media file of that name '
                "already in the course; give the new file another name")))
        unknown = [s for s in native["sections"] if s not in sections]
        if unknown:
            problems.append(SourceError(source, line, (
                f'item "{native["id"]}": sections {", ".join(unknown)} are not in the latest '
                "manual")))
        if path and path not in stored and path not in contents:
            problems.append(SourceError(source, line, (
                f'item "{native["id"]}": media file "{path}" was not given')))
        problem = path and holds_clip(native) and media_problem(
            native, contents.get(path) or _stored_content(course, path))
        if problem:
            problems.append(SourceError(source, line, (
                f'item "{native["id"]}": media "{path}": {problem}')))
    if problems:
        raise SourceInvalid(problems)
    for path, content in contents.items():
        if path not in stored:
            db.session.add(MediaFile(course_id=course.id, path=path, content=content,
                                     sha256=hashlib.sha256(content).hexdigest()))
    return items.upsert_items(course, converted.items, actor, reason=f"import of {source}")
