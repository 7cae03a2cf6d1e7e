"""What the importers of tracking formats (MOTChallenge, CVAT for video) share.

A source sequence (hundreds or thousands of frames, each a full-size image) becomes one tracks
item per window of at most courses.clips.MAX_CLIP_FRAMES frames, its media a frame strip
(courses.clips): the window's frames scaled down alike until the strip fits the pixel limit,
stacked top to bottom in one JPEG. Boxes are clipped to their frame and scaled with it. The
strips are made here, in memory (Converted.media then holds their bytes), so that a converter
never writes next to the files it was given. Pure logic: no Flask, no database.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from PIL import Image, UnidentifiedImageError

from courses import clips
from courses.errors import Problems
from courses.importers.common import Source, new_item, pixels, slug
from courses.media_paths import MAX_MEDIA_BYTES, MEDIA_PREFIX
from graders.tracks import MAX_BOXES, MAX_LABELS, MAX_TRACKS

MAX_FRAME_SIDE = 8192  # a source frame's width and height (8K video is 7680 x 4320)
MAX_SOURCE_FRAMES = 100_000
MAX_SOURCE_BOXES = 1_000_000  # boxes in view over the whole source: bounds memory
JPEG_MAX_SIDE = 65_535  # the most rows a JPEG can have
JPEG_QUALITY = 90
FRAME_FORMATS = ("JPEG", "PNG", "WEBP")  # what Pillow may decode a frame as
IMAGE_EXTENSIONS = re.compile(r"\.(jpe?g|png|webp)", re.IGNORECASE)
MAX_FRAME_PROBLEMS = 10  # missing or broken frame images listed before "and N more"

Box = tuple[float, float, float, float]  # x, y, w, h in source pixels


class Track(NamedTuple):
    """A track of a source: its label, the line it starts on, its boxes by frame (from 0)."""

    label: str
    line: int
    boxes: dict[int, Box]


class Clip(NamedTuple):
    """A whole source sequence: frame size and count, labels, tracks by id."""

    name: str  # for item ids: the sequence's or task's name
    first: int  # how the source numbers its first frame (MOTChallenge 1, CVAT 0)
    width: int
    height: int
    frames: int
    labels: list[str]
    tracks: Mapping[int, Track]


def clip_length(clip: int | None) -> int:
    """Frames per item: `clip`, or as many as a strip holds; ValueError when out of range."""
    if clip is None:
        return clips.MAX_CLIP_FRAMES
    if not 1 <= clip <= clips.MAX_CLIP_FRAMES:
        raise ValueError(f"a clip has 1 to {clips.MAX_CLIP_FRAMES} frames, got {clip}")
    return clip


def windows(frames: int, length: int) -> list[range]:
    """The source's frames cut into consecutive windows of `length` (the last may be shorter)."""
    return [range(start, min(start + length, frames)) for start in range(0, frames, length)]


def clipped(box: Box, width: int, height: int) -> Box | None:
    """The part of a box inside a width x height frame, or None when nothing of it is."""
    x, y, w, h = box
    left, top = max(x, 0.0), max(y, 0.0)
    right, bottom = min(x + w, float(width)), min(y + h, float(height))
    if right <= left or bottom <= top:
        return None
    return left, top, right - left, bottom - top


def fitted_size(width: int, height: int, frames: int) -> tuple[int, int]:
    """The frame size of a strip of `frames` frames: the source's, scaled down (never up) until
    the strip has at most clips.MAX_STRIP_PIXELS pixels and JPEG_MAX_SIDE rows."""
    scale = min(1.0, math.sqrt(clips.MAX_STRIP_PIXELS / (frames * width * height)),
                JPEG_MAX_SIDE / (frames * height))
    fitted_width, fitted_height = max(1, int(width * scale)), max(1, int(height * scale))
    while frames * fitted_width * fitted_height > clips.MAX_STRIP_PIXELS:  # float rounding
        fitted_width, fitted_height = max(1, fitted_width - 1), max(1, fitted_height - 1)
    return fitted_width, fitted_height


def whole(text: str, field: str, low: int, high: int) -> int:
    """A whole number from low to high written as an integer ("7") or a whole float ("7.0");
    ValueError saying what is wrong, naming `field`."""
    shown = text.strip()[:40]
    try:
        value = int(text)
    except ValueError:
        try:
            fraction = float(text)
        except ValueError:
            raise ValueError(f"{field}: must be a whole number, got {shown!r}") from None
        value = int(fraction) if fraction.is_integer() else None
    if value is None or not low <= value <= high:
        raise ValueError(f"{field}: must be a whole number from {low} to {high}, got {shown}")
    return value


def number(text: str, field: str) -> float:
    """A finite number; ValueError naming `field` otherwise."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{field}: must be a number, got {text.strip()[:40]!r}") from None
    if not math.isfinite(value) or abs(value) > 1e9:
        raise ValueError(f"{field}: must be a finite number of pixels, got {text.strip()[:40]}")
    return value


def frame_size_problem(width: int, height: int) -> str | None:
    """Why a source frame size is refused, or None."""
    if not (1 <= width <= MAX_FRAME_SIDE and 1 <= height <= MAX_FRAME_SIDE):
        return (f"frames must be 1 to {MAX_FRAME_SIDE} pixels wide and high, got "
                f"{width} x {height}")
    return None


def label_problem(labels: Sequence[str]) -> str | None:
    """Why a source's label set cannot be a tracks spec's, or None."""
    if not labels:
        return "there are no labels"
    if len(labels) > MAX_LABELS:
        return f"too many labels: {len(labels)} > {MAX_LABELS}"
    return None


class Windows(NamedTuple):
    """The items to make: per window its frames and its tracks' boxes by id."""

    ranges: list[range]
    tracks: list[dict[int, Track]]


def split(clip: Clip, length: int, problems: Problems) -> Windows:
    """Cut the clip's tracks into windows of `length` frames; a window with more tracks or
    boxes than an item holds is a problem (a shorter clip helps)."""
    ranges = windows(clip.frames, length)
    parts: list[dict[int, Track]] = [{} for _ in ranges]
    for identity in sorted(clip.tracks):
        track = clip.tracks[identity]
        for frame in sorted(track.boxes):
            part = parts[frame // length]
            part.setdefault(identity, Track(track.label, track.line, {})).boxes[frame] = \
                track.boxes[frame]
    for frames, part in zip(ranges, parts, strict=True):
        boxes = sum(len(track.boxes) for track in part.values())
        if len(part) > MAX_TRACKS or boxes > MAX_BOXES:
            problems.add(1, f"frames {frames.start + clip.first} to {frames.stop - 1 + clip.first}"
                            f" have {len(part)} tracks and {boxes} boxes; an item holds at most "
                            f"{MAX_TRACKS} tracks and {MAX_BOXES} boxes: cut the clip shorter "
                            "(--clip)")
    return Windows(ranges, parts)


def make_items(clip: Clip, parts: Windows, files: Sequence[Path], *, prefix: str,
               pools: list[str], problems: Problems) -> tuple[list[Source], dict[str, bytes]]:
    """One tracks item per window, with its strip composed from the window's frame files."""
    sources, media, broken = [], {}, []
    whole_clip = len(parts.ranges) == 1
    for frames, part in zip(parts.ranges, parts.tracks, strict=True):
        name = clip.name if whole_clip else \
            f"{clip.name}-{frames.start + clip.first:06d}-{frames.stop - 1 + clip.first:06d}"
        item_id = slug(f"{prefix}-{name}") or prefix
        size = fitted_size(clip.width, clip.height, len(frames))
        strip = compose([files[frame] for frame in frames], (clip.width, clip.height), size,
                        broken)
        path = f"{MEDIA_PREFIX}clips/{item_id}.jpg"
        if strip is not None and len(strip) > MAX_MEDIA_BYTES:
            problems.add(1, f"the strip of {item_id} is {len(strip) / 1024 / 1024:.1f} MB; the "
                            f"limit is {MAX_MEDIA_BYTES // 1024 // 1024} MB (cut the clip shorter)")
        media[path] = strip or b""
        spec = {"width": size[0], "height": size[1], "frames": len(frames),
                "labels": list(clip.labels)}
        gold = [gold_track(identity, track, frames.start, clip, size)
                for identity, track in part.items()]
        line = min((track.line for track in part.values()), default=1)
        sources.append(Source(new_item(item_id, "tracks", path, spec, gold, pools), line,
                              f"frames {frames.start + clip.first} to "
                              f"{frames.stop - 1 + clip.first}"))
    report_frames(broken, problems)
    return sources, media


def report_frames(messages: list[str], problems: Problems) -> None:
    """Problems with frame images, the first few of them: a missing folder is one mistake,
    not thousands."""
    for message in messages[:MAX_FRAME_PROBLEMS]:
        problems.add(1, message)
    if len(messages) > MAX_FRAME_PROBLEMS:
        problems.add(1, f"and {len(messages) - MAX_FRAME_PROBLEMS} more frames like these")


def gold_track(identity: int, track: Track, start: int, clip: Clip,
               size: tuple[int, int]) -> dict[str, Any]:
    """A track of one window as the grader reads it: frames from 0, boxes in strip pixels."""
    across, down = size[0] / clip.width, size[1] / clip.height
    boxes = {}
    for frame, (x, y, w, h) in sorted(track.boxes.items()):
        left, top = pixels(x * across), pixels(y * down)
        right, bottom = pixels((x + w) * across), pixels((y + h) * down)
        if right > left and bottom > top:  # else under 1/1000 px once scaled: nothing to see
            boxes[str(frame - start)] = {"x": left, "y": top, "w": pixels(right - left),
                                         "h": pixels(bottom - top)}
    return {"id": identity, "label": track.label, "boxes": boxes}


def compose(files: Sequence[Path], size: tuple[int, int], fitted: tuple[int, int],
            broken: list[str]) -> bytes | None:
    """The frames scaled to `fitted` and stacked in a JPEG, or None after adding to `broken`
    why a frame cannot be used (not an image, or not `size`)."""
    strip = Image.new("RGB", (fitted[0], fitted[1] * len(files)))
    failed = False
    for index, file in enumerate(files):
        try:
            frame = read_frame(file, size, fitted)
        except ValueError as error:
            broken.append(f"{file.name}: {error}")
            failed = True
            continue
        if not failed:
            strip.paste(frame, (0, index * fitted[1]))
    if failed:
        return None
    out = io.BytesIO()
    strip.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def read_frame(file: Path, size: tuple[int, int], fitted: tuple[int, int]) -> Image.Image:
    """One frame image of the given size, scaled to `fitted`; ValueError when it is not one.

    The size is read from the header before anything is decoded, and Pillow's guard against
    decompression bombs is an error here, not a warning.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(file, formats=FRAME_FORMATS) as image:
                if image.size != size:
                    raise ValueError(f"the frame is {image.size[0]} x {image.size[1]} pixels, "
                                     f"not {size[0]} x {size[1]}")
                image.draft("RGB", fitted)  # JPEG decodes at a smaller scale: much faster
                return image.convert("RGB").resize(fitted, Image.Resampling.LANCZOS)
        except (UnidentifiedImageError, Image.DecompressionBombError,
                Image.DecompressionBombWarning, OSError, SyntaxError) as error:
            raise ValueError(f"cannot be read as a JPEG, PNG or WebP image ({error})") from None
