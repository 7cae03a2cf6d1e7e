"""Cuboids items: labelled 3D boxes in a lidar point cloud, scored by F1 of 3D-IoU matches.

spec: {"labels": [str, ...], "range": {"x": [min, max], "y": [min, max], "z": [min, max]},
"iou_threshold": 0.5 (optional)}; gold and answer: a list of {"label", "x", "y", "z", "l", "w",
"h", "yaw"}: the centre and the size in metres (l along the heading, w across it, h up) and
the heading in radians about the vertical axis, counter-clockwise from +x, normalised into
(-pi, pi]. The heading is a full 360° one: a car's box turned by 180° fits the same points but
points the car backwards, so it reports a heading error of 180° (the IoU is unaffected).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from operator import itemgetter
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from graders import checks, spec_cache
from graders.boxes import LOOSE_IOU, loose_message
from graders.matching import Edge, Matching, match_cells, precision_recall_f1
from graders.result import Score

MAX_CUBOIDS = 500
MAX_LABELS = 100
MAX_RANGE = 10_000.0  # metres from the sensor: far beyond any lidar
MAX_SIDE = 500.0  # metres: no labelled object is longer
DEFAULT_IOU_THRESHOLD = 0.5
CHUNK_PAIRS = 4096  # pairs per array pass: bounds memory when hostile cuboids all overlap
# Corners counter-clockwise from front left, then the first again: each edge is two neighbours.
_ALONG = np.array([0.5, -0.5, -0.5, 0.5, 0.5])
_ACROSS = np.array([0.5j, 0.5j, -0.5j, -0.5j, 0.5j])
_SIGNS = np.array([[-1.0], [1.0]])  # the lines x, y = -half, then x, y = +half
_NEXT_POINT = np.roll(np.arange(20), -1)  # 5 points of the clipped path per edge
TURNED_DEGREES = 20.0  # a matched box turned further than this gets a warning
AXES = ("x", "y", "z")
FIELDS = ("x", "y", "z", "l", "w", "h", "yaw")
CUBOID_KEYS = ("label", *FIELDS)
_NUMBERS = frozenset({int, float})
_CUBOID_VALUES = itemgetter(*CUBOID_KEYS)
_KEY_COUNT = len(CUBOID_KEYS)
_MAX_QUICK_YAW = 2.0**53 - 1  # an integer yaw within it is one checks.number accepts


class CuboidSpec(NamedTuple):
    """A checked spec: allowed labels (an ordered set), the cloud's extent, the threshold."""

    labels: Mapping[str, None]
    range: tuple[tuple[float, float], ...]
    iou_threshold: float


class Cuboids(NamedTuple):
    """Checked cuboids: an (n, 7) array in FIELDS order with yaw in (-pi, pi], and labels."""

    array: np.ndarray
    labels: list[str]

    def rows(self) -> list[tuple]:
        """(label, (x, y, z, l, w, h, yaw)) per cuboid: equal rows are equal cuboids."""
        return list(zip(self.labels, map(tuple, self.array.tolist()), strict=True))


def check_spec(spec: Any) -> CuboidSpec:
    """Check a cuboids spec and fill in the default threshold."""
    checks.obj(spec, "spec", ("labels", "range"), ("iou_threshold",))
    labels = checks.names(spec["labels"], "spec.labels", 1, MAX_LABELS)
    extent = parse_range(spec["range"], "spec.range")
    threshold = spec.get("iou_threshold", DEFAULT_IOU_THRESHOLD)
    threshold = checks.fraction(threshold, "spec.iou_threshold")
    return CuboidSpec(MappingProxyType(dict.fromkeys(labels)), extent, threshold)


parse_spec = spec_cache.cached(check_spec)


def parse_range(value: Any, path: str) -> tuple:
    """{"x": [min, max], ...} in metres, min < max, within MAX_RANGE of the sensor."""
    checks.obj(value, path, AXES)
    bounds = []
    for axis in AXES:
        pair = checks.array(value[axis], f"{path}.{axis}", 2, 2)
        low = checks.number(pair[0], f"{path}.{axis}[0]")
        high = checks.number(pair[1], f"{path}.{axis}[1]")
        for index, bound in enumerate((low, high)):
            if abs(bound) > MAX_RANGE:
                checks.fail(f"{path}.{axis}[{index}]",
                            f"must be within {MAX_RANGE:g} m of the sensor, got {bound:g}")
        if not low < high:
            checks.fail(f"{path}.{axis}", f"min must be below max, got [{low:g}, {high:g}]")
        bounds.append((low, high))
    return tuple(bounds)


def parse_cuboid(spec: CuboidSpec, value: Any, path: str) -> tuple:
    """One cuboid as (label, x, y, z, l, w, h, yaw) with its centre inside the cloud's range.

    Only the centre must be inside: objects at the edge of a scan reach past it.
    """
    checks.obj(value, path, CUBOID_KEYS)
    label = checks.member(value["label"], f"{path}.label", spec.labels, "label")
    numbers = {key: checks.number(value[key], f"{path}.{key}") for key in FIELDS}
    for axis, (low, high) in zip(AXES, spec.range, strict=True):
        if not low <= numbers[axis] <= high:
            checks.fail(f"{path}.{axis}", f"outside the cloud: {axis} = {numbers[axis]:g} "
                                          f"is not within {low:g}..{high:g}")
    for key in ("l", "w", "h"):
        if not 0 < numbers[key] <= MAX_SIDE:
            checks.fail(f"{path}.{key}", f"must be a size in metres greater than 0 and at most "
                                         f"{MAX_SIDE:g}, got {checks.show(value[key])}")
    return label, *numbers.values()


def quick_parse(spec: CuboidSpec, items: list | tuple) -> Cuboids | None:
    """Cuboids that are plainly valid, or None so that parse_cuboid can say what is wrong.

    Scoring runs this on every answer, so it is one loop with no calls on the happy path.
    NaN and the infinities fail the comparisons and huge integers the bound on yaw (or
    overflow), so they fall back to parse_cuboid.
    """
    labels: list[str] = []
    values: list[float] = []
    (x0, x1), (y0, y1), (z0, z1) = spec.range
    known, side, turns, numbers, pi = spec.labels, MAX_SIDE, _MAX_QUICK_YAW, _NUMBERS, math.pi
    wrapped = False
    for value in items:
        if type(value) is not dict or len(value) != _KEY_COUNT:
            return None
        label, x, y, z, l, w, h, yaw = _CUBOID_VALUES(value)  # noqa: E741
        if not (type(label) is str and label in known
                # All floats (the usual case) in one chained test, else each one an int or float.
                and (float is type(x) is type(y) is type(z) is type(l) is type(w) is type(h)
                     is type(yaw)
                     or (type(x) in numbers and type(y) in numbers and type(z) in numbers
                         and type(l) in numbers and type(w) in numbers and type(h) in numbers
                         and type(yaw) in numbers))
                and x0 <= x <= x1 and y0 <= y <= y1 and z0 <= z <= z1
                and 0 < l <= side and 0 < w <= side and 0 < h <= side
                and -turns <= yaw <= turns):
            return None
        if not -pi < yaw <= pi:
            wrapped = True
        labels.append(label)
        values += (x, y, z, l, w, h, yaw)
    array = np.array(values, dtype=float).reshape(-1, 7)
    # A yaw already in (-pi, pi] is what normalise_yaw would make of it.
    return Cuboids(normalise_yaw(array) if wrapped else array, labels)


def normalise_yaw(values: np.ndarray) -> np.ndarray:
    """`values` with the yaw column turned into (-pi, pi], exactly (fmod is exact)."""
    yaw = np.fmod(values[:, 6], math.tau)
    yaw[yaw > math.pi] -= math.tau
    yaw[yaw <= -math.pi] += math.tau
    values[:, 6] = yaw
    return values


def parse(spec: CuboidSpec, value: Any, role: str) -> Cuboids:
    """A list of cuboids; exact duplicates are refused in gold (an import error, not a crowd)."""
    items = checks.array(value, role, MAX_CUBOIDS)
    try:
        cuboids = quick_parse(spec, items)
    except (KeyError, OverflowError):  # a key missing; an integer too large for a float
        cuboids = None
    if cuboids is None:
        rows = [parse_cuboid(spec, item, f"{role}[{index}]") for index, item in enumerate(items)]
        values = np.array([row[1:] for row in rows], dtype=float).reshape(-1, len(FIELDS))
        cuboids = Cuboids(normalise_yaw(values), [row[0] for row in rows])
    # Equal cuboids have equal x: distinct x values (the usual case) rule out duplicates.
    if (role == "gold" and len(set(cuboids.array[:, 0].tolist())) < len(items)
            and len(set(cuboids.rows())) < len(items)):
        checks.refuse_duplicates(cuboids.rows())
    return cuboids


def score(spec: Any, gold: Any, answer: Any) -> Score:
    """F1 of same-label matches at 3D IoU >= threshold; correct when all match, no extra."""
    checked = parse_spec(spec)
    expected = parse(checked, gold, "gold")
    given = parse(checked, answer, "answer")
    iou, bev = cuboid_iou(expected.array, given.array)
    matching = match_cells(iou, iou >= checked.iou_threshold, expected.labels, given.labels)
    hits = len(matching.matched)
    precision, recall, f1 = precision_recall_f1(hits, len(expected.labels), len(given.labels))
    details = describe(matching, expected, given, bev)
    details |= {"precision": precision, "recall": recall, "f1": f1,
                "iou_threshold": checked.iou_threshold}
    correct = hits == len(expected.labels) == len(given.labels)
    return Score(f1, correct, details)


def measures(pairs: list[Edge], gold: list[list[float]], answer: list[list[float]],
             bev: np.ndarray) -> list[tuple[int, int, float, float, float, float]]:
    """Per pair: its indices, 3D and BEV IoU, centre distance (m) and heading error (degrees,
    0..180)."""
    if not pairs:
        return []
    rows, cols, _ = zip(*pairs, strict=True)
    dist, degrees, remainder, tau = math.dist, math.degrees, math.remainder, math.tau
    return [(i, j, iou, flat, dist(gold[i][:3], answer[j][:3]),
             degrees(abs(remainder(answer[j][6] - gold[i][6], tau))))
            for (i, j, iou), flat in zip(pairs, bev[rows, cols].tolist(), strict=True)]


def describe(matching: Matching, gold: Cuboids, answer: Cuboids,
             bev: np.ndarray) -> dict[str, Any]:
    """Feedback: matched and mislabelled pairs with their measures, misses and extras."""
    values = gold.array.tolist(), answer.array.tolist(), bev
    labels, given = gold.labels, answer.labels
    matched = measures(matching.matched, *values)
    mislabelled = [
        {"gold": i, "answer": j, "gold_label": labels[i], "answer_label": given[j],
         "iou": iou, "bev_iou": flat, "centre_distance": distance, "heading_error": heading}
        for i, j, iou, flat, distance, heading in measures(matching.mislabelled, *values)]
    return {"matched": [{"gold": i, "answer": j, "label": labels[i], "iou": iou,
                         "bev_iou": flat, "centre_distance": distance, "heading_error": heading}
                        for i, j, iou, flat, distance, heading in matched],
            "mislabelled": mislabelled, "missed": matching.missed, "extra": matching.extra,
            "warnings": warnings(matched)}


def warnings(matched: list[tuple[int, int, float, float, float, float]]) -> list[dict[str, Any]]:
    """Matched boxes that pass but are loose (3D IoU < 0.8) or turned (> 20° off heading)."""
    notes = []
    for i, j, iou, _, _, heading in matched:
        if iou < LOOSE_IOU:
            notes.append({"gold": i, "answer": j, "iou": iou,
                          "message": loose_message(iou)})
        if heading > TURNED_DEGREES:
            notes.append({"gold": i, "answer": j, "heading_error": heading,
                          "message": f"turned box: heading {heading:.0f}° off"})
    return notes


def cuboid_iou(gold: np.ndarray, answer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """3D IoU and bird's-eye-view IoU matrices (gold x answer) of (n, 7) cuboid arrays.

    The intersection is the BEV intersection area times the vertical overlap. Only pairs
    whose heights overlap and whose footprints' circumscribed circles meet are computed;
    every other pair is 0 in both matrices. Footprints are handled as complex numbers
    x + iy, which makes a rotation one multiplication.
    """
    boxes = np.concatenate((gold, answer))
    split = len(gold)
    centre, turn = boxes[:, 0] + 1j * boxes[:, 1], np.exp(1j * boxes[:, 6])
    reach = np.hypot(boxes[:, 3], boxes[:, 4]) / 2
    middle, half = boxes[:, 2], boxes[:, 5] / 2
    top, bottom = middle + half, middle - half
    rise = (np.minimum(top[:split, None], top[split:])
            - np.maximum(bottom[:split, None], bottom[split:]))
    apart = np.abs(centre[:split, None] - centre[split:])
    rows, cols = np.nonzero((apart <= reach[:split, None] + reach[split:]) & (rise > 0))
    iou = np.zeros((split, len(answer)))
    bev = np.zeros((split, len(answer)))
    for start in range(0, len(rows), CHUNK_PAIRS):
        i, j = rows[start:start + CHUNK_PAIRS], cols[start:start + CHUNK_PAIRS]
        # q's footprint in p's frame, where p's is the rectangle |x| <= l / 2, |y| <= w / 2.
        back, k = turn[i].conj(), j + split
        relative, shift = turn[k] * back, (centre[k] - centre[i]) * back
        p, q = gold[i], answer[j]
        ring = (q[:, 3, None] * _ALONG + q[:, 4, None] * _ACROSS) * relative[:, None]
        ring += shift[:, None]
        area = clipped_area(ring, p[:, 3:5] / 2)
        bev[i, j], iou[i, j] = pair_iou(p, q, area, rise[i, j])
    return iou, bev


def pair_iou(p: np.ndarray, q: np.ndarray, area: np.ndarray,
             rise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BEV and 3D IoU of pairs of cuboids (k, 7) from their BEV overlap and vertical overlap."""
    area_p, area_q = p[:, 3] * p[:, 4], q[:, 3] * q[:, 4]
    height_p, height_q = p[:, 5], q[:, 5]
    # Rounding may not push an overlap past the smaller box, nor an IoU past 1.
    area = np.minimum(area, np.minimum(area_p, area_q))
    volume = area * np.minimum(rise, np.minimum(height_p, height_q))
    bev = area / (area_p + area_q - area)
    iou = volume / (area_p * height_p + area_q * height_q - volume)
    if np.count_nonzero(p[:, 0] == q[:, 0]):  # equal cuboids have equal x
        same = (p == q).all(axis=1)  # they score exactly 1, as a threshold of 1 needs
        bev[same] = iou[same] = 1.0
    return bev, iou


def clipped_area(ring: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Areas of the parts of convex polygons inside |x|, |y| <= half; `ring` (k, 5): their
    corners counter-clockwise, then the first corner again.

    Each polygon is mapped by the nearest-point projection onto its rectangle: the image, a
    closed path inside the rectangle, still winds once around every point of the
    intersection (no point moves across the rectangle's inside) and around nothing else, so
    the shoelace sum of the path is the intersection's area. The projection is affine
    between the points where an edge crosses one of the lines x = ±l/2, y = ±w/2, so an
    edge becomes those four points (clamped to the edge) and its end. No tolerance is needed:
    touching, nested and identical footprints are no special cases.
    """
    count = len(ring)
    corners, following = ring[:, :4], ring[:, 1:]
    step = following - corners
    limits = half[:, None, None, :] * _SIGNS  # (k, 1, 2, 2): -half, +half; x and y
    crossing = limits - corners.view(float).reshape(count, 4, 1, 2)
    with np.errstate(divide="ignore", invalid="ignore"):  # an edge parallel to a line
        crossing /= step.view(float).reshape(count, 4, 1, 2)
    # fmin and fmax turn 0 / 0 into an end of the edge, which is a point on it as good as any.
    crossing = crossing.reshape(count, 4, 4)
    np.fmax(np.fmin(crossing, 1.0, out=crossing), 0.0, out=crossing)
    crossing.sort(axis=2)
    path = np.concatenate((corners[..., None] + crossing * step[..., None],
                           following[..., None]), axis=2).reshape(count, 20)
    flat = path.view(float).reshape(count, 20, 2)
    np.minimum(np.maximum(flat, limits[:, :, 0], out=flat), limits[:, :, 1], out=flat)
    twice = (path.conj() * path[:, _NEXT_POINT]).imag.sum(axis=1)
    twice /= 2
    return np.maximum(twice, 0.0, out=twice)
