"""Validation helpers shared by every kind: cheap checks, precise paths, plain messages.

Checks run on every scored answer, so the happy path is a few type tests per value; paths
and messages are only built when something is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from graders.errors import ScoringError

MAX_NAME_CHARS = 200
MAX_IMAGE_SIDE = 100_000
EDGE_TOLERANCE = 0.5

_JSON_TYPES = {
    dict: "object",
    list: "list",
    tuple: "list",
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def fail(path: str, message: str) -> NoReturn:
    """Raise the ScoringError for `path`."""
    raise ScoringError(path, message)


def type_name(value: object) -> str:
    """The JSON name of a value's type, since authors write items as JSON or YAML."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def show(value: object) -> str:
    """A short repr for messages, so a 10 MB string never ends up in an error."""
    try:
        text = repr(value)
    except ValueError:  # an int with more digits than Python will print
        return f"a huge {type_name(value)}"
    return text if len(text) <= 40 else text[:37] + "..."


def key_path(path: str, key: object) -> str:
    """`path.key`, with an absurdly long or non-string key shortened for the message."""
    if type(key) is str and len(key) <= MAX_NAME_CHARS:
        return f"{path}.{key}"
    return f"{path}.{show(key)}"


def obj(value: Any, path: str, required: Iterable[str], optional: Iterable[str] = ()) -> dict:
    """Check that `value` is an object with all `required` keys and no unknown ones."""
    if type(value) is not dict:
        fail(path, f"must be an object, got {type_name(value)}")
    required = tuple(required)
    if len(value) == len(required) and all(key in value for key in required):
        return value
    allowed = (*required, *optional)
    for key in value:
        if key not in allowed:
            fail(key_path(path, key), f"unknown key (allowed: {', '.join(allowed)})")
    for key in required:
        if key not in value:
            fail(f"{path}.{key}", "is required")
    return value


def array(value: Any, path: str, limit: int, minimum: int = 0) -> list | tuple:
    """Check that `value` is a list of `minimum`..`limit` elements."""
    if type(value) is not list and type(value) is not tuple:
        fail(path, f"must be a list, got {type_name(value)}")
    if len(value) > limit:
        fail(path, f"too many elements: {len(value)} > {limit}")
    if len(value) < minimum:
        fail(path, f"needs at least {minimum} element{'s' if minimum > 1 else ''}")
    return value


def number(value: Any, path: str) -> float:
    """A finite number (int or float; booleans are not numbers)."""
    kind = type(value)
    if kind is float or (isinstance(value, float) and kind is not bool):
        if math.isfinite(value):
            return float(value)
        fail(path, f"must be a finite number, got {show(value)}")
    if kind is int or (isinstance(value, int) and kind is not bool):
        if abs(value) <= 2**53:
            return float(value)
        fail(path, f"must be a number of sensible size, got {show(value)}")
    fail(path, f"must be a number, got {type_name(value)}")


def integer(value: Any, path: str, low: int, high: int) -> int:
    """An integer in [low, high] (booleans and floats such as 3.0 are refused)."""
    if type(value) is not int:
        fail(path, f"must be an integer, got {type_name(value)}")
    if not low <= value <= high:
        fail(path, f"must be an integer from {low} to {high}, got {show(value)}")
    return value


def fraction(value: Any, path: str) -> float:
    """A threshold in (0, 1]."""
    result = number(value, path)
    if not 0.0 < result <= 1.0:
        fail(path, f"must be a number greater than 0 and at most 1, got {show(value)}")
    return result


def name(value: Any, path: str) -> str:
    """A label, option or keypoint name: a non-blank string of at most 200 characters."""
    if type(value) is not str:
        fail(path, f"must be a string, got {type_name(value)}")
    if not value.strip():
        fail(path, "must not be blank")
    if len(value) > MAX_NAME_CHARS:
        fail(path, f"too long: {len(value)} > {MAX_NAME_CHARS} characters")
    return value


def names(value: Any, path: str, minimum: int, limit: int) -> tuple[str, ...]:
    """A list of `minimum`..`limit` unique names, e.g. a spec's options or labels."""
    items = array(value, path, limit, minimum)
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        name(item, f"{path}[{index}]")
        if item in seen:
            fail(f"{path}[{index}]", f"duplicate of {path}[{seen[item]}] {show(item)}")
        seen[item] = index
    return tuple(items)


def member(value: Any, path: str, allowed: Mapping[str, Any], what: str) -> str:
    """A string that is one of the spec's `allowed` names (a dict keeps them in spec order)."""
    if type(value) is str and value in allowed:
        return value
    if type(value) is not str:
        fail(path, f"must be a string, got {type_name(value)}")
    fail(path, f"unknown {what} {show(value)} (allowed: {listing(allowed)})")


def listing(values: Iterable[str], limit: int = 10) -> str:
    """Up to `limit` names for a message, then an ellipsis."""
    values = list(values)
    head = ", ".join(show(value) for value in values[:limit])
    return head + (", ..." if len(values) > limit else "")


def image_size(spec: dict, path: str) -> tuple[int, int]:
    """An image's width and height in whole pixels, refusing absurd sizes."""
    width = integer(spec["width"], f"{path}.width", 1, MAX_IMAGE_SIDE)
    height = integer(spec["height"], f"{path}.height", 1, MAX_IMAGE_SIDE)
    return width, height


def inside(coordinate: float, size: int, path: str, axis: str) -> None:
    """A coordinate on the image, allowing half a pixel of rounding at the edges."""
    if not -EDGE_TOLERANCE <= coordinate <= size + EDGE_TOLERANCE:
        fail(path, f"outside the image: {axis} = {coordinate:g} is not within 0..{size}")


def rectangle(value: dict, path: str, width: int, height: int) -> tuple[float, ...]:
    """x, y, w, h of a box on a width x height image: w, h > 0, inside give or take half a
    pixel (boxes are not clipped: widgets round when converting screen coordinates)."""
    x = number(value["x"], f"{path}.x")
    y = number(value["y"], f"{path}.y")
    w = number(value["w"], f"{path}.w")
    h = number(value["h"], f"{path}.h")
    if w <= 0:
        fail(f"{path}.w", f"must be a positive number, got {show(value['w'])}")
    if h <= 0:
        fail(f"{path}.h", f"must be a positive number, got {show(value['h'])}")
    inside(x, width, f"{path}.x", "x")
    inside(y, height, f"{path}.y", "y")
    if x + w > width + EDGE_TOLERANCE:
        fail(f"{path}.w", f"past the right edge: x + w = {x + w:g} > width {width}")
    if y + h > height + EDGE_TOLERANCE:
        fail(f"{path}.h", f"past the bottom edge: y + h = {y + h:g} > height {height}")
    return x, y, w, h


def refuse_duplicates(rows: list[tuple]) -> None:
    """Name the first gold shape that repeats an earlier one exactly: exact twins in gold are
    an import mistake (one answer could match only one of them), not a crowd."""
    seen: dict[tuple, int] = {}
    for index, row in enumerate(rows):
        if row in seen:
            fail(f"gold[{index}]", f"duplicate of gold[{seen[row]}]")
        seen[row] = index
