"""Boxes items: labelled axis-aligned boxes on an image, scored by F1 of IoU matches.

spec: {"width": px, "height": px, "labels": [str, ...], "iou_threshold": 0.5 (optional)};
gold and answer: a list of {"label", "x", "y", "w", "h"} in pixels, top-left origin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from operator import itemgetter
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from graders import checks, spec_cache
from graders.geometry import EDGE_ROWS, edge_iou
from graders.matching import Matching, match_cells, precision_recall_f1
from graders.result import Score

MAX_BOXES = 1000
MAX_LABELS = 100
DEFAULT_IOU_THRESHOLD = 0.5
LOOSE_IOU = 0.8
_BELOW_LOOSE = f" < {LOOSE_IOU}"
BOX_KEYS = ("label", "x", "y", "w", "h")
_NUMBERS = frozenset({int, float})
_BOX_VALUES = itemgetter(*BOX_KEYS)


class BoxSpec(NamedTuple):
    """A checked spec: image size, the allowed labels (an ordered set), the match threshold."""

    width: int
    height: int
    labels: Mapping[str, None]
    iou_threshold: float


class Boxes(NamedTuple):
    """Checked boxes as edge rows (graders.geometry), six values per box in one flat list
    (a tuple in cached gold, which is shared)."""

    values: Sequence[float]
    labels: Sequence[str]

    def rows(self) -> list[tuple]:
        """(label, six edge values) per box: equal rows are equal boxes."""
        values = iter(self.values)
        return list(zip(self.labels, *[values] * EDGE_ROWS, strict=True))


def check_spec(spec: Any) -> BoxSpec:
    """Check a boxes spec and fill in the default threshold."""
    checks.obj(spec, "spec", ("width", "height", "labels"), ("iou_threshold",))
    width, height = checks.image_size(spec, "spec")
    labels = checks.names(spec["labels"], "spec.labels", 1, MAX_LABELS)
    threshold = spec.get("iou_threshold", DEFAULT_IOU_THRESHOLD)
    threshold = checks.fraction(threshold, "spec.iou_threshold")
    return BoxSpec(width, height, MappingProxyType(dict.fromkeys(labels)), threshold)


parse_spec = spec_cache.cached(check_spec)


def parse_box(spec: BoxSpec, value: Any, path: str) -> tuple[str, float, float, float, float]:
    """One box as (label, x, y, w, h), inside the image give or take half a pixel."""
    checks.obj(value, path, BOX_KEYS)
    label = checks.member(value["label"], f"{path}.label", spec.labels, "label")
    x, y, w, h = checks.rectangle(value, path, spec.width, spec.height)
    return label, x, y, w, h


def edge_values(x: float, y: float, w: float, h: float, gold: bool) -> tuple[float, ...]:
    """A box's column of edge rows (graders.geometry), in the same IEEE operations numpy does."""
    if gold:
        return x + w, y + h, w * h, -x, -y, math.inf
    return x + w, y + h, math.inf, -x, -y, w * h


def quick_parse(spec: BoxSpec, items: list | tuple, gold: bool) -> Boxes | None:
    """Boxes that are plainly valid, or None so that parse_box can say what is wrong.

    Scoring runs this on every box, so it is one loop with no Python calls on the happy path.
    NaN and the infinities fail the comparisons and huge integers overflow: both fall back to
    parse_box, which refuses them.
    """
    labels: list[str] = []
    values: list[float] = []
    known, tolerance, inf = spec.labels, checks.EDGE_TOLERANCE, math.inf
    right, bottom = spec.width + tolerance, spec.height + tolerance
    try:
        for value in items:
            if type(value) is not dict or len(value) != 5:  # the five BOX_KEYS
                return None
            label, x, y, w, h = _BOX_VALUES(value)
            if not (type(label) is str and label in known
                    # All floats (the usual case) in one chained test, else each an int or float.
                    and (float is type(x) is type(y) is type(w) is type(h)
                         or (type(x) in _NUMBERS and type(y) in _NUMBERS
                             and type(w) in _NUMBERS and type(h) in _NUMBERS))
                    and w > 0 and h > 0 and -tolerance <= x and (x1 := x + w) <= right
                    and -tolerance <= y and (y1 := y + h) <= bottom):
                return None
            labels.append(label)
            if gold:
                values += (x1, y1, w * h, -x, -y, inf)
            else:
                values += (x1, y1, inf, -x, -y, w * h)
    except (KeyError, OverflowError):
        return None
    return Boxes(values, labels)


def parse(spec: BoxSpec, value: Any, role: str) -> Boxes:
    """A list of boxes; exact duplicates are refused in gold (an import error, not a crowd)."""
    items = checks.array(value, role, MAX_BOXES)
    gold = role == "gold"
    boxes = quick_parse(spec, items, gold)
    if boxes is None:
        rows = [parse_box(spec, item, f"{role}[{index}]") for index, item in enumerate(items)]
        values = [v for _, x, y, w, h in rows for v in edge_values(x, y, w, h, gold)]
        boxes = Boxes(values, [row[0] for row in rows])
    # Equal boxes have equal -x (every sixth value from the fourth): distinct ones (the usual
    # case) rule out duplicates without building the rows.
    if gold and len(set(boxes.values[3::EDGE_ROWS])) < len(items) and len(
            set(boxes.rows())) < len(items):
        checks.refuse_duplicates(boxes.rows())
    return boxes


def edge_table(boxes: Boxes) -> np.ndarray:
    """The boxes' edge rows as a (6, n) array, one box per column, made contiguous: numpy reads
    a transposed view several times slower."""
    return np.array(boxes.values, dtype=float).reshape(-1, EDGE_ROWS).T.copy()


def check_gold(item: tuple[Any, Any]) -> tuple[Boxes, np.ndarray]:
    """The checked gold of a (spec, gold) pair and its edge table, as tuples and a read-only
    array: a cached one is shared."""
    spec, gold = item
    boxes = parse(parse_spec(spec), gold, "gold")
    table = edge_table(boxes)
    table.setflags(write=False)
    return Boxes(tuple(boxes.values), tuple(boxes.labels)), table


# Every answer to an item comes with the same gold as well as the same spec.
parse_gold = spec_cache.cached(check_gold)


def score(spec: Any, gold: Any, answer: Any) -> Score:
    """F1 of same-label matches at IoU >= threshold; correct when every box matches, no extra."""
    checked = parse_spec(spec)
    expected, expected_table = parse_gold((spec, gold))
    given = parse(checked, answer, "answer")
    iou = edge_iou(expected_table, edge_table(given))
    matching = match_cells(iou, iou >= checked.iou_threshold, expected.labels, given.labels)
    hits = len(matching.matched)
    precision, recall, f1 = precision_recall_f1(hits, len(expected.labels), len(given.labels))
    details = describe(matching, expected, given)
    details |= {"precision": precision, "recall": recall, "f1": f1,
                "iou_threshold": checked.iou_threshold}
    correct = hits == len(expected.labels) == len(given.labels)
    return Score(f1, correct, details)


def describe(matching: Matching, gold: Boxes, answer: Boxes) -> dict[str, Any]:
    """Feedback: which boxes matched, which had the wrong label, which were missed or extra."""
    matched = [
        {"gold": i, "answer": j, "label": gold.labels[i], "iou": iou}
        for i, j, iou in matching.matched
    ]
    mislabelled = [
        {"gold": i, "answer": j, "gold_label": gold.labels[i], "answer_label": answer.labels[j],
         "iou": iou}
        for i, j, iou in matching.mislabelled
    ]
    warnings = [
        {"gold": i, "answer": j, "iou": iou,
         "message": loose_message(iou)}
        for i, j, iou in matching.matched
        if iou < LOOSE_IOU
    ]
    return {"matched": matched, "mislabelled": mislabelled, "missed": matching.missed,
            "extra": matching.extra, "warnings": warnings}


def loose_message(iou: float) -> str:
    """The warning for a matched box below LOOSE_IOU, its IoU to two decimals rounded down,
    so that IoU 0.799 never reads "0.80 < 0.8"."""
    # The epsilon keeps 0.58 (stored as 0.57999...) from showing as 0.57.
    return f"loose box: IoU {math.floor(iou * 100 + 1e-9) / 100:.2f}{_BELOW_LOOSE}"
