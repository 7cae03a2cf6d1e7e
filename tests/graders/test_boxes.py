"""Boxes items: per-label Hungarian matching at IoU >= threshold, points = F1, label errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import graders
from graders import ScoringError

SPEC = {"width": 640, "height": 480, "labels": ["car", "pedestrian", "cyclist"]}


def box(label, x, y, w, h):
    return {"label": label, "x": x, "y": y, "w": w, "h": h}


def score(gold, answer, **spec):
    return graders.score("boxes", {**SPEC, **spec}, gold, answer)


GOLD = [box("car", 10, 10, 100, 50), box("pedestrian", 300, 200, 40, 80),
        box("cyclist", 500, 100, 60, 60)]


def test_a_perfect_answer_is_correct_in_any_order():
    result = score(GOLD, list(reversed(GOLD)))
    assert (result.points, result.correct) == (1.0, True)
    assert result.details == {
        "matched": [
            {"gold": 0, "answer": 2, "label": "car", "iou": 1.0},
            {"gold": 1, "answer": 1, "label": "pedestrian", "iou": 1.0},
            {"gold": 2, "answer": 0, "label": "cyclist", "iou": 1.0},
        ],
        "mislabelled": [], "missed": [], "extra": [], "warnings": [],
        "precision": 1.0, "recall": 1.0, "f1": 1.0, "iou_threshold": 0.5,
    }


def test_loose_but_matching_boxes_are_correct_with_a_warning():
    # 100 x 62 inside 100 x 100: IoU 0.62.
    result = score([box("car", 0, 0, 100, 100)], [box("car", 0, 0, 100, 62)])
    assert (result.points, result.correct) == (1.0, True)
    assert result.details["warnings"] == [
        {"gold": 0, "answer": 0, "iou": 0.62, "message": "loose box: IoU 0.62 < 0.8"}
    ]


def test_a_warning_never_rounds_up_to_the_limit():
    # 100 x 79.9 inside 100 x 100: IoU 0.799.
    result = score([box("car", 0, 0, 100, 100)], [box("car", 0, 0, 100, 79.9)])
    assert result.details["warnings"][0]["message"] == "loose box: IoU 0.79 < 0.8"
    assert score([box("car", 0, 0, 100, 100)], [box("car", 0, 0, 100, 80)]).details[
        "warnings"] == []


def test_the_threshold_is_inclusive_and_configurable():
    gold, answer = [box("car", 0, 0, 10, 10)], [box("car", 0, 0, 20, 10)]  # IoU exactly 0.5
    assert score(gold, answer).details["matched"][0]["iou"] == 0.5
    strict = score(gold, answer, iou_threshold=0.75)
    assert (strict.points, strict.correct) == (0.0, False)
    assert (strict.details["missed"], strict.details["extra"]) == ([0], [0])
    assert strict.details["iou_threshold"] == 0.75


def test_a_right_box_with_the_wrong_label_is_a_label_error():
    answer = [GOLD[0], box("car", 300, 200, 40, 80), GOLD[2]]
    result = score(GOLD, answer)
    assert result.details["mislabelled"] == [
        {"gold": 1, "answer": 1, "gold_label": "pedestrian", "answer_label": "car", "iou": 1.0}
    ]
    assert (result.details["missed"], result.details["extra"]) == ([], [])
    # A label error is neither a hit nor forgiven: F1 counts it like a miss plus an extra.
    assert result.points == pytest.approx(2 * 2 / 6)
    assert not result.correct
    assert (result.details["precision"], result.details["recall"]) == (2 / 3, 2 / 3)


def test_the_right_label_wins_over_a_closer_box_with_the_wrong_label():
    gold = [box("car", 0, 0, 100, 100)]
    answer = [box("pedestrian", 0, 0, 100, 100), box("car", 0, 0, 100, 70)]
    result = score(gold, answer)
    assert [(m["gold"], m["answer"]) for m in result.details["matched"]] == [(0, 1)]
    assert result.details["mislabelled"] == []
    assert result.details["extra"] == [0]


def test_misses_and_extras_are_listed():
    answer = [GOLD[2], box("car", 400, 400, 30, 30)]
    result = score(GOLD, answer)
    assert result.details["matched"] == [
        {"gold": 2, "answer": 0, "label": "cyclist", "iou": 1.0}
    ]
    assert (result.details["missed"], result.details["extra"]) == ([0, 1], [1])
    assert result.points == pytest.approx(2 * 1 / 5)
    assert result.details["precision"] == 0.5
    assert result.details["recall"] == pytest.approx(1 / 3)


def test_empty_gold_and_empty_answer_is_perfect():
    result = score([], [])
    assert (result.points, result.correct) == (1.0, True)
    assert result.details["precision"] == result.details["recall"] == result.details["f1"] == 1.0


def test_empty_gold_with_boxes_in_the_answer_scores_zero():
    result = score([], GOLD[:2])
    assert (result.points, result.correct) == (0.0, False)
    assert result.details["extra"] == [0, 1]
    assert (result.details["precision"], result.details["recall"]) == (0.0, 1.0)


def test_an_empty_answer_misses_everything():
    result = score(GOLD, [])
    assert (result.points, result.correct) == (0.0, False)
    assert result.details["missed"] == [0, 1, 2]
    assert (result.details["precision"], result.details["recall"]) == (1.0, 0.0)


def test_a_duplicated_answer_box_is_one_match_and_one_extra():
    result = score(GOLD[:1], [GOLD[0], GOLD[0]])
    assert [(m["gold"], m["answer"]) for m in result.details["matched"]] == [(0, 0)]
    assert result.details["extra"] == [1]
    assert result.points == pytest.approx(2 / 3)
    assert not result.correct


def test_duplicated_gold_boxes_are_refused():
    with pytest.raises(ScoringError) as error:
        graders.validate("boxes", SPEC, [GOLD[0], GOLD[1], dict(GOLD[0])])
    assert str(error.value) == "gold[2]: duplicate of gold[0]"
    # The same place with another label is not a duplicate (and int 10 equals float 10.0).
    graders.validate("boxes", SPEC, [GOLD[0], box("pedestrian", 10.0, 10, 100, 50)])


def test_overlapping_gold_boxes_are_matched_one_to_one():
    gold = [box("pedestrian", 100, 100, 40, 100), box("pedestrian", 110, 100, 40, 100)]
    answer = [box("pedestrian", 111, 100, 40, 100), box("pedestrian", 99, 100, 40, 100)]
    result = score(gold, answer)
    assert [(m["gold"], m["answer"]) for m in result.details["matched"]] == [(0, 1), (1, 0)]
    assert result.correct


def test_the_matching_pairs_as_many_boxes_as_possible_before_maximising_iou():
    # Answer 0 fits gold 0 best (IoU 0.96), but taking that pair would leave gold 1 and answer 1
    # unmatched; pairing gold 0 with answer 1 (0.35) and gold 1 with answer 0 (0.35) matches
    # both, which is what a fair grader does (maximising total IoU alone would not).
    gold = [box("car", 0, 0, 100, 100), box("car", 50, 0, 100, 100)]
    answer = [box("car", 2, 0, 100, 100), box("car", 0, 0, 35, 100)]
    result = score(gold, answer, iou_threshold=0.3)
    pairs = [(m["gold"], m["answer"]) for m in result.details["matched"]]
    assert pairs == [(0, 1), (1, 0)]
    assert result.correct


def test_ties_are_broken_the_same_way_every_time():
    # Two identical answer boxes for one gold box, and two gold boxes tied on one answer box.
    gold = [box("car", 0, 0, 50, 50), box("car", 0, 60, 50, 50), box("car", 200, 0, 50, 50)]
    answer = [box("car", 0, 30, 50, 50), box("car", 200, 0, 50, 50), box("car", 200, 0, 50, 50)]
    first = score(gold, answer)
    for _ in range(20):
        assert score(copy.deepcopy(gold), copy.deepcopy(answer)) == first
    # In these simple ties the lower index wins.
    pairs = [(m["gold"], m["answer"]) for m in first.details["matched"]]
    assert pairs == [(2, 1)]
    assert (first.details["missed"], first.details["extra"]) == ([0, 1], [0, 2])


def test_touching_boxes_do_not_overlap():
    result = score([box("car", 0, 0, 10, 10)], [box("car", 10, 0, 10, 10)], iou_threshold=0.01)
    assert result.details["extra"] == [0]


def test_half_a_pixel_outside_the_image_is_tolerated():
    edge = [box("car", -0.5, -0.5, 641, 481)]
    assert score(edge, edge).correct


@pytest.mark.parametrize(
    ("answer_box", "message"),
    [
        (box("car", 0, 0, -3, 10), "answer[0].w: must be a positive number, got -3"),
        (box("car", 0, 0, 10, 0), "answer[0].h: must be a positive number, got 0"),
        (box("car", float("nan"), 0, 10, 10), "answer[0].x: must be a finite number, got nan"),
        (box("car", 0, float("inf"), 10, 10), "answer[0].y: must be a finite number, got inf"),
        (box("car", True, 0, 10, 10), "answer[0].x: must be a number, got boolean"),
        (box("car", "5", 0, 10, 10), "answer[0].x: must be a number, got string"),
        (box("car", None, 0, 10, 10), "answer[0].x: must be a number, got null"),
        (box("car", 10**400, 0, 10, 10),
         "answer[0].x: must be a number of sensible size, got 1" + "0" * 36 + "..."),
        (box("car", -1, 0, 10, 10), "answer[0].x: outside the image: x = -1 is not within 0..640"),
        (box("car", 0, 481, 10, 10),
         "answer[0].y: outside the image: y = 481 is not within 0..480"),
        (box("car", 600, 0, 41, 10), "answer[0].w: past the right edge: x + w = 641 > width 640"),
        (box("car", 0, 400, 10, 1e9),
         "answer[0].h: past the bottom edge: y + h = 1e+09 > height 480"),
        (box("bus", 0, 0, 10, 10),
         "answer[0].label: unknown label 'bus' (allowed: 'car', 'pedestrian', 'cyclist')"),
        (box(7, 0, 0, 10, 10), "answer[0].label: must be a string, got integer"),
        ({**box("car", 0, 0, 10, 10), "score": 0.9},
         "answer[0].score: unknown key (allowed: label, x, y, w, h)"),
        ({"label": "car", "x": 0, "y": 0, "w": 10}, "answer[0].h: is required"),
        ({"label": "car", "x": 0, "y": 0, "w": 10, "height": 10},
         "answer[0].height: unknown key (allowed: label, x, y, w, h)"),
        (box("car", 10**400, 0, 10.5, 10),
         "answer[0].x: must be a number of sensible size, got 1" + "0" * 36 + "..."),
        ([0, 0, 10, 10], "answer[0]: must be an object, got list"),
    ],
)
def test_bad_boxes_are_refused_with_a_precise_path(answer_box, message):
    with pytest.raises(ScoringError) as error:
        score(GOLD, [answer_box])
    assert str(error.value) == message


def test_the_path_points_at_the_bad_box_in_a_list():
    with pytest.raises(ScoringError) as error:
        score(GOLD, [*GOLD, box("car", 0, 0, 10, -1)])
    assert error.value.path == "answer[3].h"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"boxes": []}, "answer: must be a list, got object"),
        (None, "answer: must be a list, got null"),
        ([box("car", 0, 0, 1, 1)] * 1001, "answer: too many elements: 1001 > 1000"),
    ],
)
def test_bad_answer_lists_are_refused(answer, message):
    with pytest.raises(ScoringError) as error:
        score(GOLD, answer)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({**SPEC, "width": 0}, "spec.width: must be an integer from 1 to 100000, got 0"),
        ({**SPEC, "height": 100_001},
         "spec.height: must be an integer from 1 to 100000, got 100001"),
        ({**SPEC, "width": 640.0}, "spec.width: must be an integer, got number"),
        ({**SPEC, "labels": []}, "spec.labels: needs at least 1 element"),
        ({**SPEC, "labels": ["car", "car"]}, "spec.labels[1]: duplicate of spec.labels[0] 'car'"),
        ({**SPEC, "iou_threshold": 0},
         "spec.iou_threshold: must be a number greater than 0 and at most 1, got 0"),
        ({**SPEC, "iou_threshold": 1.5},
         "spec.iou_threshold: must be a number greater than 0 and at most 1, got 1.5"),
        ({**SPEC, "iou_threshold": float("nan")},
         "spec.iou_threshold: must be a finite number, got nan"),
        ({**SPEC, "iou_treshold": 0.7},
         "spec.iou_treshold: unknown key (allowed: width, height, labels, iou_threshold)"),
        ({"width": 640, "labels": ["car"]}, "spec.height: is required"),
    ],
)
def test_bad_specs_are_refused(spec, message):
    with pytest.raises(ScoringError) as error:
        graders.validate("boxes", spec, [])
    assert str(error.value) == message


def test_a_threshold_of_one_needs_exact_boxes():
    assert score(GOLD, GOLD, iou_threshold=1).correct
    nudged = [dict(GOLD[0], x=10.5), *GOLD[1:]]
    assert not score(GOLD, nudged, iou_threshold=1).correct


def test_numpy_numbers_are_accepted_like_python_floats():
    as_numpy = [{key: np.float64(v) if key != "label" else v for key, v in b.items()}
                for b in GOLD]
    assert score(GOLD, as_numpy) == score(GOLD, GOLD)


def test_inputs_are_not_modified():
    gold, answer = copy.deepcopy(GOLD), copy.deepcopy(GOLD[::-1])
    score(gold, answer)
    assert (gold, answer) == (GOLD, GOLD[::-1])
