"""Label Studio results of one control -> the gold of one native item.

Regions are stored in percent of the original image (x, y, width, height in 0..100);
pixels = percent * original size / 100, rounded to 1/1000 px. Keypoints have no visibility
in Label Studio, so every placed keypoint is visible (v = 2). Text spans carry their text:
it must equal text[start:end] with offsets in code points, or the span is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from courses.importers.common import pixels
from courses.importers.labelstudio_config import Control

Report = Callable[[object, str], None]
_NUMBERS = (int, float)


def values(result: dict, key: str) -> list[str] | None:
    """value[key] of a result when it is a non-empty list of strings (its labels or choices)."""
    found = result.get("value", {}).get(key) if isinstance(result.get("value"), dict) else None
    if isinstance(found, list) and found and all(isinstance(v, str) for v in found):
        return found
    return None


def numbers(result: dict, keys: tuple[str, ...]) -> list[float] | None:
    """value[key] for each of `keys` when all are finite numbers."""
    value = result.get("value")
    found = [value.get(key) for key in keys] if isinstance(value, dict) else [None]
    if all(type(v) in _NUMBERS and abs(v) != float("inf") and v == v for v in found):
        return found
    return None


def choice_gold(control: Control, results: list[dict], report: Report, where: object
                ) -> tuple[str, Any] | None:
    """("choice", option) or ("labels", [options]) from a Choices control's one result."""
    if len(results) > 1:
        report(results[1], f'"{control.name}" has {len(results)} results '
                           "(per-region choices are not supported)")
        return None
    chosen = values(results[0], "choices") if results else []
    if chosen is None:
        report(results[0], f'"{control.name}": value.choices must be a list of options')
        return None
    if control.multiple:
        return "labels", list(dict.fromkeys(chosen))
    if len(chosen) != 1:
        report(results[0] if results else where,
               f'"{control.name}" takes one choice, but the annotation has {len(chosen)}')
        return None
    return "choice", chosen[0]


def box(result: dict, size: tuple[int, int]) -> dict[str, int | float] | None:
    """A rectangle's x, y, w, h in pixels, or None when its numbers are missing."""
    found = numbers(result, ("x", "y", "width", "height"))
    if found is None:
        return None
    width, height = size
    x, y, w, h = found
    return {"x": pixels(x * width / 100), "y": pixels(y * height / 100),
            "w": pixels(w * width / 100), "h": pixels(h * height / 100)}


def boxes_gold(control: Control, results: list[dict], size: tuple[int, int],
               report: Report) -> list[dict] | None:
    """One box per label of each rectangle; rotated rectangles are refused."""
    gold, failed = [], False
    for result in results:
        labels, pixel_box = values(result, control.type), box(result, size)
        if labels is None or pixel_box is None:
            report(result, f'"{control.name}": a rectangle needs numbers x, y, width, height '
                           f"and a list value.{control.type}")
            failed = True
            continue
        rotation = result["value"].get("rotation", 0)
        if type(rotation) not in _NUMBERS or rotation % 360:
            report(result, f'"{control.name}": the {" / ".join(labels)} box is rotated by '
                           f"{rotation}°, but Bootcamp's boxes are axis-aligned; "
                           "straighten it in Label Studio")
            failed = True
            continue
        gold += [{"label": label, **pixel_box} for label in labels]
    return None if failed else gold


def points_gold(control: Control, results: list[dict], size: tuple[int, int],
                parents: dict[str, dict], report: Report) -> list[dict] | None:
    """Persons: all keypoints of the task, or one person per parentID when they have one.

    A person whose parent is a rectangle of the task gets it as its box (the OKS scale).
    """
    persons: dict[Any, dict[str, Any]] = {}
    failed = False
    for result in results:
        names, place = values(result, control.type), numbers(result, ("x", "y"))
        if names is None or len(names) != 1 or place is None:
            report(result, f'"{control.name}": a keypoint needs numbers x, y and exactly one '
                           f"label in value.{control.type}")
            failed = True
            continue
        parent = result.get("parentID")
        parent = parent if isinstance(parent, str) and parent else None
        person = persons.setdefault(parent, {"keypoints": {}})
        if names[0] in person["keypoints"]:
            report(result, f'"{control.name}": keypoint "{names[0]}" is placed twice for the '
                           f"same person (group keypoints by parentID for several persons)")
            failed = True
        x, y = place
        person["keypoints"][names[0]] = [pixels(x * size[0] / 100), pixels(y * size[1] / 100), 2]
        if parent in parents:
            person["box"] = parents[parent]
    return None if failed else list(persons.values())


def spans_gold(control: Control, results: list[dict], text: str,
               report: Report) -> list[dict] | None:
    """One span per label of each region, after checking its text against the task's text."""
    gold, failed = [], False
    for result in results:
        value, labels = result.get("value"), values(result, control.type)
        start, end = (value.get("start"), value.get("end")) if isinstance(value, dict) else (0, 0)
        if labels is None or type(start) is not int or type(end) is not int:
            report(result, f'"{control.name}": a span needs whole-number start and end '
                           f"offsets and a list value.{control.type}")
            failed = True
            continue
        problem = span_problem(text, start, end, value.get("text"))
        if problem:
            report(result, f'"{control.name}": the {" / ".join(labels)} span {start}..{end} '
                           f"{problem}")
            failed = True
            continue
        gold += [{"start": start, "end": end, "label": label} for label in labels]
    return None if failed else gold


def span_problem(text: str, start: int, end: int, quoted: Any) -> str | None:
    """Why a span's offsets do not select its quoted text (offsets in code points)."""
    if not isinstance(quoted, str):
        return "has no value.text to check its offsets against"
    inside = 0 <= start < end <= len(text)
    if inside and text[start:end] == quoted:
        return None
    hint = ""
    if 0 <= start < end and utf16_slice(text, start, end) == quoted:
        hint = (" (its offsets count UTF-16 units, as old Label Studio versions did around "
                "emoji; Bootcamp counts code points: re-save the annotation in Label Studio)")
    if not inside:
        return f"is not inside the text ({len(text)} characters){hint}"
    return f"selects {text[start:end]!r}, but its text is {quoted!r}{hint}"


def utf16_slice(text: str, start: int, end: int) -> str:
    """text[start:end] with offsets counted in UTF-16 code units, as JavaScript counts."""
    units = text.encode("utf-16-le")
    return units[2 * start: 2 * end].decode("utf-16-le", errors="replace")
