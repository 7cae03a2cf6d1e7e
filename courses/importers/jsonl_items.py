"""Native items.jsonl with a media folder: what the Gold items page and `bootcamp items import`
read, like the other formats' converters.

Pure logic (no Flask, no database). An item's media is a path "media/<name>" written by whoever
made the file, so it is untrusted: each one must name a regular file inside the media folder
(courses.media_paths.media_file), never a file elsewhere on the server.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from courses.errors import Problems
from courses.importers.common import Converted
from courses.importers.native import item_lines, load_items
from courses.media_paths import MEDIA_PREFIX, MediaNotFound, MediaRefused, is_cloud, media_file
from courses.pointclouds import cloud_problem


def from_jsonl(text: str, media_dir: str | os.PathLike[str] | None, *,
               file: str = "items.jsonl",
               sections: Collection[str] | None = None) -> Converted:
    """Native items and the files of `media_dir` they use; raise SourceInvalid on any problem.

    An item whose media is not in the folder is left out of `media` (it may be in the course
    already; the import says so when it is not); an unsafe name, a link or a file over the size
    limit is an error at the item's line.
    """
    natives = load_items(text, file=file, sections=sections)
    problems = Problems(file)
    media: dict[str, Path] = {}
    lines = [line for line, _ in item_lines(text)]
    for native, line in zip(natives, lines, strict=True):
        path = native["media"]
        if path is None or media_dir is None or path in media:
            continue
        try:
            media[path] = media_file(Path(media_dir), path.removeprefix(MEDIA_PREFIX))
        except MediaNotFound:
            continue
        except MediaRefused as refused:
            problems.add(line, f'item "{native["id"]}": media {refused}')
            continue
        problem = cloud_problem(path, media[path].read_bytes()) if is_cloud(path) else None
        if problem:
            problems.add(line, f'item "{native["id"]}": media "{path}": {problem}')
    problems.raise_if_any()
    return Converted(natives, media, lines)
