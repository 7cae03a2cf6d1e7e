"""MOTChallenge ground truth (gt/gt.txt) with its sequence's frames, as tracks items.

Why MOTChallenge: it is the format multi-object tracking benchmarks (MOT15 to MOT20, and
DanceTrack, SportsMOT) publish and that CVAT, Datumaro and most trackers read and write. A
sequence is a folder:

    <sequence>/gt/gt.txt      (the file given) one box a row: frame (from 1), id, left, top,
                              width, height, flag (0: ignored by the benchmark), class,
                              visibility
    <sequence>/seqinfo.ini    [Sequence] name, imDir, seqLength, imWidth, imHeight, imExt
    <sequence>/img1/000001.jpg ...  the frames (imDir and imExt say where)
    <sequence>/gt/labels.txt  (CVAT's and Datumaro's MOT export) class names, class 1 first

Without seqinfo.ini (CVAT's export has none) the frames are img1/000001.<ext> onwards and
their size is the first one's. Rows flagged 0 are left out, as the benchmark does. Classes
become labels: from labels.txt when there is one, else from a mapping given (the classes not in
it are left out), else the MOT16/17/20 classes 1 to 7 by name, leaving out distractors,
occluders and reflections (8 to 12). Pure logic: no Flask, no database; it reads only the
sequence folder given, and each frame through courses.media_paths.media_file.
"""

from __future__ import annotations

import configparser
import re
import stat
from collections.abc import Mapping
from pathlib import Path

from courses.errors import Problems
from courses.importers import tracking
from courses.importers.common import Converted, finish, pool_list
from courses.importers.media import image_size
from courses.media_paths import MediaRefused, media_file
from graders.tracks import MAX_ID

MOT_CLASSES = {1: "pedestrian", 2: "person_on_vehicle", 3: "car", 4: "bicycle", 5: "motorbike",
               6: "non_motorized_vehicle", 7: "static_person"}
LEFT_OUT = frozenset({8, 9, 10, 11, 12})  # distractor, occluders, reflection: not objects
FIELDS = ("frame", "id", "left", "top", "width", "height", "flag", "class", "visibility")
MAX_SMALL_FILE = 64 * 1024  # seqinfo.ini and labels.txt
FOLDER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")
FRAME_NAME = re.compile(r"(\d{6})(\.(?:jpe?g|png|webp))", re.IGNORECASE)


class Classes:
    """Which classes become which labels, and which are left out without a word."""

    def __init__(self, names: Mapping[int, str], left_out: frozenset[int] | None,
                 *, only_seen: bool = False) -> None:
        self.names = dict(names)
        self.left_out = left_out  # None: every class not named is left out
        self.only_seen = only_seen  # the spec's labels: those seen, or all the names

    def labels(self, seen: set[str]) -> list[str]:
        """The spec's labels, in class order."""
        names = dict.fromkeys(self.names.values())
        return [name for name in names if name in seen or not self.only_seen]

    def label(self, value: int) -> str | None:
        """The label of a class, None for one left out; ValueError for an unknown class."""
        if value in self.names:
            return self.names[value]
        if self.left_out is None or value in self.left_out:
            return None
        known = ", ".join(f"{number} ({name})" for number, name in self.names.items())
        raise ValueError(f"class: unknown class {value} (known: {known})")


def parse_classes(text: str) -> dict[int, str]:
    """`1=pedestrian,7=pedestrian,3=car` as {1: "pedestrian", 7: "pedestrian", 3: "car"};
    ValueError saying what is wrong."""
    found: dict[int, str] = {}
    for part in filter(str.strip, text.split(",")):
        number, equals, name = part.partition("=")
        if not equals or not number.strip().isdigit() or not name.strip():
            raise ValueError(f"give classes as CLASS=LABEL pairs separated by commas "
                             f"(1=pedestrian,3=car), got {part.strip()[:40]!r}")
        found[int(number)] = name.strip()
    if not found:
        raise ValueError("give at least one CLASS=LABEL pair")
    return found


def from_mot(text: str, root: str | Path | None, *, file: str = "gt.txt",
             pools: str = "practice", classes: Mapping[int, str] | None = None,
             clip: int | None = None) -> Converted:
    """The tracks items of one MOTChallenge sequence; SourceInvalid listing every problem.

    `root` is the sequence folder; `classes` maps class numbers to labels (the others are
    left out); `clip` cuts the sequence into items of that many frames (at most
    courses.clips.MAX_CLIP_FRAMES, which is also what a longer sequence is cut into).
    """
    problems = Problems(file)
    length = tracking.clip_length(clip)
    if root is None:
        problems.add(1, "needs the sequence folder (with seqinfo.ini and img1/) as the media "
                        "folder")
        problems.raise_if_any()
    root = Path(root)
    sequence = read_sequence(root, problems)
    chosen = choose_classes(root, classes, problems)
    problems.raise_if_any()
    name, folder, extension, frames, size = sequence
    tracks, labels = read_rows(text, chosen, frames, size, problems)
    if not problems and not tracks:
        problems.add(1, "no box to import: every row is flagged 0 or of a class left out")
    problems.raise_if_any()
    parsed = tracking.Clip(name, 1, size[0], size[1], frames, labels, tracks)
    parts = tracking.split(parsed, length, problems)
    files = frame_files(root, folder, extension, frames, problems)
    problems.raise_if_any()
    sources, media = tracking.make_items(parsed, parts, files, prefix="mot",
                                         pools=pool_list(pools), problems=problems)
    return finish(sources, problems, media)


def small_text(path: Path) -> str | None:
    """A small regular file's UTF-8 text, None when absent; ValueError when it is not one."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("must be a regular file (links are not allowed)")
    if info.st_size > MAX_SMALL_FILE:
        raise ValueError(f"is larger than {MAX_SMALL_FILE // 1024} KB")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("is not UTF-8 text") from None


def read_sequence(root: Path, problems: Problems) -> tuple[str, str, str, int, tuple[int, int]]:
    """(name, frame folder, frame extension, frame count, frame size) from seqinfo.ini, or
    from the frames in img1/ when there is no seqinfo.ini."""
    try:
        text = small_text(root / "seqinfo.ini")
    except ValueError as error:
        problems.add(1, f"seqinfo.ini {error}")
        return root.name, "img1", ".jpg", 1, (1, 1)
    if text is None:
        return listed_sequence(root, problems)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
        info = parser["Sequence"]
        name, folder, extension = (info.get(key, default).strip() for key, default in
                                   (("name", root.name), ("imDir", "img1"), ("imExt", ".jpg")))
        frames, width, height = (
            tracking.whole(info.get(key, ""), f"seqinfo.ini: {key}", 1, high)
            for key, high in (("seqLength", tracking.MAX_SOURCE_FRAMES),
                              ("imWidth", tracking.MAX_FRAME_SIDE),
                              ("imHeight", tracking.MAX_FRAME_SIDE)))
    except (configparser.Error, KeyError) as error:
        problems.add(1, f"seqinfo.ini needs a [Sequence] section with seqLength, imWidth and "
                        f"imHeight ({str(error).splitlines()[0][:80]})")
        return root.name, "img1", ".jpg", 1, (1, 1)
    except ValueError as error:
        problems.add(1, str(error))
        return root.name, "img1", ".jpg", 1, (1, 1)
    if not all(FOLDER.fullmatch(part) for part in folder.split("/")):
        problems.add(1, f"seqinfo.ini: imDir must name a folder inside the sequence folder "
                        f"(letters, digits, '.', '_', '-'), got {folder[:40]!r}")
    if not tracking.IMAGE_EXTENSIONS.fullmatch(extension):
        problems.add(1, f"seqinfo.ini: imExt must be .jpg, .jpeg, .png or .webp, got "
                        f"{extension[:40]!r}")
    return name or root.name, folder, extension, frames, (width, height)


def listed_sequence(root: Path, problems: Problems) -> tuple[str, str, str, int,
                                                               tuple[int, int]]:
    """The sequence as CVAT exports it: frames img1/000001.<ext> onwards, no seqinfo.ini."""
    folder = root / "img1"
    names = sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []
    found = [match for name in names if (match := FRAME_NAME.fullmatch(name))]
    if not found:
        problems.add(1, "needs seqinfo.ini, or the frames as img1/000001.jpg onwards")
        return root.name, "img1", ".jpg", 1, (1, 1)
    extension = found[0].group(2)
    frames = min(len(found), tracking.MAX_SOURCE_FRAMES)
    try:
        first = media_file(root, f"img1/000001{extension}")
    except MediaRefused as refused:
        problems.add(1, f"img1/000001{extension}: {refused.reason}")
        return root.name, "img1", extension, frames, (1, 1)
    size = image_size(first)
    if size is None:
        problems.add(1, f"img1/000001{extension} is not an image whose size can be read")
        return root.name, "img1", extension, frames, (1, 1)
    return root.name, "img1", extension, frames, size


def choose_classes(root: Path, classes: Mapping[int, str] | None,
                   problems: Problems) -> Classes:
    """The class mapping: the one given, else gt/labels.txt, else MOTChallenge's classes."""
    if classes is not None:
        return Classes(classes, None)
    try:
        text = small_text(root / "gt" / "labels.txt")
    except ValueError as error:
        problems.add(1, f"gt/labels.txt {error}")
        return Classes(MOT_CLASSES, LEFT_OUT, only_seen=True)
    if text is None:
        return Classes(MOT_CLASSES, LEFT_OUT, only_seen=True)
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if not names or len(names) > tracking.MAX_LABELS:
        problems.add(1, f"gt/labels.txt must name 1 to {tracking.MAX_LABELS} classes, one a "
                        f"line; it names {len(names)}")
    return Classes(dict(enumerate(names, start=1)), frozenset())


def read_rows(text: str, classes: Classes, frames: int, size: tuple[int, int],
              problems: Problems) -> tuple[dict[int, tracking.Track], list[str]]:
    """The tracks of gt.txt (frames from 0) and the spec's labels; every bad row a problem."""
    tracks: dict[int, tracking.Track] = {}
    first: dict[tuple[int, int], int] = {}  # (frame, id) -> line
    count = 0
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = read_row(line, classes, frames, size)
        except ValueError as error:
            problems.add(number, str(error))
            continue
        if row is None:
            continue
        frame, identity, label, box = row
        if (frame, identity) in first:
            problems.add(number, f"frame {frame + 1} has id {identity} twice (also on line "
                                 f"{first[frame, identity]})")
            continue
        first[frame, identity] = number
        track = tracks.setdefault(identity, tracking.Track(label, number, {}))
        if track.label != label:
            problems.add(number, f"class: id {identity} is {label} here but {track.label} on "
                                 f"line {track.line} (a track keeps one class)")
            continue
        track.boxes[frame] = box
        count += 1
        if count > tracking.MAX_SOURCE_BOXES:
            problems.add(number, f"too many boxes: more than {tracking.MAX_SOURCE_BOXES:,}")
            break
    return tracks, classes.labels({track.label for track in tracks.values()})


def read_row(line: str, classes: Classes, frames: int,
             size: tuple[int, int]) -> tuple[int, int, str, tracking.Box] | None:
    """(frame from 0, id, label, box clipped to the frame) of one row, None for a row left out;
    ValueError naming the field that is wrong."""
    values = line.split(",")
    if len(values) != len(FIELDS):
        raise ValueError(f"a gt.txt row has {len(FIELDS)} values ({', '.join(FIELDS)}), got "
                         f"{len(values)}")
    frame = tracking.whole(values[0], "frame", 1, frames) - 1
    identity = tracking.whole(values[1], "id", 0, MAX_ID)
    left, top, width, height = (tracking.number(values[i], FIELDS[i]) for i in range(2, 6))
    flag = tracking.whole(values[6], "flag", 0, 1)
    label = classes.label(tracking.whole(values[7], "class", -1, 1_000_000))
    visibility = tracking.number(values[8], "visibility")
    if not 0 <= visibility <= 1:
        raise ValueError(f"visibility: must be from 0 to 1, got {values[8].strip()[:40]}")
    for field, value in (("width", width), ("height", height)):
        if value <= 0:
            raise ValueError(f"{field}: must be a positive number, got {value:g}")
    box = tracking.clipped((left, top, width, height), *size)
    if box is None:
        raise ValueError(f"left, top, width, height: the box ({left:g}, {top:g}, {width:g}, "
                         f"{height:g}) lies outside the {size[0]} x {size[1]} frame")
    return None if flag == 0 or label is None else (frame, identity, label, box)


def frame_files(root: Path, folder: str, extension: str, frames: int,
                problems: Problems) -> list[Path]:
    """The sequence's frame images, each checked as a media file (no links, size limit)."""
    files, missing = [], []
    for frame in range(1, frames + 1):
        name = f"{frame:06d}{extension}"
        try:
            files.append(media_file(root, f"{folder}/{name}"))
        except MediaRefused as refused:
            missing.append(f"{folder}/{name}: {refused.reason}")
    tracking.report_frames(missing, problems)
    return files
