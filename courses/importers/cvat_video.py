"""CVAT for video 1.1 (annotations.xml) with the task's frames, as tracks items.

Why CVAT: it is the open-source tool most teams label video in, and "CVAT for video 1.1" is
its export that keeps tracks as tracks:

    <annotations><meta><task> (or <job>) <name>, <size> (frames), <labels><label><name>...,
      <original_size><width>, <height> </task></meta>
      <track id="0" label="car" source="manual">
        <box frame="0" keyframe="1" outside="0" occluded="0" xtl=".." ytl=".." xbr=".." ybr=".."/>
        ...
      </track>
    </annotations>

with the frames as CVAT saves them beside it (images/frame_000000.PNG ..., or 000000.jpg).
CVAT lists a track's box on every frame it is in view and a last box marked outside="1" where
it leaves. Files that list only key frames are read as CVAT reads its own tracks: from each
box not marked outside, the box moves linearly to the next listed box (outside or not); after
the last listed box, unless it is outside, it stays where it is to the end. Occluded boxes are
in view. Only boxes become tracks: a track of polygons, points or other shapes is refused.

Parsed with expat directly, so that errors name the file's line; a DOCTYPE (and so any
entity, the "billion laughs" among them) is refused, as for Label Studio configs. Pure logic:
no Flask, no database; it reads only the media folder given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from xml.parsers import expat

from courses.errors import Problems, SourceInvalid
from courses.importers import tracking
from courses.importers.common import Converted, finish, pool_list
from courses.importers.media import MediaFolder
from courses.media_paths import MediaRefused, media_file
from graders.tracks import MAX_ID

SHAPES = frozenset({"polygon", "polyline", "points", "ellipse", "cuboid", "mask", "skeleton"})
FRAME_NAME = re.compile(r"(?:frame_)?(\d{6,9})\.(?:jpe?g|png|webp)", re.IGNORECASE)
META = ("annotations/meta/task/", "annotations/meta/job/")
MAX_LISTED_BOXES = tracking.MAX_SOURCE_BOXES


class Listed:
    """A box as the file lists it: frame, corners, outside, and its line."""

    __slots__ = ("bottom", "frame", "left", "line", "outside", "right", "top")

    def __init__(self, frame: int, corners: Sequence[float], outside: bool, line: int) -> None:
        self.frame, self.outside, self.line = frame, outside, line
        self.left, self.top, self.right, self.bottom = corners


class _Reader:
    """Expat callbacks collecting the task's meta data, the tracks and problems."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.parser.EntityDeclHandler = self.doctype
        self.open: list[str] = []
        self.texts: dict[str, list[str]] = {}  # meta field -> its texts (labels: several)
        self.buffer: list[str] = []
        self.tracks: dict[int, tuple[str, int, list[Listed]]] = {}  # id -> label, line, boxes
        self.track: int | None = None
        self.boxes = 0

    def problem(self, message: str) -> None:
        self.problems.add(self.parser.CurrentLineNumber, message)

    def doctype(self, *_: object) -> None:
        self.problem("a DOCTYPE is not allowed (CVAT writes none; entities can blow up)")
        raise SourceInvalid(list(self.problems))

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.open.append(tag)
        self.buffer = []
        path = "/".join(self.open)
        if path in ("annotations/meta/project", "annotations/image"):
            self.problem("this is a project export or a CVAT for images export: export the "
                         "task (or a job) as CVAT for video 1.1")
            raise SourceInvalid(list(self.problems))
        if path == "annotations/track":
            self.start_track(attrs)
        elif path.startswith("annotations/track/") and len(self.open) == 3:
            self.shape(tag, attrs)

    def end(self, tag: str) -> None:
        path = "/".join(self.open)
        for prefix in META:
            if path.startswith(prefix) and path[len(prefix):] in (
                    "name", "size", "original_size/width", "original_size/height",
                    "labels/label/name"):
                self.texts.setdefault(path[len(prefix):], []).append("".join(self.buffer))
        if path == "annotations/track":
            self.track = None
        self.open.pop()
        self.buffer = []

    def text(self, data: str) -> None:
        if len(self.buffer) < 1000:  # a meta field is short; a flood of text is not kept
            self.buffer.append(data)

    def start_track(self, attrs: dict[str, str]) -> None:
        try:
            identity = tracking.whole(attrs.get("id", ""), "id", 0, MAX_ID)
        except ValueError as error:
            self.problem(f"track: {error}")
            return
        label = attrs.get("label", "").strip()
        if not label:
            self.problem(f"track {identity}: label: is required")
        elif identity in self.tracks:
            self.problem(f"track {identity}: the id is used twice (also on line "
                         f"{self.tracks[identity][1]})")
        else:
            self.track = identity
            self.tracks[identity] = (label, self.parser.CurrentLineNumber, [])

    def shape(self, tag: str, attrs: dict[str, str]) -> None:
        if self.track is None:
            return
        if tag != "box":
            if tag in SHAPES:
                self.problem(f"track {self.track}: a track of {tag} shapes cannot become a "
                             "track of boxes (only boxes can)")
                self.track = None
            return
        self.boxes += 1
        if self.boxes > MAX_LISTED_BOXES:
            self.problem(f"too many boxes: more than {MAX_LISTED_BOXES:,}")
            raise SourceInvalid(list(self.problems))
        try:
            box = self.box(attrs)
        except ValueError as error:
            self.problem(f"track {self.track}: box: {error}")
            return
        self.tracks[self.track][2].append(box)

    def box(self, attrs: dict[str, str]) -> Listed:
        frame = tracking.whole(attrs.get("frame", ""), "frame", 0, tracking.MAX_SOURCE_FRAMES)
        corners = [tracking.number(attrs.get(key, ""), key)
                   for key in ("xtl", "ytl", "xbr", "ybr")]
        if corners[2] <= corners[0] or corners[3] <= corners[1]:
            raise ValueError(f"frame {frame}: xbr and ybr must be more than xtl and ytl, got "
                             f"{corners[0]:g}, {corners[1]:g}, {corners[2]:g}, {corners[3]:g}")
        if tracking.number(attrs.get("rotation", "0"), "rotation") % 360:
            raise ValueError(f"frame {frame}: rotated boxes cannot be imported (Bootcamp's boxes "
                             "are upright); straighten them in CVAT")
        outside = attrs.get("outside", "0")
        if outside not in ("0", "1"):
            raise ValueError(f"frame {frame}: outside must be 0 or 1, got {outside[:20]!r}")
        return Listed(frame, corners, outside == "1", self.parser.CurrentLineNumber)


def from_cvat_video(text: str, root: str | Path | None, *, file: str = "annotations.xml",
                    pools: str = "practice", clip: int | None = None) -> Converted:
    """The tracks items of one CVAT for video 1.1 export; SourceInvalid listing every problem.

    `root` is the folder with the frames (subfolders included); `clip` cuts the task into
    items of that many frames (at most courses.clips.MAX_CLIP_FRAMES, which is also what a
    longer task is cut into).
    """
    problems = Problems(file)
    length = tracking.clip_length(clip)
    reader = _Reader(problems)
    try:
        reader.parser.Parse(text.encode("utf-8"), True)
    except expat.ExpatError as error:
        problems.add(error.lineno, f"not well-formed XML: {expat.ErrorString(error.code)}")
    problems.raise_if_any()
    name, size, frames, labels = meta(reader, Path(file).stem, problems)
    problems.raise_if_any()
    tracks, room = {}, tracking.MAX_SOURCE_BOXES
    for identity, (label, line, listed) in reader.tracks.items():
        if label not in labels:
            problems.add(line, f"track {identity}: label {label[:40]!r} is not among the "
                               f"task's labels ({', '.join(labels)[:200]})")
        where = Problems(problems.file)
        tracks[identity] = tracking.Track(label, line, expand(listed, frames, size, where, room))
        for error in where:
            problems.add(error.line, f"track {identity}: {error.message}")
        room -= len(tracks[identity].boxes)
        if room < 0:
            problems.add(line, f"too many boxes in view: more than "
                               f"{tracking.MAX_SOURCE_BOXES:,} in all tracks together")
            break
    problems.raise_if_any()
    parsed = tracking.Clip(name, 0, size[0], size[1], frames, labels, tracks)
    parts = tracking.split(parsed, length, problems)
    files = frame_files(root, frames, problems)
    problems.raise_if_any()
    sources, media = tracking.make_items(parsed, parts, files, prefix="cvat",
                                         pools=pool_list(pools), problems=problems)
    return finish(sources, problems, media)


def meta(reader: _Reader, fallback: str,
         problems: Problems) -> tuple[str, tuple[int, int], int, list[str]]:
    """(task name, frame size, frame count, labels) from the export's <meta>."""
    texts = reader.texts
    try:
        frames = tracking.whole((texts.get("size") or [""])[0], "meta: size", 1,
                                tracking.MAX_SOURCE_FRAMES)
        width, height = (tracking.whole((texts.get(f"original_size/{key}") or [""])[0],
                                        f"meta: original_size/{key}", 1, tracking.MAX_FRAME_SIDE)
                         for key in ("width", "height"))
    except ValueError as error:
        problems.add(1, f"{error} (CVAT for video 1.1 gives the task's size and original_size "
                        "in <meta>)")
        return fallback, (1, 1), 1, []
    labels = list(dict.fromkeys(
        name.strip() for name in texts.get("labels/label/name", []) if name.strip()))
    labels = labels or sorted({label for label, _, _ in reader.tracks.values()})
    problem = tracking.label_problem(labels)
    if problem:
        problems.add(1, f"meta: labels: {problem}")
    name = (texts.get("name") or [""])[0].strip() or fallback
    return name, (width, height), frames, labels


def expand(listed: list[Listed], frames: int, size: tuple[int, int], problems: Problems,
           room: int) -> dict[int, tracking.Box]:
    """A track's boxes on every frame it is in view, clipped to the frame (CVAT's reading of
    key frames: linear from each box not outside to the next, the last one held to the end);
    it stops past `room` boxes (the caller says there are too many)."""
    listed = sorted(listed, key=lambda box: box.frame)
    boxes: dict[int, tracking.Box] = {}
    for index, box in enumerate(listed):
        if box.frame >= frames:
            problems.add(box.line, f"box: frame {box.frame}: the task has frames 0 to "
                                   f"{frames - 1}")
            return boxes
        if index and listed[index - 1].frame == box.frame:
            problems.add(box.line, f"box: frame {box.frame} is listed twice in the track (also "
                                   f"on line {listed[index - 1].line})")
            return boxes
        if box.outside or len(boxes) > room:
            continue
        end = listed[index + 1] if index + 1 < len(listed) else None
        corners = (box.left, box.top, box.right, box.bottom)
        here = tracking.clipped(xywh(corners), *size)
        if here is None:
            problems.add(box.line, f"box: frame {box.frame}: the box lies outside the "
                                   f"{size[0]} x {size[1]} frame")
            return boxes
        boxes[box.frame] = here
        stop = min(end.frame, frames) if end else frames
        for frame in range(box.frame + 1, stop):
            share = (frame - box.frame) / (end.frame - box.frame) if end else 0.0
            moved = [a + (b - a) * share for a, b in zip(
                corners, (end.left, end.top, end.right, end.bottom) if end else corners,
                strict=True)]
            inside = tracking.clipped(xywh(moved), *size)
            if inside is not None:  # moving toward an outside box, it may leave the frame
                boxes[frame] = inside
    return boxes


def xywh(corners: Sequence[float]) -> tracking.Box:
    left, top, right, bottom = corners
    return left, top, right - left, bottom - top


def frame_files(root: str | Path | None, frames: int, problems: Problems) -> list[Path]:
    """The frame images 0 to frames - 1, found by name (frame_000000.png or 000000.jpg, any
    case) anywhere in the media folder, each checked as a media file."""
    if root is None:
        problems.add(1, "needs the folder with the task's frames (frame_000000.png ...) as the "
                        "media folder")
        return []
    folder = MediaFolder(root)
    found: dict[int, list[str]] = {}
    try:
        names = folder.names()
    except NotADirectoryError as error:
        problems.add(1, str(error))
        return []
    for name, paths in names.items():
        match = FRAME_NAME.fullmatch(name)
        if match and int(match.group(1)) < frames:
            found.setdefault(int(match.group(1)), []).extend(str(path) for path in paths)
    files, missing = [], []
    for frame in range(frames):
        paths = found.get(frame, [])
        if len(paths) != 1:
            missing.append(f"frame {frame}: " + (
                f"several images ({', '.join(sorted(paths)[:3])})" if paths else
                f"no image named frame_{frame:06d}.png (or .jpg, .webp) in the media folder"))
            continue
        try:
            files.append(media_file(Path(root), paths[0]))
        except MediaRefused as refused:
            missing.append(f"frame {frame}: {refused}")
    tracking.report_frames(missing, problems)
    return files
