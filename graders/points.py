"""Points items: named keypoints of persons, scored by COCO object keypoint similarity (OKS).

spec: {"width": px, "height": px, "keypoints": [name, ...], "sigmas": {name: sigma} (optional),
"oks_threshold": 0.5 (optional)}; gold and answer: a list of persons
{"keypoints": {name: [x, y, v]}, "area": px² (optional), "box": {"x", "y", "w", "h"} (optional)}
with COCO visibility flags v (0 not labelled / not placed, 1 labelled but hidden, 2 visible).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import chain, repeat
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from graders import checks, spec_cache
from graders.matching import Edge, assign, edges
from graders.result import Score

COCO_KEYPOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
# pycocotools' kpt_oks_sigmas: the same literals divided by 10, so the floats are identical.
COCO_SIGMAS = dict(zip(COCO_KEYPOINTS, np.array(
    [.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]
) / 10.0, strict=True))
DEFAULT_SIGMA = 0.09
DEFAULT_OKS_THRESHOLD = 0.5
MAX_KEYPOINTS = 100
MAX_PERSONS = 100
BOX_KEYS = ("x", "y", "w", "h")
_NUMBERS = frozenset({int, float})
_SEQUENCES = frozenset({list, tuple})
_VISIBILITY = frozenset({0, 1, 2})
_EPS = np.spacing(1)  # COCO's eps, added to areas
_SAFE = 2.0**53  # checks.number refuses larger integers; the fast path stays below it


class PointSpec(NamedTuple):
    """A checked spec: image size, keypoint names and their sigmas, and the match threshold."""

    width: int
    height: int
    names: tuple[str, ...]
    index: Mapping[str, int]
    sigmas: np.ndarray
    oks_threshold: float
    variances: np.ndarray  # (2 sigma)², as compare needs them


class Persons(NamedTuple):
    """Checked persons: (2, n, k) x and y planes, (n, k) placed flags, and (n,) areas for scale.

    Coordinates are planes rather than (n, k, 2) rows: the bulk check reads x, y and v as
    three columns, and a plane is a contiguous block, which numpy reads several times faster.
    """

    xy: np.ndarray
    placed: np.ndarray
    areas: np.ndarray


def check_spec(spec: Any) -> PointSpec:
    """Check a points spec; sigmas come from the spec, then COCO's, then the default 0.09."""
    checks.obj(spec, "spec", ("width", "height", "keypoints"), ("sigmas", "oks_threshold"))
    width, height = checks.image_size(spec, "spec")
    names = checks.names(spec["keypoints"], "spec.keypoints", 1, MAX_KEYPOINTS)
    index = {name: i for i, name in enumerate(names)}
    given = parse_sigmas(spec.get("sigmas", {}), index)
    sigmas = np.array([given.get(n, COCO_SIGMAS.get(n, DEFAULT_SIGMA)) for n in names])
    threshold = checks.fraction(spec.get("oks_threshold", DEFAULT_OKS_THRESHOLD),
                                "spec.oks_threshold")
    variances = (sigmas * 2) ** 2
    for array in (sigmas, variances):
        array.setflags(write=False)  # a cached spec is shared by every caller
    return PointSpec(width, height, names, MappingProxyType(index), sigmas, threshold,
                     variances)


def parse_sigmas(value: Any, index: Mapping[str, int]) -> dict[str, float]:
    """Per-keypoint sigmas in (0, 1], keyed by names the spec lists."""
    if type(value) is not dict:
        checks.fail("spec.sigmas", f"must be an object, got {checks.type_name(value)}")
    for name, sigma in value.items():
        checks.member(name, checks.key_path("spec.sigmas", name), index, "keypoint")
        checks.fraction(sigma, f"spec.sigmas.{name}")
    return {name: float(sigma) for name, sigma in value.items()}


parse_spec = spec_cache.cached(check_spec)


def parse_point(spec: PointSpec, value: Any, path: str) -> tuple[float, float, int]:
    """One keypoint [x, y, v]; a labelled or placed point (v > 0) must be on the image."""
    if type(value) is not list and type(value) is not tuple:
        checks.fail(path, f"must be a list [x, y, v], got {checks.type_name(value)}")
    if len(value) != 3:
        checks.fail(path, f"must be a list [x, y, v] of 3 numbers, got {len(value)} elements")
    x = checks.number(value[0], f"{path}[0]")
    y = checks.number(value[1], f"{path}[1]")
    if type(value[2]) is not int or value[2] not in (0, 1, 2):
        checks.fail(f"{path}[2]", f"visibility must be 0, 1 or 2, got {checks.show(value[2])}")
    if value[2]:
        checks.inside(x, spec.width, f"{path}[0]", "x")
        checks.inside(y, spec.height, f"{path}[1]", "y")
    return x, y, value[2]


def parse_box(spec: PointSpec, value: Any, path: str) -> float:
    """A person's box {"x", "y", "w", "h"} on the image; returns its area."""
    checks.obj(value, path, BOX_KEYS)
    x, y, w, h = (checks.number(value[key], f"{path}.{key}") for key in BOX_KEYS)
    for key, size in (("w", w), ("h", h)):
        if size <= 0:
            checks.fail(f"{path}.{key}", f"must be a positive number, got {checks.show(size)}")
    checks.inside(x, spec.width, f"{path}.x", "x")
    checks.inside(y, spec.height, f"{path}.y", "y")
    checks.inside(x + w, spec.width, f"{path}.w", "x + w")
    checks.inside(y + h, spec.height, f"{path}.h", "y + h")
    return w * h


def parse_area(spec: PointSpec, value: Any, path: str) -> float:
    """An area in px² as in COCO: positive and at most the image's area."""
    area = checks.number(value, path)
    if not 0 < area <= spec.width * spec.height:
        checks.fail(path, f"must be greater than 0 and at most the image area "
                          f"{spec.width * spec.height} px², got {checks.show(value)}")
    return area


def parse_person(spec: PointSpec, value: Any, path: str, role: str) -> tuple[list, float]:
    """One person: k rows [x, y, v] in spec order and the area that sets the OKS scale."""
    checks.obj(value, path, ("keypoints",), ("area", "box"))
    points = value["keypoints"]
    if type(points) is not dict:
        checks.fail(f"{path}.keypoints", f"must be an object, got {checks.type_name(points)}")
    rows = [[0.0, 0.0, 0]] * len(spec.names)
    for name, point in points.items():
        checks.member(name, checks.key_path(f"{path}.keypoints", name), spec.index, "keypoint")
        rows[spec.index[name]] = list(parse_point(spec, point, f"{path}.keypoints.{name}"))
    if not any(row[2] for row in rows):
        what = "visible keypoint" if role == "gold" else "placed keypoint"
        checks.fail(f"{path}.keypoints", f"needs at least one {what} (v > 0)")
    area = parse_area(spec, value["area"], f"{path}.area") if "area" in value else None
    box_area = parse_box(spec, value["box"], f"{path}.box") if "box" in value else None
    if role != "gold":
        return rows, math.nan  # an answer's area plays no part in OKS
    return rows, scale(rows, area, box_area, path)


def scale(rows: list, area: float | None, box_area: float | None, path: str) -> float:
    """The gold area for OKS: the given area, else the box's, else the visible keypoints' box."""
    if area is not None:
        return area
    if box_area is not None:
        return box_area
    xs = [row[0] for row in rows if row[2]]
    ys = [row[1] for row in rows if row[2]]
    spanned = (max(xs) - min(xs)) * (max(ys) - min(ys))
    if spanned <= 0:
        checks.fail(path, "needs an area or a box for scale: its visible keypoints span no area")
    return spanned


def parse(spec: PointSpec, value: Any, role: str) -> Persons:
    """A list of persons as arrays; only gold areas are used, answers' are checked and ignored."""
    items = checks.array(value, role, MAX_PERSONS)
    quick = quick_parse(spec, items, role)
    if quick is not None:
        return quick
    parsed = [parse_person(spec, item, f"{role}[{i}]", role) for i, item in enumerate(items)]
    shape = (len(items), len(spec.names), 3)
    rows = np.array([rows for rows, _ in parsed], dtype=float).reshape(shape)
    areas = np.array([area for _, area in parsed], dtype=float)
    planes = np.ascontiguousarray(rows.transpose(2, 0, 1))  # laid out as quick_parse's
    return Persons(planes[:2], planes[2] > 0, areas)


def quick_parse(spec: PointSpec, items: list | tuple, role: str) -> Persons | None:
    """Persons that are plainly valid, checked in bulk, or None so that parse_person can say
    what is wrong (it also handles what this skips: person boxes, gold without an area).

    Every check of parse_person is made, once over all keypoints of all persons: exact types
    with set(map(type, ...)), then finiteness, size and ranges with numpy over one table.
    """
    gold = role == "gold"
    names, index, image_area = spec.names, spec.index, spec.width * spec.height
    dicts: list[dict] = []
    areas: list[float] = []
    in_order = True  # every person lists every keypoint in spec order: no scatter needed
    for item in items:
        if type(item) is not dict:
            return None
        points, area = item.get("keypoints"), item.get("area")
        if len(item) != 1 + ("area" in item) or type(points) is not dict:
            return None
        if area is None:
            if gold:
                return None
        elif not (type(area) in _NUMBERS and 0 < area <= image_area):
            return None
        if tuple(points) != names:
            if not ({str} >= set(map(type, points)) and index.keys() >= points.keys()):
                return None
            in_order = False
        dicts.append(points)
        areas.append(float(area) if gold else math.nan)
    counts = list(map(len, dicts))
    table = quick_values(spec, list(chain.from_iterable(map(dict.values, dicts))), counts)
    if table is None:
        return None
    if in_order:
        planes = table.reshape(3, len(areas), len(names))
    else:
        persons = list(chain.from_iterable(map(repeat, range(len(dicts)), counts)))
        positions = list(map(index.__getitem__, chain.from_iterable(dicts)))
        planes = np.zeros((3, len(areas), len(names)))
        planes[:, persons, positions] = table
    return Persons(planes[:2], planes[2] > 0, np.array(areas, dtype=float))


def quick_values(spec: PointSpec, values: list, counts: list[int]) -> np.ndarray | None:
    """The keypoints [x, y, v] as a (3, n) table of x, y and v rows if every one is plainly
    valid, else None; `counts`: how many keypoints each person has, each needing one with v > 0.

    One strict zip checks that every keypoint has three values and splits them into columns.
    Types are checked before numpy sees a value (it would take True or "1" for a number).
    NaN makes the minimum and a maximum NaN, which fail every comparison. When every
    point is placed (the usual case), the bounds of the image refuse what checks.number
    refuses; else an int of 2**53 or more becomes a float of at least 2**53 (or overflows),
    so one `abs max < 2**53` does, and unplaced points count as (0, 0), on the image.
    """
    if not _SEQUENCES >= set(map(type, values)) or 0 in counts:
        return None
    try:
        xs, ys, vs = zip(*values, strict=True)
    except ValueError:  # a keypoint without three values, or no keypoints at all
        return None
    if not (_NUMBERS >= set(map(type, xs + ys)) and {int} >= set(map(type, vs))):
        return None
    flags = set(vs)
    if not _VISIBILITY >= flags:
        return None
    try:
        table = np.array((xs, ys, vs), dtype=float)
    except OverflowError:  # an int too large for a double
        return None
    placed = table
    if 0 in flags:
        if not abs(table).max() < _SAFE:
            return None
        start = 0
        for count in counts:
            if not any(vs[start:start + count]):
                return None
            start += count
        placed = table * (table[2] > 0)
    # Reductions of 1-D arrays: over all values (v >= 0 is on the image), then per row.
    tolerance = checks.EDGE_TOLERANCE
    if not (np.minimum.reduce(placed.reshape(-1)) >= -tolerance
            and np.maximum.reduce(placed[0]) <= spec.width + tolerance
            and np.maximum.reduce(placed[1]) <= spec.height + tolerance):
        return None
    return table


class Comparison(NamedTuple):
    """Every gold person against every answer person: per keypoint (gold x answer x k) and OKS."""

    distance: np.ndarray
    similarity: np.ndarray
    oks: np.ndarray


def compare(spec: PointSpec, gold: Persons, answer: Persons) -> Comparison:
    """Keypoint distances and similarities, and OKS, for all gold x answer pairs of persons.

    The similarity is COCO's exp(-d² / (2 s² (area + eps))) with s = 2 sigma, in the same
    order of operations as pycocotools' computeOks. Unlike COCO, a keypoint the trainee did
    not place scores 0 instead of being measured from (0, 0).
    """
    delta = answer.xy[:, None, :, :] - gold.xy[:, :, None, :]
    delta *= delta  # the same floats as dx**2 and dy**2
    squared = delta[0] + delta[1]
    e = squared / spec.variances
    e /= gold.areas[:, None, None] + _EPS
    e /= -2  # the same float as -(x / 2)
    similarity = np.exp(e, out=e)
    # In [0, 1], so times 0 or 1 is 0 or itself: a keypoint the trainee did not place scores
    # 0, and one not visible in gold counts for nothing (its similarity is never shown).
    similarity *= gold.placed[:, None, :] & answer.placed[None, :, :]
    oks = np.add.reduce(similarity, axis=2) / np.add.reduce(gold.placed, axis=1)[:, None]
    return Comparison(np.sqrt(squared), similarity, oks)


def check_gold(item: tuple[Any, Any]) -> Persons:
    """The checked gold of a (spec, gold) pair, its arrays read-only: a cached one is shared."""
    spec, gold = item
    persons = parse(parse_spec(spec), gold, "gold")
    for array in persons:
        array.setflags(write=False)
    return persons


# Every answer to an item comes with the same gold as well as the same spec.
parse_gold = spec_cache.cached(check_gold)


def score(spec: Any, gold: Any, answer: Any) -> Score:
    """Mean OKS over gold persons; correct when each matches at OKS >= threshold, none extra."""
    checked = parse_spec(spec)
    expected = parse_gold((spec, gold))
    given = parse(checked, answer, "answer")
    n_gold, n_answer = len(expected.areas), len(given.areas)
    comparison = compare(checked, expected, given)
    pairs = decided_pairs(comparison.oks, checked.oks_threshold)
    if pairs is None:
        pairs = assign(edges(comparison.oks, comparison.oks > 0), prefer_at=checked.oks_threshold)
    if n_gold:
        points = min(sum(oks for _, _, oks in pairs) / n_gold, 1.0)
    else:
        points = 0.0 if n_answer else 1.0
    good = sum(oks >= checked.oks_threshold for _, _, oks in pairs)
    paired = {gold: answer for gold, answer, _ in pairs}
    details = {
        "persons": describe(checked, expected, given, comparison, paired),
        "extra": sorted(set(range(n_answer)) - set(paired.values())),
        "oks_threshold": checked.oks_threshold,
    }
    return Score(points, n_gold == n_answer == good, details)


def decided_pairs(oks: np.ndarray, threshold: float) -> list[Edge] | None:
    """What assign(edges(oks, oks > 0), prefer_at=threshold) returns, without the solver when
    the pairs at or above the threshold decide it alone (the usual case), else None.

    Proof: let the m cells >= threshold (threshold > 0, so all candidates) share no row and
    no column, and let m = min(R, C), R and C the rows and columns with a candidate. assign
    maximises the count of such cells first; no matching has more than min(R, C) pairs, and
    one with m such cells is made of them only, so it is exactly these m cells: the unique
    optimum. Its gain is m * bonus + their OKS, with bonus = m + 1; any other matching has
    at most m - 1 such cells and m pairs of OKS <= 1, so it gains at least 1 less, a margin
    no rounding in the solver can close. Both give the edges sorted by gold index.
    """
    if not oks.size:
        return []
    good = oks >= threshold
    rows, cols = (part.tolist() for part in good.nonzero())  # np.nonzero wraps it in Python calls
    if len(set(rows)) < len(rows) or len(set(cols)) < len(cols):
        return None
    # Every row and column with a cell >= threshold has a candidate, so m <= min(R, C), and
    # min(R, C) <= min(oks.shape): when every gold or every answer person is in a pair (the
    # usual case), m = min(R, C) without counting R and C.
    if len(rows) != min(oks.shape):
        candidate_rows, candidate_cols = (set(part.tolist()) for part in np.nonzero(oks > 0))
        if len(rows) != min(len(candidate_rows), len(candidate_cols)):
            return None
    return list(zip(rows, cols, oks[good].tolist(), strict=True))


def describe(spec: PointSpec, gold: Persons, answer: Persons, comparison: Comparison,
             paired: dict[int, int]) -> list[dict[str, Any]]:
    """Feedback for each gold person i and the answer person paired with it (or None)."""
    names, threshold = spec.names, spec.oks_threshold
    given, oks = answer.placed.tolist(), comparison.oks.tolist()
    unpaired = [False] * len(names), [0.0] * len(names)  # similarity is never read for these
    persons = []
    for i, visible in enumerate(gold.placed.tolist()):
        j = paired.get(i)
        if j is None:
            placed, distance = unpaired
            similarity, value = distance, 0.0
        else:
            placed, value = given[j], oks[i][j]
            distance = comparison.distance[i, j].tolist()
            similarity = comparison.similarity[i, j].tolist()
        if all(visible) and all(placed):  # the usual case: every keypoint is measured
            keypoints = {
                name: {"distance": d, "similarity": s, "visible_in_gold": True, "given": True}
                for name, d, s in zip(names, distance, similarity, strict=True)
            }
        else:
            keypoints = {
                name: {
                    "distance": d if v and g else None,
                    "similarity": (s if g else 0.0) if v else None,
                    "visible_in_gold": v,
                    "given": g,
                }
                for name, v, g, d, s in zip(names, visible, placed, distance, similarity,
                                            strict=True)
            }
        persons.append({"gold": i, "answer": j, "oks": value, "matched": value >= threshold,
                        "keypoints": keypoints})
    return persons
