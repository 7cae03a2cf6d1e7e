"""IoU and OKS agree with pycocotools (a test-only dependency) on generated cases, to 1e-9."""

from __future__ import annotations

import contextlib
import io
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graders
from graders.geometry import box_iou
from graders.points import COCO_KEYPOINTS, compare, parse, parse_spec

mask_utils = pytest.importorskip("pycocotools.mask")
coco = pytest.importorskip("pycocotools.coco")
cocoeval = pytest.importorskip("pycocotools.cocoeval")

WIDTH, HEIGHT = 640, 480
CASES = 300


def random_box(rng: random.Random) -> list[float]:
    """Boxes on the image; whole pixels half the time, so that edges touch and values tie."""
    if rng.random() < 0.5:
        w, h = rng.randint(1, 200), rng.randint(1, 200)
        return [rng.randint(0, WIDTH - w), rng.randint(0, HEIGHT - h), w, h]
    w, h = rng.uniform(0.5, 300), rng.uniform(0.5, 300)
    return [rng.uniform(0, WIDTH - w), rng.uniform(0, HEIGHT - h), w, h]


def near(rng: random.Random, xywh: list[float]) -> list[float]:
    """A box close to another one, as a trainee would draw it, kept on the image."""
    x, y, w, h = xywh
    w2, h2 = max(0.5, w + rng.uniform(-10, 10)), max(0.5, h + rng.uniform(-10, 10))
    x2 = min(max(0.0, x + rng.uniform(-10, 10)), WIDTH - w2)
    y2 = min(max(0.0, y + rng.uniform(-10, 10)), HEIGHT - h2)
    return [x2, y2, w2, h2]


def box_case(rng: random.Random) -> tuple[np.ndarray, np.ndarray]:
    gold = [random_box(rng) for _ in range(rng.randint(1, 12))]
    answer = [near(rng, rng.choice(gold)) if rng.random() < 0.7 else random_box(rng)
              for _ in range(rng.randint(1, 12))]
    return np.array(gold, dtype=float), np.array(answer, dtype=float)


def coco_iou(gold: np.ndarray, answer: np.ndarray) -> np.ndarray:
    """pycocotools' IoU as (gold x answer): maskUtils.iou(dt, gt) is (dt x gt)."""
    return np.asarray(mask_utils.iou(answer, gold, np.zeros(len(gold), dtype=np.uint8))).T


def test_box_iou_matches_pycocotools():
    rng = random.Random(11)
    for _ in range(CASES):
        gold, answer = box_case(rng)
        ours, theirs = box_iou(gold, answer), coco_iou(gold, answer)
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


# Whole numbers on a small grid make identical, touching and nested boxes common; zero sizes
# give empty boxes; huge offsets put boxes far apart; fractions exercise the rounding.
COORDINATE = st.one_of(st.integers(0, 6).map(float), st.sampled_from([0.0, 1e6, 3e9]),
                       st.floats(0, 1000, allow_nan=False, allow_infinity=False))
BOXES = st.integers(1, 8).flatmap(
    lambda n: hnp.arrays(np.float64, (n, 4), elements=COORDINATE))


@settings(max_examples=500, deadline=None)
@given(gold=BOXES, answer=BOXES)
def test_the_iou_matrix_is_pycocotools_on_any_boxes(gold, answer):
    if answer.shape[0] > 1:
        answer[1] = gold[0]  # an identical pair in every case
    ours, theirs = box_iou(gold, answer), coco_iou(gold, answer)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


def test_scored_ious_match_pycocotools():
    rng = random.Random(12)
    labels = ["car", "bus"]
    spec = {"width": WIDTH, "height": HEIGHT, "labels": labels, "iou_threshold": 0.3}
    checked = 0
    for _ in range(CASES):
        gold, answer = box_case(rng)
        gold_labels = [rng.choice(labels) for _ in gold]
        answer_labels = [rng.choice(labels) for _ in answer]
        as_boxes = [
            [{"label": label, "x": x, "y": y, "w": w, "h": h}
             for label, (x, y, w, h) in zip(names, rows.tolist(), strict=True)]
            for names, rows in ((gold_labels, gold), (answer_labels, answer))
        ]
        if len({tuple(b.values()) for b in as_boxes[0]}) < len(gold):
            continue  # random duplicates are refused in gold
        details = graders.score("boxes", spec, *as_boxes).details
        theirs = coco_iou(gold, answer)
        for pair in details["matched"] + details["mislabelled"]:
            assert abs(pair["iou"] - theirs[pair["gold"], pair["answer"]]) <= 1e-9
            assert theirs[pair["gold"], pair["answer"]] >= 0.3
            checked += 1
    assert checked > CASES


def person(rng: random.Random) -> tuple[list[float], float]:
    """COCO keypoints [x1, y1, v1, ...] for 17 points (some not labelled), and an area."""
    cx, cy = rng.uniform(100, WIDTH - 100), rng.uniform(100, HEIGHT - 100)
    flat: list[float] = []
    for _ in COCO_KEYPOINTS:
        x, y, v = rng.uniform(cx - 90, cx + 90), rng.uniform(cy - 90, cy + 90), rng.randint(0, 2)
        flat += [x, y, v] if v else [0, 0, 0]
    if not any(flat[2::3]):
        flat[2] = 2
    return flat, rng.uniform(500, 40_000)


def attempt(rng: random.Random, gold: list[float]) -> list[float]:
    """A trainee's person: every keypoint placed, near the gold one or (if unlabelled) anywhere."""
    flat: list[float] = []
    for k in range(len(COCO_KEYPOINTS)):
        x, y, v = gold[3 * k: 3 * k + 3]
        if v:
            x = min(max(x + rng.gauss(0, 8), 0.0), WIDTH)
            y = min(max(y + rng.gauss(0, 8), 0.0), HEIGHT)
        else:
            x, y = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT)
        flat += [x, y, rng.choice([1, 2])]
    return flat


def as_person(flat: list[float], area: float | None) -> dict:
    keypoints = {name: flat[3 * k: 3 * k + 3] for k, name in enumerate(COCO_KEYPOINTS)}
    return {"keypoints": keypoints, **({"area": area} if area is not None else {})}


def coco_oks(gold: list, answer: list) -> np.ndarray:
    """COCOeval.computeOks as (gold x answer), for one image and one category."""
    with contextlib.redirect_stdout(io.StringIO()):
        ground = coco.COCO()
        ground.dataset = {
            "images": [{"id": 1, "width": WIDTH, "height": HEIGHT}],
            "categories": [{"id": 1, "name": "person", "keypoints": list(COCO_KEYPOINTS)}],
            "annotations": [
                {"id": i + 1, "image_id": 1, "category_id": 1, "keypoints": flat, "area": area,
                 "bbox": [0, 0, 1, 1], "iscrowd": 0, "num_keypoints": sum(map(bool, flat[2::3]))}
                for i, (flat, area) in enumerate(gold)
            ],
        }
        ground.createIndex()
        results = ground.loadRes([
            {"image_id": 1, "category_id": 1, "keypoints": flat, "score": 1.0}
            for flat, _ in answer
        ])
        evaluation = cocoeval.COCOeval(ground, results, "keypoints")
        evaluation.params.imgIds = [1]
        evaluation._prepare()
        # Equal scores keep the detections in order (computeOks sorts with a stable mergesort).
        return np.asarray(evaluation.computeOks(1, 1)).T


def test_oks_matches_pycocotools():
    rng = random.Random(13)
    spec = parse_spec({"width": WIDTH, "height": HEIGHT, "keypoints": list(COCO_KEYPOINTS)})
    high = 0
    for _ in range(CASES):
        gold = [person(rng) for _ in range(rng.randint(1, 4))]
        answer = [(attempt(rng, rng.choice(gold)[0] if rng.random() < 0.7 else person(rng)[0]), 0)
                  for _ in range(rng.randint(1, 4))]
        ours = compare(
            spec,
            parse(spec, [as_person(flat, area) for flat, area in gold], "gold"),
            parse(spec, [as_person(flat, None) for flat, _ in answer], "answer"),
        ).oks
        theirs = coco_oks(gold, answer)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
        high += int((theirs > 0.5).sum())
    assert high > CASES  # the cases cover good answers, not only far-off ones


def test_one_person_scores_its_pycocotools_oks():
    rng = random.Random(14)
    spec = {"width": WIDTH, "height": HEIGHT, "keypoints": list(COCO_KEYPOINTS)}
    for _ in range(100):
        flat, area = person(rng)
        guess = attempt(rng, flat)
        result = graders.score("points", spec, [as_person(flat, area)], [as_person(guess, None)])
        expected = coco_oks([(flat, area)], [(guess, 0.0)])[0, 0]
        assert abs(result.points - expected) <= 1e-9
