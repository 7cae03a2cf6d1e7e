"""Tracks items: HOTA (and its parts) as TrackEval computes it, CLEAR MOT details as motmetrics
computes them, worked by hand on small clips, checked against both libraries on seeded random
clips, and hostile input refused with a precise path."""

from __future__ import annotations

import copy
import math
import random
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders import ScoringError, tracks

SPEC = {"width": 100, "height": 80, "frames": 10, "labels": ["car", "person"]}


def track(identity, label, boxes):
    """A track from {frame: (x, y, w, h)}, with JSON's string frame keys."""
    return {"id": identity, "label": label,
            "boxes": {str(f): dict(zip("xywh", box, strict=True)) for f, box in boxes.items()}}


def score(gold, answer, **spec):
    return tracks.score({**SPEC, **spec}, gold, answer)


def still(frames, box=(10, 10, 20, 20)):
    return dict.fromkeys(frames, box)


# --- worked by hand ---------------------------------------------------------------------------


def test_a_perfect_answer_is_correct_whatever_the_ids_and_order():
    gold = [track(1, "car", still(range(10))), track(2, "person", still(range(5), (60, 40, 9, 30)))]
    answer = [track("b", "person", still(range(5), (60, 40, 9, 30))),
              track("a", "car", still(range(10)))]
    result = score(gold, answer)
    assert (result.points, result.correct) == (1.0, True)
    details = result.details
    assert {name: details[name] for name in tracks.MEASURES} == dict.fromkeys(tracks.MEASURES, 1.0)
    assert (details["mota"], details["idf1"], details["id_switches"]) == (1.0, 1.0, 0)
    assert (details["missed"], details["extra"]) == ([], [])
    assert details["tracks"][0] == {
        "id": 1, "label": "car", "frames": 10, "matched_frames": [[0, 9]], "missed_frames": [],
        "lost_at": [], "switches": [], "followed_by": [{"id": "a", "frames": 10}],
        "mislabelled_as": [], "coverage": 1.0, "missed": False}


def test_boxes_in_frames_without_gold_are_false_positives():
    # Gold is in view in frames 0 and 1 only; the answer also draws it in frame 3.
    gold = [track(1, "car", still([0, 1]))]
    answer = [track(7, "car", still([0, 1, 3]))]
    details = score(gold, answer).details
    # TP 2, FP 1 at every alpha: DetA 2/3; one pair of tracks with 2 matches of 2 and 3
    # boxes: AssA 2 / (2 + 3 - 2) = 2/3; HOTA sqrt(2/3 * 2/3) = 2/3.
    assert details["deta"] == pytest.approx(2 / 3, abs=1e-12)
    assert details["assa"] == pytest.approx(2 / 3, abs=1e-12)
    assert details["hota"] == pytest.approx(2 / 3, abs=1e-12)
    assert (details["mota"], details["idf1"]) == (0.5, 0.8)
    assert (details["missed_boxes"], details["extra_boxes"]) == (0, 1)
    assert details["extra"] == []  # the answer track matched in frames 0 and 1


def test_an_empty_answer_misses_everything():
    gold = [track(1, "car", still(range(4))), track(2, "person", still([6]))]
    result = score(gold, [])
    assert (result.points, result.correct) == (0.0, False)
    assert result.details["missed"] == [1, 2]
    assert result.details["tracks"][0]["missed_frames"] == [[0, 3]]
    assert (result.details["mota"], result.details["idf1"]) == (0.0, 0.0)
    assert result.details["missed_boxes"] == 5


def test_empty_gold_and_empty_answer_is_perfect():
    result = score([], [])
    assert (result.points, result.correct) == (1.0, True)
    assert result.details["mota"] is None  # no gold box: MOTA is undefined
    assert result.details["idf1"] == 1.0


def test_all_out_of_view_is_perfect_and_drawing_there_scores_zero():
    gold = [track(1, "car", {}), track(2, "person", {})]
    nothing = score(gold, [track(5, "car", {})])
    assert (nothing.points, nothing.correct) == (1.0, True)
    assert nothing.details["tracks"][0] == {
        "id": 1, "label": "car", "frames": 0, "matched_frames": [], "missed_frames": [],
        "lost_at": [], "switches": [], "followed_by": [], "mislabelled_as": [],
        "coverage": 1.0, "missed": False}
    drawn = score(gold, [track(5, "car", still([3]))])
    assert (drawn.points, drawn.correct) == (0.0, False)
    assert drawn.details["extra"] == [5]


def test_a_track_that_leaves_and_comes_back_under_a_new_id_is_a_switch():
    frames = [0, 1, 2, 6, 7, 8, 9]  # out of view in frames 3 to 5
    gold = [track(1, "car", still(frames))]
    answer = [track("a", "car", still([0, 1, 2])), track("b", "car", still([6, 7, 8, 9]))]
    details = score(gold, answer).details
    # DetA 1; AssA (3 * 3/7 + 4 * 4/7) / 7 = 25/49; HOTA 5/7.
    assert details["deta"] == 1.0
    assert details["assa"] == pytest.approx(25 / 49, abs=1e-12)
    assert details["hota"] == pytest.approx(5 / 7, abs=1e-12)
    assert details["mota"] == pytest.approx(6 / 7, abs=1e-12)
    assert details["idf1"] == pytest.approx(4 / 7, abs=1e-12)  # 1 -> "b": 4 frames of 7 + 7
    story = details["tracks"][0]
    assert story["matched_frames"] == [[0, 2], [6, 9]]
    assert story["switches"] == [{"frame": 6, "from": "a", "to": "b"}]
    assert story["followed_by"] == [{"id": "a", "frames": 3}, {"id": "b", "frames": 4}]
    same_id = score(gold, [track("a", "car", still(frames))])
    assert (same_id.points, same_id.details["tracks"][0]["switches"]) == (1.0, [])


def test_a_track_lost_after_coming_back_is_missed():
    gold = [track(1, "car", still([0, 1, 2, 6, 7, 8, 9]))]
    result = score(gold, [track("a", "car", still([0, 1, 2]))])
    story = result.details["tracks"][0]
    assert story["missed_frames"] == [[6, 9]]
    assert story["lost_at"] == [6]
    assert story["coverage"] == 3 / 7
    assert story["missed"] is True
    assert result.details["missed"] == [1]
    # TP 3, FN 4: DetA 3/7; AssA 3 / (7 + 3 - 3) = 3/7; HOTA 3/7.
    assert result.points == pytest.approx(3 / 7, abs=1e-12)
    assert result.correct is False


def test_two_tracks_crossing_with_an_identity_swap():
    # Car 1 drives right and car 2 left along y = 10 and y = 20; they pass in frame 4, where
    # their boxes overlap with IoU 1/3. The answer swaps the two after the crossing.
    left = {f: (10 * f, 10, 20, 20) for f in range(9)}
    right = {f: (80 - 10 * f, 20, 20, 20) for f in range(9)}
    gold = [track(1, "car", left), track(2, "car", right)]
    answer = [track("a", "car", {f: (left if f <= 4 else right)[f] for f in range(9)}),
              track("b", "car", {f: (right if f <= 4 else left)[f] for f in range(9)})]
    details = score(gold, answer, frames=9).details
    # DetA 1. Each gold track: 5 frames with one answer track, 4 with the other (9 boxes
    # each): AssA = (2 * 5 * 5/13 + 2 * 4 * 4/14) / 18.
    assa = (2 * 5 * 5 / 13 + 2 * 4 * 4 / 14) / 18
    assert details["deta"] == 1.0
    assert details["assa"] == pytest.approx(assa, abs=1e-12)
    assert details["hota"] == pytest.approx(math.sqrt(assa), abs=1e-12)
    assert details["id_switches"] == 2
    assert details["mota"] == pytest.approx(8 / 9, abs=1e-12)
    assert details["idf1"] == pytest.approx(5 / 9, abs=1e-12)
    assert details["tracks"][0]["switches"] == [{"frame": 5, "from": "a", "to": "b"}]
    assert details["tracks"][1]["switches"] == [{"frame": 5, "from": "b", "to": "a"}]
    assert details["missed"] == []
    assert score(gold, answer, frames=9, assa_threshold=0.4).correct is False
    assert score(gold, answer, frames=9, assa_threshold=0.3).correct is True


def test_a_right_track_with_the_wrong_label_is_missed_and_named():
    gold = [track(1, "person", still(range(4)))]
    result = score(gold, [track("a", "car", still(range(4)))])
    assert (result.points, result.correct) == (0.0, False)
    assert result.details["tracks"][0]["mislabelled_as"] == [
        {"id": "a", "label": "car", "frames": 4}]
    assert (result.details["missed"], result.details["extra"]) == ([1], [])


def test_loose_boxes_lower_hota_but_not_the_clear_matching():
    # IoU 0.6 in every frame: matched at alphas 0.05..0.6 (12 of 19), so HOTA = DetA = 12/19.
    gold = [track(1, "car", still(range(5), (0, 0, 10, 10)))]
    answer = [track("a", "car", still(range(5), (0, 0, 10, 6)))]
    result = score(gold, answer)
    assert result.points == pytest.approx(12 / 19, abs=1e-12)
    assert result.details["loca"] == pytest.approx((12 * 0.6 + 7) / 19, abs=1e-12)
    assert result.details["tracks"][0]["matched_frames"] == [[0, 4]]
    assert result.correct is True
    assert score(gold, answer, hota_threshold=0.7).correct is False
    assert score(gold, answer, iou_threshold=0.7).details["missed"] == [1]


def test_half_of_the_frames_is_enough_not_to_miss_a_track():
    gold = [track(1, "car", still(range(4)))]
    assert score(gold, [track("a", "car", still([0, 1]))]).details["missed"] == []
    assert score(gold, [track("a", "car", still([0]))]).details["missed"] == [1]


def test_integer_frame_keys_from_yaml_are_accepted():
    gold = [{"id": 1, "label": "car", "boxes": {0: {"x": 1, "y": 1, "w": 5, "h": 5}}}]
    assert score(gold, gold).points == 1.0


def test_inputs_are_not_modified():
    gold = [track(1, "car", still(range(3)))]
    answer = [track("a", "car", still(range(2)))]
    before = copy.deepcopy((gold, answer))
    score(gold, answer)
    assert (gold, answer) == before


# --- hostile input ----------------------------------------------------------------------------

BOX = {"x": 1, "y": 1, "w": 5, "h": 5}


def one(boxes, **fields):
    return [{"id": 1, "label": "car", "boxes": boxes, **fields}]


@pytest.mark.parametrize(("spec", "message"), [
    ({**SPEC, "frames": 0}, "spec.frames: must be an integer from 1 to 10000, got 0"),
    ({**SPEC, "frames": 10_001}, "spec.frames: must be an integer from 1 to 10000, got 10001"),
    ({**SPEC, "frames": "9"}, "spec.frames: must be an integer, got string"),
    ({**SPEC, "frames": True}, "spec.frames: must be an integer, got boolean"),
    ({**SPEC, "width": 0}, "spec.width: must be an integer from 1 to 100000, got 0"),
    ({**SPEC, "labels": []}, "spec.labels: needs at least 1 element"),
    ({**SPEC, "hota_threshold": 0}, "spec.hota_threshold: must be a number greater than 0"),
    ({**SPEC, "assa_threshold": math.nan}, "spec.assa_threshold: must be a finite number"),
    ({**SPEC, "iou_treshold": 0.5}, "spec.iou_treshold: unknown key"),
    ({"width": 9, "height": 9, "labels": ["car"]}, "spec.frames: is required"),
])
def test_bad_specs_are_refused(spec, message):
    with pytest.raises(ScoringError, match=f"^{re.escape(message)}"):
        tracks.score(spec, [], [])


@pytest.mark.parametrize(("answer", "message"), [
    ({}, "answer: must be a list, got object"),
    ([1], "answer[0]: must be an object, got integer"),
    ([[[[[]]]]], "answer[0]: must be an object, got list"),
    ([{"id": 1, "label": "car"}], "answer[0].boxes: is required"),
    (one({}, colour="red"), "answer[0].colour: unknown key"),
    ([{"id": True, "label": "car", "boxes": {}}],
     "answer[0].id: must be an integer or a string, got boolean"),
    ([{"id": 1.0, "label": "car", "boxes": {}}],
     "answer[0].id: must be an integer or a string, got number"),
    ([{"id": -1, "label": "car", "boxes": {}}], "answer[0].id: must be an integer from 0"),
    ([{"id": 2**53 + 1, "label": "car", "boxes": {}}], "answer[0].id: must be an integer from 0"),
    ([{"id": " ", "label": "car", "boxes": {}}], "answer[0].id: must not be blank"),
    ([{"id": "x" * 201, "label": "car", "boxes": {}}], "answer[0].id: too long"),
    (one({}) + one({}), "answer[1].id: duplicate of answer[0].id 1"),
    ([{"id": 1, "label": "bus", "boxes": {}}], "answer[0].label: unknown label 'bus'"),
    (one([BOX]), "answer[0].boxes: must be an object, got list"),
    (one({"05": BOX}), "answer[0].boxes.05: a frame must be a number from 0 to 9, got '05'"),
    (one({"-1": BOX}), "answer[0].boxes.-1: a frame must be a number"),
    (one({"1.0": BOX}), "answer[0].boxes.1.0: a frame must be a number"),
    (one({" 1": BOX}), "answer[0].boxes. 1: a frame must be a number"),
    (one({"\u0663": BOX}), "answer[0].boxes.\u0663: a frame must be a number"),
    (one({"10": BOX}), "answer[0].boxes.10: no such frame: the clip has frames 0 to 9"),
    (one({"9" * 5000: BOX}), "answer[0].boxes.'99999999999999999999"),
    (one({-1: BOX}), "answer[0].boxes.-1: no such frame"),
    (one({(1,): BOX}), "answer[0].boxes.list: a frame must be a number from 0 to 9, got list"),
    (one({"3": BOX, 3: BOX}), "answer[0].boxes.3: frame 3 given twice"),
    (one({"3": [1, 1, 5, 5]}), "answer[0].boxes.3: must be an object, got list"),
    (one({"3": {"x": 1, "y": 1, "w": 5}}), "answer[0].boxes.3.h: is required"),
    (one({"3": {**BOX, "w": math.nan}}), "answer[0].boxes.3.w: must be a finite number, got nan"),
    (one({"3": {**BOX, "x": math.inf}}), "answer[0].boxes.3.x: must be a finite number, got inf"),
    (one({"3": {**BOX, "h": 10**400}}), "answer[0].boxes.3.h: must be a number of sensible"),
    (one({"3": {**BOX, "w": -1}}), "answer[0].boxes.3.w: must be a positive number, got -1"),
    (one({"3": {**BOX, "w": True}}), "answer[0].boxes.3.w: must be a number, got boolean"),
    (one({"3": {**BOX, "y": "1"}}), "answer[0].boxes.3.y: must be a number, got string"),
    (one({"3": {**BOX, "x": 99}}), "answer[0].boxes.3.w: past the right edge: x + w = 104"),
    (one({"3": {**BOX, "y": -2}}), "answer[0].boxes.3.y: outside the image: y = -2"),
])
def test_bad_answers_are_refused_with_a_precise_path(answer, message):
    with pytest.raises(ScoringError, match=f"^{re.escape(message)}"):
        score([], answer)


def test_the_path_names_the_gold_track_frame_and_field():
    gold = [track(1, "car", still([0])), track(2, "car", {17: (1, 1, 0, 5)})]
    with pytest.raises(ScoringError, match=r"^gold\[1\]\.boxes\.17\.w: must be a positive"):
        score(gold, [], frames=20)


def test_counts_are_bounded():
    many = [track(i, "car", {}) for i in range(tracks.MAX_TRACKS + 1)]
    with pytest.raises(ScoringError, match=r"^gold: too many elements: 101 > 100"):
        score(many, [])
    frames = {str(f): BOX for f in range(6000)}
    big = [{"id": 1, "label": "car", "boxes": frames}, {"id": 2, "label": "car", "boxes": frames}]
    with pytest.raises(ScoringError, match=r"^answer\[1\]\.boxes: too many boxes: more than "
                                           r"10000 in all tracks together"):
        score([], big, frames=10_000)
    with pytest.raises(ScoringError, match=r"^answer\[0\]\.boxes: too many frames: 6000 > 10"):
        score([], big)


def test_deep_nesting_is_refused_without_recursion():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ScoringError, match=r"^answer\[0\]: must be an object, got list"):
        score([], deep)
    with pytest.raises(ScoringError, match=r"^answer\[0\]\.boxes\.1: must be an object"):
        score([], one({"1": deep}))
    with pytest.raises(ScoringError, match=r"^answer\[0\]\.id: must be an integer or a string"):
        score([], [{"id": deep, "label": "car", "boxes": {}}])


def test_numpy_numbers_are_accepted_like_python_floats():
    gold = [track(1, "car", still([0, 1]))]
    answer = [track(1, "car", {f: tuple(np.float64(v) for v in (10, 10, 20, 20)) for f in (0, 1)})]
    assert score(gold, answer).points == 1.0


HOSTILE = st.sampled_from([True, None, math.nan, math.inf, -math.inf, 2**53 + 1, 10**400, "1",
                           [1], -0.0, 1e300])
FRAME_KEYS = st.sampled_from(["0", "3", "9", "10", "03", "-1", " 2", "1.5", "", 4, -1, True,
                              "\u0663"])


def fine_or_hostile(low, high):
    fine = st.one_of(st.integers(low, high), st.floats(low, high, allow_nan=False))
    return st.one_of(fine, fine, fine, HOSTILE)


RECT = st.one_of(
    st.fixed_dictionaries({"x": fine_or_hostile(-1, 110), "y": fine_or_hostile(-1, 90),
                           "w": fine_or_hostile(-1, 40), "h": fine_or_hostile(-1, 40)}),
    st.fixed_dictionaries({"x": fine_or_hostile(0, 50), "y": fine_or_hostile(0, 40)}),
    HOSTILE)
TRACK = st.one_of(
    st.fixed_dictionaries({"id": st.one_of(st.integers(-1, 3), st.sampled_from(["a", " ", ""]),
                                           HOSTILE),
                           "label": st.sampled_from(["car", "person", "bus"]),
                           "boxes": st.dictionaries(FRAME_KEYS, RECT, max_size=4)}),
    HOSTILE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TRACK, max_size=4))
def test_the_bulk_check_accepts_nothing_the_precise_one_refuses(items):
    spec = tracks.parse_spec(SPEC)
    try:
        slow = tracks.slow_parse(spec, items, "answer")
    except ScoringError:
        slow = None
    try:
        quick = tracks.quick_parse(spec, items)
    except (KeyError, ValueError, OverflowError):
        quick = None
    if quick is not None:
        assert slow is not None
        ids, labels, frames, owners, xywh = quick
        assert (ids, labels, frames, owners) == slow[:4]
        assert np.array_equal(xywh, slow[4])


# --- cross-checks against TrackEval (HOTA) and motmetrics (MOTA, IDF1) ------------------------


def random_clip(rng: random.Random) -> tuple[dict, list, list]:
    """A small, crowded clip: few tracks over few frames with gaps, on a small image so that
    boxes compete; the answer copies gold tracks with jitter, drops, identity swaps, wrong
    labels, and adds tracks of its own."""
    frames = rng.randint(1, 12)
    spec = {"width": 60, "height": 50, "frames": frames, "labels": ["car", "person"],
            "iou_threshold": rng.choice([0.3, 0.5, 0.7])}

    def box():
        w, h = rng.uniform(4, 30), rng.uniform(4, 30)
        return (rng.uniform(0, 60 - w), rng.uniform(0, 50 - h), w, h)

    def jitter(b):
        x, y, w, h = b
        w2, h2 = max(1.0, w + rng.uniform(-3, 3)), max(1.0, h + rng.uniform(-3, 3))
        return (min(max(x + rng.uniform(-3, 3), 0.0), 60 - w2),
                min(max(y + rng.uniform(-3, 3), 0.0), 50 - h2), w2, h2)

    gold = []
    for index in range(rng.randint(0, 6)):
        start = box()
        velocity = rng.uniform(-4, 4), rng.uniform(-4, 4)
        boxes = {}
        for f in range(frames):
            if rng.random() < 0.8:
                x, y, w, h = start
                boxes[f] = (min(max(x + velocity[0] * f, 0.0), 60 - w),
                            min(max(y + velocity[1] * f, 0.0), 50 - h), w, h)
        gold.append(track(index, rng.choice(["car", "person"]), boxes))
    answer = []
    for index, gold_track in enumerate(gold):
        if rng.random() < 0.15:
            continue
        label = gold_track["label"] if rng.random() < 0.85 else rng.choice(["car", "person"])
        boxes = {int(f): jitter(tuple(b.values())) for f, b in gold_track["boxes"].items()
                 if rng.random() < 0.85}
        answer.append(track(f"a{index}", label, boxes))
    if len(answer) >= 2 and rng.random() < 0.5:  # swap identities from a frame on
        first, second = rng.sample(answer, 2)
        cut = str(rng.randrange(frames))
        for key in [str(f) for f in range(int(cut), frames)]:
            a, b = first["boxes"].pop(key, None), second["boxes"].pop(key, None)
            if b is not None:
                first["boxes"][key] = b
            if a is not None:
                second["boxes"][key] = a
    for index in range(rng.randint(0, 2)):
        answer.append(track(f"x{index}", rng.choice(["car", "person"]),
                            {f: box() for f in range(frames) if rng.random() < 0.5}))
    rng.shuffle(answer)
    return spec, gold, answer


def detections(tracks_: list, label: str | None = None) -> tuple[dict, list, list]:
    """Per frame: the track indices and the boxes (x, y, w, h) of the tracks with `label`."""
    ids: dict[int, list[int]] = {}
    boxes: dict[int, list[list[float]]] = {}
    for index, item in enumerate(tracks_):
        if label is not None and item["label"] != label:
            continue
        for key, b in item["boxes"].items():
            ids.setdefault(int(key), []).append(index)
            boxes.setdefault(int(key), []).append([b["x"], b["y"], b["w"], b["h"]])
    return ids, boxes, [item["label"] for item in tracks_]


def trackeval_hota(spec: dict, gold: list, answer: list) -> dict[str, float]:
    """TrackEval's HOTA per label, combined over labels by detections, means over alpha."""
    from trackeval.datasets._base_dataset import _BaseDataset
    from trackeval.metrics import HOTA

    metric = HOTA()
    per_label = {}
    for label in spec["labels"]:
        g_ids, g_boxes, _ = detections(gold, label)
        a_ids, a_boxes, _ = detections(answer, label)
        # TrackEval wants ids 0..n-1 of the tracks that have boxes.
        g_map = {t: i for i, t in enumerate(sorted({t for ts in g_ids.values() for t in ts}))}
        a_map = {t: i for i, t in enumerate(sorted({t for ts in a_ids.values() for t in ts}))}
        data = {"num_gt_ids": len(g_map), "num_tracker_ids": len(a_map),
                "num_gt_dets": sum(map(len, g_ids.values())),
                "num_tracker_dets": sum(map(len, a_ids.values())),
                "gt_ids": [], "tracker_ids": [], "similarity_scores": []}
        for f in range(spec["frames"]):
            g = np.array([g_map[t] for t in g_ids.get(f, [])], dtype=int)
            a = np.array([a_map[t] for t in a_ids.get(f, [])], dtype=int)
            data["gt_ids"].append(g)
            data["tracker_ids"].append(a)
            data["similarity_scores"].append(_BaseDataset._calculate_box_ious(
                np.array(g_boxes.get(f, []), dtype=float).reshape(-1, 4),
                np.array(a_boxes.get(f, []), dtype=float).reshape(-1, 4)))
        per_label[label] = metric.eval_sequence(data)
    combined = metric.combine_classes_det_averaged(per_label)
    names = {"hota": "HOTA", "deta": "DetA", "assa": "AssA", "loca": "LocA", "detre": "DetRe",
             "detpr": "DetPr", "assre": "AssRe", "asspr": "AssPr"}
    return {ours: float(np.mean(combined[theirs])) for ours, theirs in names.items()}


def motmetrics_clear(spec: dict, gold: list, answer: list) -> dict[str, float]:
    """MOTA, IDF1, switches, misses and false positives from motmetrics, with pairs of
    different labels forbidden (NaN) as in our per-label matching."""
    import motmetrics as mm

    g_ids, g_boxes, g_labels = detections(gold)
    a_ids, a_boxes, a_labels = detections(answer)
    accumulator = mm.MOTAccumulator(auto_id=False)
    for f in range(spec["frames"]):
        g, a = g_ids.get(f, []), a_ids.get(f, [])
        iou = mm.distances.boxiou(np.array(g_boxes.get(f, []), dtype=float).reshape(-1, 1, 4),
                                  np.array(a_boxes.get(f, []), dtype=float).reshape(1, -1, 4))
        distance = (1.0 - iou).reshape(len(g), len(a))
        distance[distance > 1.0 - spec["iou_threshold"]] = np.nan
        differs = np.array([[g_labels[i] != a_labels[j] for j in a] for i in g], dtype=bool)
        distance[differs.reshape(distance.shape)] = np.nan
        accumulator.update(g, a, distance, frameid=f)
    names = ["mota", "idf1", "num_switches", "num_misses", "num_false_positives"]
    summary = mm.metrics.create().compute(accumulator, metrics=names, name="clip")
    return {name: float(summary[name].iloc[0]) for name in names}


CLIPS = [random_clip(random.Random(seed)) for seed in range(300)]


@pytest.mark.parametrize("clip", range(len(CLIPS)))
def test_hota_equals_trackeval(clip):
    pytest.importorskip("trackeval")
    spec, gold, answer = CLIPS[clip]
    ours = tracks.score(spec, gold, answer).details
    if not any(t["boxes"] for t in gold + answer):
        return  # TrackEval scores an empty clip 0; we score it 1 (tested above)
    theirs = trackeval_hota(spec, gold, answer)
    for name, value in theirs.items():
        assert ours[name] == pytest.approx(value, abs=1e-9, rel=0), name


@pytest.mark.parametrize("clip", range(len(CLIPS)))
def test_clear_mot_and_idf1_equal_motmetrics(clip):
    pytest.importorskip("motmetrics")
    spec, gold, answer = CLIPS[clip]
    ours = tracks.score(spec, gold, answer).details
    with warnings.catch_warnings():  # motmetrics 1.4 on pandas 3 warns about its own code
        warnings.simplefilter("ignore")
        theirs = motmetrics_clear(spec, gold, answer)
    assert ours["id_switches"] == theirs["num_switches"]
    assert ours["missed_boxes"] == theirs["num_misses"]
    assert ours["extra_boxes"] == theirs["num_false_positives"]
    if ours["mota"] is not None:
        assert ours["mota"] == pytest.approx(theirs["mota"], abs=1e-12, rel=0)
    if ours["missed_boxes"] + ours["extra_boxes"] or ours["mota"] is not None:
        assert ours["idf1"] == pytest.approx(theirs["idf1"], abs=1e-12, rel=0)


def test_the_random_clips_cover_the_interesting_cases():
    stories = [t for spec, gold, answer in CLIPS
               for t in tracks.score(spec, gold, answer).details["tracks"]]
    assert sum(bool(t["switches"]) for t in stories) >= 20
    assert sum(bool(t["lost_at"]) for t in stories) >= 20
    assert sum(bool(t["mislabelled_as"]) for t in stories) >= 10
    assert sum(t["missed"] for t in stories) >= 20


def test_competing_boxes_over_many_frames_are_solved_in_blocks_as_trackeval():
    # 300 frames where two gold and two answer boxes all overlap: 1,200 rows plus columns
    # of competing pairs, more than one assignment table (tracks.BLOCK) holds.
    pytest.importorskip("trackeval")
    rng = random.Random(7)
    spec = {"width": 60, "height": 50, "frames": 300, "labels": ["car", "person"]}

    def near(x):
        return (x + rng.uniform(0, 4), 10 + rng.uniform(0, 4), 20, 20)

    gold = [track(i, "car", {f: near(10 + 5 * i) for f in range(300)}) for i in range(2)]
    answer = [track(i, "car", {f: near(12 + 3 * i) for f in range(300)}) for i in range(2)]
    ours = tracks.score(spec, gold, answer).details
    theirs = trackeval_hota(spec, gold, answer)
    for name, value in theirs.items():
        assert ours[name] == pytest.approx(value, abs=1e-9, rel=0), name
