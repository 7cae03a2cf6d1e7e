"""Clips for tracks items, stored as frame strips, and the checks a strip must pass.

An item has one media file, so a clip is one image: its frames stacked top to bottom, each
spec.width by spec.height pixels (frame i is the rows i * height to (i + 1) * height). The
widget draws one frame as that part of the strip. Pure logic: no Flask, no database.

A strip is limited in frames and in pixels: the browser decodes the whole image, and mobile
browsers refuse (or draw blank) images above about 16.7 million pixels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from courses import kinds
from courses.importers.media import image_size_of

MAX_CLIP_FRAMES = 300
MAX_STRIP_PIXELS = 4096 * 4096


def strip_problem(spec: Any, content: bytes) -> str | None:
    """Why `content` cannot be the frame strip of an item with this spec, or None.

    The spec is assumed checked by the grader (width, height and frames whole and positive).
    """
    width, height, frames = spec["width"], spec["height"], spec["frames"]
    if frames > MAX_CLIP_FRAMES:
        return (f"spec.frames: a clip has at most {MAX_CLIP_FRAMES} frames, got {frames} "
                "(split it into several items)")
    if width * height * frames > MAX_STRIP_PIXELS:
        return (f"spec: {frames} frames of {width} x {height} pixels make "
                f"{width * height * frames:,} pixels, more than the {MAX_STRIP_PIXELS:,} a "
                "phone's browser shows (use fewer or smaller frames)")
    size = image_size_of(content)
    if size is None:
        return ("the frame strip must be a PNG, JPEG or WebP image whose size can be read")
    if size != (width, frames * height):
        return (f"the frame strip is {size[0]} x {size[1]} pixels, but spec.width {width} and "
                f"spec.frames {frames} x spec.height {height} need {width} x {frames * height}"
                " (the frames stacked top to bottom)")
    return None


def holds_clip(item: Mapping[str, Any]) -> bool:
    """Whether a valid item's media is a clip's frame strip."""
    return kinds.kind_of(item["kind"]).media == "clip"


def media_problem(item: Mapping[str, Any], content: bytes | None) -> str | None:
    """Why a valid item's media file does not fit it (a clip's strip must hold its frames),
    or None; None too when the content is not at hand (the caller reports a missing file)."""
    if content is None or not holds_clip(item):
        return None
    return strip_problem(item["spec"], content)
