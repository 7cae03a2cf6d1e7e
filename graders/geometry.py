"""Overlap measures as numpy matrices: IoU of boxes (as pycocotools computes it) and of spans.

Boxes reach the IoU kernel as "edge rows", one column per box: x + w, y + h, then a slot for
the area, -x, -y, then a second slot for the area. A gold box puts its area in the first slot
and +inf in the second, an answer box the other way round; so one broadcast `minimum` gives,
for every pair at once, the smaller right and bottom edges, the negated larger left and top
edges and both areas, and one `add` of its halves gives both extents and the sum of the areas.
numpy's cost for a few dozen boxes is per call, and this keeps the calls to six.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

EDGE_ROWS = 6
GOLD_AREA, ANSWER_AREA = 2, 5
# Extents below zero mean no overlap; a sum of two zero areas becomes the smallest positive
# double, so that two empty boxes give 0 / tiny = 0 (pycocotools' answer) instead of 0 / 0.
_TINY = np.nextafter(0.0, 1.0)
_FLOOR = np.array([0.0, 0.0, _TINY]).reshape(3, 1, 1)
_NO_LENGTH = 2**62  # longer than any text: the minimum of a length slot is the other side's


def edge_iou(gold: np.ndarray, answer: np.ndarray) -> np.ndarray:
    """IoU matrix (gold x answer) of boxes given as edge rows.

    The arithmetic is pycocotools' bbIou operation for operation in double precision
    (min(x1) - max(x0) is computed as min(x1) + min(-x0), which is the same float), so the
    results equal `maskUtils.iou` for non-crowd boxes; pairs that do not overlap give 0.
    """
    pairs = np.minimum(gold[:, :, None], answer[:, None, :])
    sums = pairs[:3]
    sums += pairs[3:]
    np.maximum(sums, _FLOOR, out=sums)
    inter = sums[0] * sums[1]
    union = sums[2]
    union -= inter
    return np.divide(inter, union, out=inter)


def box_iou(gold: np.ndarray, answer: np.ndarray) -> np.ndarray:
    """IoU matrix (gold x answer) of boxes given as rows [x, y, w, h] with w, h >= 0.

    Both sides go through each step together (numpy's cost is per call), and the areas are
    summed by one outer add rather than through edge rows' slots, which saves building them.
    The arithmetic is edge_iou's, so the results are the same.
    """
    gold = np.asarray(gold, dtype=float).reshape(-1, 4)
    split = len(gold)
    boxes = np.concatenate((gold.T, np.asarray(answer, dtype=float).reshape(-1, 4).T), axis=1)
    edges = np.empty((4, boxes.shape[1]))  # x + w, y + h, -x, -y
    np.add(boxes[:2], boxes[2:], out=edges[:2])
    np.negative(boxes[:2], out=edges[2:])
    pairs = np.minimum(edges[:, :split, None], edges[:, None, split:])
    sides = pairs[:2]
    sides += pairs[2:]
    np.maximum(sides, 0.0, out=sides)
    inter = sides[0] * sides[1]
    area = boxes[2] * boxes[3]
    union = np.add.outer(area[:split], area[split:])
    np.maximum(union, _TINY, out=union)
    union -= inter
    return np.divide(inter, union, out=inter)


def span_rows(starts: Sequence[int], ends: Sequence[int], gold: bool) -> np.ndarray:
    """Edge rows (4, n) of half-open ranges [start, end), laid out as edge_rows lays out boxes:
    end, a slot for the length, -start, a second slot; gold fills the first, answers the other.
    Offsets are integers below 2**53, so the doubles hold them, their negations and their
    differences exactly."""
    given = np.array((ends, starts), dtype=float)
    rows = np.empty((4, len(starts)))
    rows[0] = given[0]
    np.negative(given[1], out=rows[2])
    length, unused = (1, 3) if gold else (3, 1)
    np.subtract(given[0], given[1], out=rows[length])
    rows[unused] = _NO_LENGTH
    return rows


def span_iou(gold: np.ndarray, answer: np.ndarray) -> np.ndarray:
    """IoU matrix (gold x answer) of ranges given as span_rows. Offsets are integers, held
    exactly in doubles (as is the 2**62 filler), so everything but the one division is exact."""
    pairs = np.minimum(gold[:, :, None], answer[:, None, :])
    sums = pairs[:2] + pairs[2:]  # min(end) - max(start), and the sum of the lengths
    inter = np.maximum(sums[0], 0)
    return inter / (sums[1] - inter)
