"""Benchmark: score items end to end through graders.score, and time IoU against pycocotools.

Run from the repository root: `python bench/scoring.py [--quick]`. Prints one `metric: value`
line per measurement. Items are generated from a fixed seed, so runs are comparable over time.
Each figure is the best of several rounds, which is the least disturbed by other processes.
pycocotools is a test-only dependency: without it the two pycocotools lines are left out.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import graders  # noqa: E402
from bench.cuboids import cuboids_item  # noqa: E402
from graders import cuboids, tracks  # noqa: E402
from graders.geometry import box_iou  # noqa: E402
from graders.points import COCO_KEYPOINTS  # noqa: E402

WIDTH, HEIGHT = 1920, 1080
BOX_LABELS = ["car", "pedestrian", "cyclist", "truck"]
SPAN_LABELS = ["anger", "joy", "fear", "neutral"]


def random_box(rng: random.Random) -> dict[str, Any]:
    """A box somewhere on a full-HD frame, 20 to 300 px on a side."""
    w, h = rng.uniform(20, 300), rng.uniform(20, 300)
    x, y = rng.uniform(0, WIDTH - w), rng.uniform(0, HEIGHT - h)
    return {"label": rng.choice(BOX_LABELS), "x": x, "y": y, "w": w, "h": h}


def nudged(rng: random.Random, box: dict[str, Any]) -> dict[str, Any]:
    """A trainee's version of a gold box: a few pixels off, kept on the image."""
    x = min(max(box["x"] + rng.uniform(-8, 8), 0.0), WIDTH - box["w"])
    y = min(max(box["y"] + rng.uniform(-8, 8), 0.0), HEIGHT - box["h"])
    return dict(box, x=x, y=y)


def boxes_item(rng: random.Random, count: int = 20) -> tuple[dict, list, list]:
    """A boxes item with `count` gold boxes and an answer with some of every kind of error."""
    gold = [random_box(rng) for _ in range(count)]
    answer = [nudged(rng, box) for box in gold]
    for box in answer[:2]:
        box["label"] = next(label for label in BOX_LABELS if label != box["label"])
    answer[2:4] = [random_box(rng), random_box(rng)]  # two misses and two extras
    rng.shuffle(answer)
    return {"width": WIDTH, "height": HEIGHT, "labels": BOX_LABELS}, gold, answer


def points_item(rng: random.Random, persons: int = 5) -> tuple[dict, list, list]:
    """A points item: `persons` people with the 17 COCO keypoints, answered a few px off."""
    gold, answer = [], []
    for _ in range(persons):
        cx, cy = rng.uniform(200, WIDTH - 200), rng.uniform(200, HEIGHT - 200)
        points = {n: [cx + rng.uniform(-150, 150), cy + rng.uniform(-150, 150), 2]
                  for n in COCO_KEYPOINTS}
        gold.append({"keypoints": points, "area": rng.uniform(5_000, 60_000)})
        answer.append({"keypoints": {n: [x + rng.uniform(-5, 5), y + rng.uniform(-5, 5), 2]
                                     for n, (x, y, _) in points.items()}})
    return {"width": WIDTH, "height": HEIGHT, "keypoints": list(COCO_KEYPOINTS)}, gold, answer


def spans_item(rng: random.Random, count: int = 50) -> tuple[dict, list, list]:
    """A spans item over a 5,000-character transcript, matched by overlap."""
    text = "".join(rng.choice("abcdefgh ") for _ in range(5_000))
    gold = [{"start": 100 * i, "end": 100 * i + rng.randint(10, 90),
             "label": rng.choice(SPAN_LABELS)} for i in range(count)]
    answer = [dict(span, end=max(span["start"] + 1, span["end"] + rng.randint(-5, 5)))
              for span in gold]
    spec = {"text": text, "labels": SPAN_LABELS, "match": "overlap"}
    return spec, gold, answer


def tracks_item(rng: random.Random, count: int = 10,
                frames: int = 30) -> tuple[dict, list, list]:
    """A tracks item: `count` objects moving across `frames` full-HD frames, some leaving and
    coming back; the answer follows them a few px off, swaps two identities halfway, loses
    one track for a while, labels one wrongly and adds one track of its own."""
    gold = []
    for index in range(count):
        box = random_box(rng)
        dx, dy = rng.uniform(-10, 10), rng.uniform(-10, 10)
        hidden = range(rng.randrange(frames), frames) if index % 4 == 3 else range(0)
        gold.append({"id": index, "label": box["label"], "boxes": {
            str(f): moved(box, dx * f, dy * f) for f in range(frames) if f not in hidden}})
    answer = [{"id": 100 + track["id"], "label": track["label"], "boxes": {
        f: nudged(rng, dict(box, label=track["label"])) for f, box in track["boxes"].items()}}
        for track in gold]
    for track in answer:
        for box in track["boxes"].values():
            del box["label"]
    first, second = answer[0]["boxes"], answer[1]["boxes"]
    for f in range(frames // 2, frames):
        first[str(f)], second[str(f)] = second.get(str(f)), first.get(str(f))
    for track in answer[:2]:
        track["boxes"] = {f: box for f, box in track["boxes"].items() if box is not None}
    for f in range(5, 12):
        answer[2]["boxes"].pop(str(f), None)
    answer[3]["label"] = next(label for label in BOX_LABELS if label != answer[3]["label"])
    extra = random_box(rng)
    answer.append({"id": 999, "label": extra.pop("label"),
                   "boxes": {str(f): extra for f in range(frames // 3)}})
    rng.shuffle(answer)
    spec = {"width": WIDTH, "height": HEIGHT, "frames": frames, "labels": BOX_LABELS}
    return spec, gold, answer


def moved(box: dict[str, Any], dx: float, dy: float) -> dict[str, float]:
    """`box` (without its label) moved by dx, dy and kept on the image."""
    return {"x": min(max(box["x"] + dx, 0.0), WIDTH - box["w"]),
            "y": min(max(box["y"] + dy, 0.0), HEIGHT - box["h"]), "w": box["w"], "h": box["h"]}


def best_seconds(call: Callable[[], object], calls: int, rounds: int) -> float:
    """Seconds per call in the fastest of `rounds` rounds of `calls` calls."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def coco_iou() -> Callable[..., np.ndarray] | None:
    """pycocotools' maskUtils.iou, if pycocotools is installed."""
    try:
        from pycocotools import mask as mask_utils
    except ImportError:
        return None
    return mask_utils.iou


def main() -> None:
    """Print the metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    quick = parser.parse_args().quick
    calls, rounds = (200, 3) if quick else (2_000, 7)
    rng = random.Random(20240601)  # noqa: S311 - reproducible test data, not secrets

    spec, gold, answer = boxes_item(rng)
    per_call = best_seconds(lambda: graders.score("boxes", spec, gold, answer), calls, rounds)
    print(f"boxes_20x20_per_s: {1 / per_call:.0f}")

    gold_xywh = np.array([[b["x"], b["y"], b["w"], b["h"]] for b in gold])
    answer_xywh = np.array([[b["x"], b["y"], b["w"], b["h"]] for b in answer])
    ours = best_seconds(lambda: box_iou(gold_xywh, answer_xywh), calls * 5, rounds)
    print(f"iou_20x20_us: {ours * 1e6:.1f}")
    iou = coco_iou()
    if iou is not None:
        crowd = np.zeros(len(gold_xywh), dtype=np.uint8)
        theirs = best_seconds(lambda: iou(answer_xywh, gold_xywh, crowd), calls * 5, rounds)
        print(f"pycocotools_iou_20x20_us: {theirs * 1e6:.1f}")
        print(f"iou_vs_pycocotools_ratio: {ours / theirs:.2f}")

    spec, gold, answer = points_item(rng)
    per_call = best_seconds(lambda: graders.score("points", spec, gold, answer), calls, rounds)
    print(f"points_5x5_per_s: {1 / per_call:.0f}")

    spec, gold, answer = spans_item(rng)
    per_call = best_seconds(lambda: graders.score("spans", spec, gold, answer), calls, rounds)
    print(f"spans_50x50_per_s: {1 / per_call:.0f}")

    spec, gold, answer = tracks_item(rng)
    per_call = best_seconds(lambda: tracks.score(spec, gold, answer), calls, rounds)
    print(f"tracks_10x30_per_s: {1 / per_call:.0f}")

    spec, gold, answer = cuboids_item(rng)
    per_call = best_seconds(lambda: cuboids.score(spec, gold, answer), calls, rounds)
    print(f"cuboids_20x20_per_s: {1 / per_call:.0f}")


if __name__ == "__main__":
    main()
