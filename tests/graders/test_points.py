"""Points items: named keypoints, COCO OKS per person, persons matched one-to-one."""

from __future__ import annotations

import math

import numpy as np
import pytest

import graders
from graders import ScoringError, points
from graders.matching import assign, edges
from graders.points import COCO_SIGMAS, DEFAULT_SIGMA

SPEC = {"width": 640, "height": 480, "keypoints": ["nose", "left_elbow", "right_knee", "tail"]}
PERSON = {"keypoints": {"nose": [100, 100, 2], "left_elbow": [80, 200, 2],
                        "right_knee": [120, 330, 1]}, "area": 12_000}


def score(gold, answer, **spec):
    return graders.score("points", {**SPEC, **spec}, gold, answer)


def moved(person, dx, dy, names=None):
    """The person with the named keypoints (default: all) moved by (dx, dy)."""
    points = {name: [x + dx, y + dy, v] if names is None or name in names else [x, y, v]
              for name, (x, y, v) in person["keypoints"].items()}
    return {"keypoints": points}


def similarity(distance, sigma, area):
    """COCO's keypoint similarity written out independently."""
    return math.exp(-(distance**2) / (2 * (2 * sigma) ** 2 * (area + 2.220446049250313e-16)))


def test_a_perfect_answer_is_correct():
    result = score([PERSON], [moved(PERSON, 0, 0)])
    assert (result.points, result.correct) == (1.0, True)
    person = result.details["persons"][0]
    assert (person["gold"], person["answer"], person["oks"], person["matched"]) == (0, 0, 1.0, True)
    assert person["keypoints"]["nose"] == {
        "distance": 0.0, "similarity": 1.0, "visible_in_gold": True, "given": True
    }
    assert result.details["extra"] == [] and result.details["oks_threshold"] == 0.5


def test_oks_is_coco_s_formula_with_coco_sigmas_and_the_gold_area():
    result = score([PERSON], [moved(PERSON, 3, 4)])
    expected = [similarity(5, COCO_SIGMAS[name], 12_000)
                for name in ("nose", "left_elbow", "right_knee")]
    assert result.points == pytest.approx(sum(expected) / 3, abs=1e-12)
    nose = result.details["persons"][0]["keypoints"]["nose"]
    assert nose["distance"] == 5.0
    assert nose["similarity"] == pytest.approx(expected[0], abs=1e-12)


def test_for_one_person_points_are_its_oks_even_below_the_threshold():
    result = score([PERSON], [moved(PERSON, 30, 0)])
    person = result.details["persons"][0]
    assert person["answer"] == 0
    assert 0 < result.points == person["oks"] < 0.5
    assert not person["matched"] and not result.correct


def test_the_threshold_is_configurable():
    answer = [moved(PERSON, 30, 0)]
    oks = score([PERSON], answer).points
    assert score([PERSON], answer, oks_threshold=oks).correct
    assert not score([PERSON], answer, oks_threshold=min(1.0, oks + 1e-9)).correct


def test_a_keypoint_not_placed_scores_zero_instead_of_being_measured_from_the_origin():
    answer = {"keypoints": {"nose": [100, 100, 2], "left_elbow": [80, 200, 0]}}
    result = score([PERSON], [answer])
    keypoints = result.details["persons"][0]["keypoints"]
    assert keypoints["left_elbow"] == {
        "distance": None, "similarity": 0.0, "visible_in_gold": True, "given": False
    }
    assert keypoints["right_knee"]["given"] is False
    assert result.points == pytest.approx(1 / 3)


def test_gold_keypoints_that_are_not_labelled_do_not_count():
    gold = {"keypoints": {**PERSON["keypoints"], "tail": [0, 0, 0]}, "area": 12_000}
    answer = moved(PERSON, 0, 0)
    answer["keypoints"]["tail"] = [300, 300, 2]
    result = score([gold], [answer])
    assert result.points == 1.0
    assert result.details["persons"][0]["keypoints"]["tail"] == {
        "distance": None, "similarity": None, "visible_in_gold": False, "given": True
    }


def test_hidden_but_labelled_gold_keypoints_count():
    result = score([PERSON], [moved(PERSON, 0, 0, names={"nose", "left_elbow"})])
    assert result.details["persons"][0]["keypoints"]["right_knee"]["visible_in_gold"] is True


def test_other_names_use_the_spec_sigma_or_the_default():
    gold = [{"keypoints": {"tail": [100, 100, 2]}, "area": 5000}]
    answer = [{"keypoints": {"tail": [104, 103, 2]}}]
    assert score(gold, answer).points == pytest.approx(similarity(5, DEFAULT_SIGMA, 5000))
    custom = score(gold, answer, sigmas={"tail": 0.2})
    assert custom.points == pytest.approx(similarity(5, 0.2, 5000))
    # The spec may also override a COCO sigma.
    nose = score([{"keypoints": {"nose": [100, 100, 2]}, "area": 5000}],
                 [{"keypoints": {"nose": [104, 103, 2]}}], sigmas={"nose": 0.05})
    assert nose.points == pytest.approx(similarity(5, 0.05, 5000))


def test_without_an_area_the_gold_box_or_the_visible_keypoints_set_the_scale():
    keypoints = PERSON["keypoints"]
    answer = [moved(PERSON, 3, 4)]
    boxed = score([{"keypoints": keypoints, "box": {"x": 50, "y": 50, "w": 100, "h": 300}}],
                  answer)
    assert boxed.points == score([{"keypoints": keypoints, "area": 30_000}], answer).points
    spanned = score([{"keypoints": keypoints}], answer)  # 40 x 230 px
    assert spanned.points == score([{"keypoints": keypoints, "area": 9200}], answer).points
    both = score([{**PERSON, "box": {"x": 0, "y": 0, "w": 10, "h": 10}}], answer)
    assert both.points == score([PERSON], answer).points  # the area wins


def test_a_gold_person_needs_something_to_scale_by():
    gold = [{"keypoints": {"nose": [100, 100, 2], "tail": [100, 200, 2]}}]
    with pytest.raises(ScoringError) as error:
        graders.validate("points", SPEC, gold)
    assert str(error.value) == (
        "gold[0]: needs an area or a box for scale: its visible keypoints span no area"
    )


def test_persons_are_matched_one_to_one_whatever_their_order():
    other = {"keypoints": {"nose": [400, 100, 2], "left_elbow": [380, 200, 2]}, "area": 9000}
    result = score([PERSON, other], [moved(other, 1, 0), moved(PERSON, 0, 1)])
    assert [(p["gold"], p["answer"]) for p in result.details["persons"]] == [(0, 1), (1, 0)]
    assert result.correct


def test_a_missing_person_scores_zero_in_the_mean():
    other = {"keypoints": {"nose": [400, 100, 2]}, "area": 9000}
    result = score([PERSON, other], [moved(PERSON, 0, 0)])
    assert result.points == 0.5
    assert result.details["persons"][1] == {
        "gold": 1, "answer": None, "oks": 0.0, "matched": False,
        "keypoints": {
            "nose": {"distance": None, "similarity": 0.0, "visible_in_gold": True,
                     "given": False},
            "left_elbow": {"distance": None, "similarity": None, "visible_in_gold": False,
                           "given": False},
            "right_knee": {"distance": None, "similarity": None, "visible_in_gold": False,
                           "given": False},
            "tail": {"distance": None, "similarity": None, "visible_in_gold": False,
                     "given": False},
        },
    }
    assert not result.correct


def test_an_extra_person_makes_the_answer_incorrect_but_keeps_the_points():
    extra = {"keypoints": {"nose": [500, 400, 2]}}
    result = score([PERSON], [extra, moved(PERSON, 0, 0)])
    assert result.points == 1.0
    assert result.details["extra"] == [0]
    assert not result.correct


def test_a_duplicated_answer_person_is_an_extra():
    result = score([PERSON], [moved(PERSON, 0, 0), moved(PERSON, 0, 0)])
    assert result.details["persons"][0]["answer"] == 0
    assert result.details["extra"] == [1]


def test_the_matching_prefers_more_persons_above_the_threshold():
    # Answer 0 is exactly on gold 0 (OKS 1) but then gold 1 only gets answer 1 (OKS 0.30);
    # the other pairing gives both persons OKS 0.55 >= 0.5. Both persons counting must win,
    # although its total OKS (1.10) is below the other's (1.30).
    area = 18_491  # 2 (2 sigma)^2 area = 100 px^2 for the nose
    a = {"keypoints": {"nose": [200, 200, 2]}, "area": area}
    b = {"keypoints": {"nose": [207.73, 200, 2]}, "area": area}
    answer = [{"keypoints": {"nose": [200, 200, 2]}}, {"keypoints": {"nose": [200, 207.73, 2]}}]
    result = score([a, b], answer)
    pairs = [(p["gold"], p["answer"]) for p in result.details["persons"]]
    assert pairs == [(0, 1), (1, 0)]
    assert [p["oks"] for p in result.details["persons"]] == pytest.approx([0.55, 0.55], abs=1e-3)
    assert result.correct


def test_empty_gold_and_empty_answer_is_perfect():
    result = score([], [])
    assert (result.points, result.correct) == (1.0, True)
    assert result.details == {"persons": [], "extra": [], "oks_threshold": 0.5}


def test_empty_gold_with_persons_in_the_answer_scores_zero():
    result = score([], [moved(PERSON, 0, 0)])
    assert (result.points, result.correct, result.details["extra"]) == (0.0, False, [0])


def test_an_empty_answer_scores_zero():
    result = score([PERSON], [])
    assert (result.points, result.correct) == (0.0, False)
    assert result.details["persons"][0]["answer"] is None


@pytest.mark.parametrize(
    ("person", "message"),
    [
        ({"keypoints": {"nose": [1, 2]}}, "answer[0].keypoints.nose: must be a list [x, y, v] "
                                          "of 3 numbers, got 2 elements"),
        ({"keypoints": {"nose": {"x": 1}}}, "answer[0].keypoints.nose: must be a list "
                                            "[x, y, v], got object"),
        ({"keypoints": {"nose": [1, 2, 3]}}, "answer[0].keypoints.nose[2]: visibility must be "
                                             "0, 1 or 2, got 3"),
        ({"keypoints": {"nose": [1, 2, True]}}, "answer[0].keypoints.nose[2]: visibility must "
                                                "be 0, 1 or 2, got True"),
        ({"keypoints": {"nose": [float("nan"), 2, 2]}},
         "answer[0].keypoints.nose[0]: must be a finite number, got nan"),
        ({"keypoints": {"nose": [700, 2, 2]}},
         "answer[0].keypoints.nose[0]: outside the image: x = 700 is not within 0..640"),
        ({"keypoints": {"nose": [5, -3, 1]}},
         "answer[0].keypoints.nose[1]: outside the image: y = -3 is not within 0..480"),
        ({"keypoints": {"Nose": [5, 5, 2]}}, "answer[0].keypoints.Nose: unknown keypoint 'Nose' "
                                             "(allowed: 'nose', 'left_elbow', 'right_knee', "
                                             "'tail')"),
        ({"keypoints": {"nose": [5, 5, 0]}},
         "answer[0].keypoints: needs at least one placed keypoint (v > 0)"),
        ({"keypoints": {}}, "answer[0].keypoints: needs at least one placed keypoint (v > 0)"),
        ({"keypoints": [[5, 5, 2]]}, "answer[0].keypoints: must be an object, got list"),
        ({"points": {}}, "answer[0].points: unknown key (allowed: keypoints, area, box)"),
        ({"keypoints": {"nose": [5, 5, 2]}, "area": 0},
         "answer[0].area: must be greater than 0 and at most the image area 307200 px², got 0"),
        ({"keypoints": {"nose": [5, 5, 2]}, "area": 1e9},
         "answer[0].area: must be greater than 0 and at most the image area 307200 px², "
         "got 1000000000.0"),
        ({"keypoints": {"nose": [5, 5, 2]}, "box": {"x": 0, "y": 0, "w": 0, "h": 5}},
         "answer[0].box.w: must be a positive number, got 0.0"),
        ({"keypoints": {"nose": [5, 5, 2]}, "box": {"x": 0, "y": 0, "w": 700, "h": 5}},
         "answer[0].box.w: outside the image: x + w = 700 is not within 0..640"),
    ],
)
def test_bad_persons_are_refused(person, message):
    with pytest.raises(ScoringError) as error:
        score([PERSON], [person])
    assert str(error.value) == message


def test_unplaced_points_may_lie_anywhere():
    answer = moved(PERSON, 0, 0)
    answer["keypoints"]["tail"] = [-1, -1, 0]
    assert score([PERSON], [answer]).correct


def test_a_gold_person_needs_a_visible_keypoint():
    with pytest.raises(ScoringError) as error:
        graders.validate("points", SPEC, [PERSON, {"keypoints": {"nose": [0, 0, 0]}}])
    assert str(error.value) == "gold[1].keypoints: needs at least one visible keypoint (v > 0)"


def test_too_many_persons_are_refused():
    with pytest.raises(ScoringError) as error:
        score([PERSON], [moved(PERSON, 0, 0)] * 101)
    assert str(error.value) == "answer: too many elements: 101 > 100"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({**SPEC, "keypoints": []}, "spec.keypoints: needs at least 1 element"),
        ({**SPEC, "keypoints": ["nose", "nose"]},
         "spec.keypoints[1]: duplicate of spec.keypoints[0] 'nose'"),
        ({**SPEC, "sigmas": {"wing": 0.1}},
         "spec.sigmas.wing: unknown keypoint 'wing' (allowed: 'nose', 'left_elbow', "
         "'right_knee', 'tail')"),
        ({**SPEC, "sigmas": {"tail": 0}},
         "spec.sigmas.tail: must be a number greater than 0 and at most 1, got 0"),
        ({**SPEC, "sigmas": [0.1]}, "spec.sigmas: must be an object, got list"),
        ({**SPEC, "oks_threshold": 2}, "spec.oks_threshold: must be a number greater than 0 and "
                                       "at most 1, got 2"),
        ({**SPEC, "labels": ["person"]},
         "spec.labels: unknown key (allowed: width, height, keypoints, sigmas, oks_threshold)"),
        ({**SPEC, "width": 200_000}, "spec.width: must be an integer from 1 to 100000, got 200000"),
    ],
)
def test_bad_specs_are_refused(spec, message):
    with pytest.raises(ScoringError) as error:
        graders.validate("points", spec, [])
    assert str(error.value) == message


def test_decided_pairs_are_what_the_solver_picks():
    """Random OKS matrices, many with ties at the threshold and zeros: whenever decided_pairs
    answers, its answer is the Hungarian assignment's."""
    rng = np.random.default_rng(7)
    decided = 0
    for _ in range(3000):
        shape = tuple(rng.integers(0, 7, size=2))
        oks = rng.choice([0.0, 0.2, 0.5, 0.7, 1.0], size=shape) * (rng.random(shape) < 0.7)
        oks = np.where(rng.random(shape) < 0.5, rng.random(shape), oks)
        pairs = points.decided_pairs(oks, 0.5)
        if pairs is not None:
            decided += 1
            assert pairs == assign(edges(oks, oks > 0), prefer_at=0.5)
    assert decided > 300


def test_specs_are_cached_only_when_they_check_the_same():
    first = points.parse_spec({**SPEC, "oks_threshold": 1})
    assert points.parse_spec({**SPEC, "oks_threshold": 1}) is first
    assert points.parse_spec({**SPEC, "oks_threshold": 1.0}) is not first
    with pytest.raises(ScoringError, match="must be a number, got boolean"):
        points.parse_spec({**SPEC, "oks_threshold": True})
    with pytest.raises(ValueError, match="read-only"):
        first.sigmas[0] = 1.0
    with pytest.raises(TypeError):
        first.index["nose"] = 3  # type: ignore[index]
