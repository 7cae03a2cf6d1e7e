"""Overlap measures as numpy matrices: IoU of boxes (as pycocotools computes it) and of spans."""

from __future__ import annotations

import numpy as np


def box_corners(xywh: np.ndarray) -> np.ndarray:
    """A (5, n) array of rows x, y, x + w, y + h, w * h for boxes given as rows [x, y, w, h]."""
    boxes = np.asarray(xywh, dtype=float).reshape(-1, 4).T
    corners = np.empty((5, boxes.shape[1]))
    corners[0:2] = boxes[0:2]
    np.add(boxes[0:2], boxes[2:4], out=corners[2:4])
    np.multiply(boxes[2], boxes[3], out=corners[4])
    return corners


def corner_iou(gold: np.ndarray, answer: np.ndarray) -> np.ndarray:
    """IoU matrix (gold x answer) of boxes given as box_corners arrays.

    Boxes are continuous regions [x, x + w) x [y, y + h). The arithmetic is pycocotools'
    bbIou step by step (the same sums, differences, products and quotient in double
    precision), so the results agree with `maskUtils.iou` for non-crowd boxes. x and y are
    handled together on the leading axis: for a few dozen boxes numpy's cost is per call, and
    rows (not columns) of coordinates keep every operation on contiguous memory.
    """
    extent = np.minimum(answer[2:4, None, :], gold[2:4, :, None])
    extent -= np.maximum(answer[0:2, None, :], gold[0:2, :, None])
    # A negative extent on one axis must give zero, not a positive product of two negatives.
    np.maximum(extent, 0.0, out=extent)
    inter = extent[0] * extent[1]
    return inter / (answer[4] + gold[4, :, None] - inter)


def box_iou(gold: np.ndarray, answer: np.ndarray) -> np.ndarray:
    """IoU matrix (gold x answer) of boxes given as rows [x, y, w, h] with w, h > 0."""
    return corner_iou(box_corners(gold), box_corners(answer))


def span_iou(gold: np.ndarray, answer: np.ndarray) -> np.ndarray:
    """IoU matrix (gold x answer) of half-open ranges given as rows [start, end]."""
    gold_start, gold_end = gold[:, 0, None], gold[:, 1, None]
    answer_start, answer_end = answer[None, :, 0], answer[None, :, 1]
    inter = np.maximum(np.minimum(answer_end, gold_end) - np.maximum(answer_start, gold_start), 0)
    union = (answer_end - answer_start) + (gold_end - gold_start) - inter
    return inter / union
