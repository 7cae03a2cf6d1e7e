"""Cuboids: 3D IoU of yaw-rotated boxes against convex-polytope volumes, matching, F1, checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.spatial import ConvexHull, HalfspaceIntersection

from graders import ScoringError, cuboids
from graders.cuboids import cuboid_iou

SPEC = {"labels": ["car", "motorcycle", "pedestrian"],
        "range": {"x": [-50, 50], "y": [-50, 50], "z": [-3, 5]}}


def cuboid(label="car", x=0.0, y=0.0, z=0.0, l=4.0, w=2.0, h=1.5, yaw=0.0):  # noqa: E741
    return {"label": label, "x": x, "y": y, "z": z, "l": l, "w": w, "h": h, "yaw": yaw}


def score(gold, answer, **spec):
    return cuboids.score({**SPEC, **spec}, gold, answer)


def row(box):
    return [box[key] for key in cuboids.FIELDS]


def ours(a, b):
    """(3D IoU, BEV IoU) of two cuboid dicts by the grader's kernel."""
    iou, bev = cuboid_iou(np.array([row(a)], dtype=float), np.array([row(b)], dtype=float))
    return float(iou[0, 0]), float(bev[0, 0])


# --- the independent computation: the intersection of two convex polytopes -----------------


def halfspaces(box, origin, scale):
    """The six faces of a cuboid as rows [normal, offset] with normal . p + offset <= 0."""
    centre = (np.array([box["x"], box["y"], box["z"]]) - origin) / scale
    cos, sin = math.cos(box["yaw"]), math.sin(box["yaw"])
    axes = [(np.array([cos, sin, 0.0]), box["l"]), (np.array([-sin, cos, 0.0]), box["w"]),
            (np.array([0.0, 0.0, 1.0]), box["h"])]
    rows = []
    for normal, size in axes:
        for sign in (1.0, -1.0):
            rows.append([*(sign * normal), -(sign * normal @ centre) - size / 2 / scale])
    return np.array(rows)


def polytope_volume(spaces):
    """Volume of {p: A p + b <= 0}, 0 when it has no interior (Chebyshev centre via LP)."""
    norms = np.linalg.norm(spaces[:, :3], axis=1)
    result = linprog([0, 0, 0, -1], A_ub=np.column_stack((spaces[:, :3], norms)),
                     b_ub=-spaces[:, 3], bounds=[(None, None)] * 3 + [(0, None)])
    if result.status == 2:  # infeasible: the polytopes are disjoint
        return 0.0
    assert result.success, result.message
    if result.x[3] < 1e-9:  # touching only: no interior
        return 0.0
    vertices = HalfspaceIntersection(spaces, result.x[:3]).intersections
    return ConvexHull(vertices).volume


def reference_iou(a, b):
    """3D IoU from polytope volumes, in coordinates scaled to the first box's size."""
    origin = np.array([a["x"], a["y"], a["z"]])
    scale = max(a["l"], a["w"], a["h"])
    inter = polytope_volume(np.vstack((halfspaces(a, origin, scale),
                                       halfspaces(b, origin, scale)))) * scale**3
    union = a["l"] * a["w"] * a["h"] + b["l"] * b["w"] * b["h"] - inter
    return inter / union


EDGE_CASES = {
    "identical": (cuboid(yaw=0.4), cuboid(yaw=0.4)),
    "touching side faces": (cuboid(), cuboid(x=4.0)),
    "touching rotated faces": (cuboid(yaw=0.7), cuboid(x=4 * math.cos(0.7),
                                                        y=4 * math.sin(0.7), yaw=0.7)),
    "stacked on top": (cuboid(), cuboid(z=1.5)),
    "no vertical overlap": (cuboid(), cuboid(z=2.0)),
    "nested": (cuboid(l=4, w=2, h=1.5), cuboid(x=0.5, l=2, w=1, h=1, yaw=0.3)),
    "yaw 90 degrees": (cuboid(), cuboid(yaw=math.pi / 2)),
    "yaw 180 degrees": (cuboid(), cuboid(yaw=math.pi)),
    "yaw 45 degrees": (cuboid(), cuboid(yaw=math.pi / 4)),
    "square yaw 90 degrees": (cuboid(l=2, w=2), cuboid(l=2, w=2, yaw=math.pi / 2)),
    "tiny": (cuboid(l=1e-3, w=5e-4, h=2e-3), cuboid(x=2e-4, l=1e-3, w=5e-4, h=2e-3, yaw=0.2)),
    "tiny in big": (cuboid(), cuboid(x=1.0, l=0.01, w=0.01, h=0.01, yaw=1.0)),
    "corner to corner": (cuboid(l=2, w=2), cuboid(x=2, y=2, l=2, w=2)),
    "cross": (cuboid(l=6, w=1), cuboid(l=6, w=1, yaw=math.pi / 2)),
    "far apart": (cuboid(), cuboid(x=30)),
}


@pytest.mark.parametrize("a, b", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_edge_cases_agree_with_polytope_volumes(a, b):
    assert ours(a, b)[0] == pytest.approx(reference_iou(a, b), abs=1e-9)
    assert ours(b, a)[0] == pytest.approx(reference_iou(a, b), abs=1e-9)


@pytest.mark.parametrize("name, expected", [
    ("identical", 1.0), ("touching side faces", 0.0), ("stacked on top", 0.0),
    ("no vertical overlap", 0.0), ("yaw 180 degrees", 1.0), ("square yaw 90 degrees", 1.0),
    ("yaw 90 degrees", 4 / 12), ("nested", 2 / 12), ("cross", 6 / 66), ("far apart", 0.0),
])
def test_edge_cases_by_hand(name, expected):
    assert ours(*EDGE_CASES[name])[0] == pytest.approx(expected, abs=1e-12)


def test_bev_iou_ignores_height():
    bev_only = ours(cuboid(h=1), cuboid(h=2))
    assert bev_only == pytest.approx((0.5, 1.0), abs=1e-12)


def random_cuboid(rng, spread):
    return cuboid(x=rng.uniform(-spread, spread), y=rng.uniform(-spread, spread),
                  z=rng.uniform(-spread, spread) / 2, l=rng.uniform(0.3, 5),
                  w=rng.uniform(0.3, 3), h=rng.uniform(0.3, 3),
                  yaw=rng.uniform(-math.pi, math.pi))


def test_random_pairs_agree_with_polytope_volumes():
    rng = np.random.default_rng(15)
    overlapping = 0
    for _ in range(400):
        a, b = random_cuboid(rng, 2.0), random_cuboid(rng, 2.0)
        expected = reference_iou(a, b)
        overlapping += expected > 0
        assert ours(a, b)[0] == pytest.approx(expected, abs=1e-9), (a, b)
    assert overlapping > 200  # the sample exercises real intersections


def test_matrices_agree_with_pairwise_values():
    rng = np.random.default_rng(7)
    gold = [random_cuboid(rng, 3.0) for _ in range(6)]
    answer = [random_cuboid(rng, 3.0) for _ in range(5)]
    iou, _ = cuboid_iou(np.array([row(b) for b in gold]), np.array([row(b) for b in answer]))
    expected = [[reference_iou(g, a) for a in answer] for g in gold]
    np.testing.assert_allclose(iou, expected, atol=1e-9, rtol=0)


def test_many_overlapping_pairs_are_computed_in_chunks(monkeypatch):
    monkeypatch.setattr(cuboids, "CHUNK_PAIRS", 3)
    rng = np.random.default_rng(3)
    boxes = np.array([row(random_cuboid(rng, 1.0)) for _ in range(4)])
    chunked = cuboid_iou(boxes, boxes[::-1])[0]
    monkeypatch.undo()
    np.testing.assert_array_equal(chunked, cuboid_iou(boxes, boxes[::-1])[0])


SIZES = st.floats(0.05, 20.0)
CUBOIDS = st.builds(cuboid, x=st.floats(-3, 3), y=st.floats(-3, 3), z=st.floats(-2, 2),
                    l=SIZES, w=SIZES, h=SIZES, yaw=st.floats(-math.pi, math.pi))


@settings(max_examples=300, deadline=None)
@given(a=CUBOIDS, b=CUBOIDS)
def test_iou_is_symmetric_and_a_fraction(a, b):
    forward, backward = ours(a, b), ours(b, a)
    assert forward == pytest.approx(backward, abs=1e-12)
    assert all(0.0 <= value <= 1.0 for value in (*forward, *backward))


@settings(max_examples=100, deadline=None)
@given(a=CUBOIDS)
def test_iou_of_a_cuboid_with_itself_is_one(a):
    assert ours(a, a) == (1.0, 1.0)
    assert ours(a, {**a, "yaw": a["yaw"] + math.pi}) == pytest.approx((1.0, 1.0), abs=1e-12)


# --- scoring: matching, F1, details -------------------------------------------------------

GOLD = [cuboid("car"), cuboid("motorcycle", x=10, l=2.2, w=0.8, h=1.4, yaw=1.0),
        cuboid("pedestrian", x=-10, y=5, l=0.6, w=0.6, h=1.8)]


def test_a_perfect_answer_is_correct_in_any_order():
    result = score(GOLD, list(reversed(GOLD)))
    assert (result.points, result.correct) == (1.0, True)
    assert [(m["gold"], m["answer"], m["label"]) for m in result.details["matched"]] == [
        (0, 2, "car"), (1, 1, "motorcycle"), (2, 0, "pedestrian")]
    assert result.details["matched"][0] == {
        "gold": 0, "answer": 2, "label": "car", "iou": 1.0, "bev_iou": 1.0,
        "centre_distance": 0.0, "heading_error": 0.0}
    assert (result.details["missed"], result.details["extra"]) == ([], [])
    assert result.details["warnings"] == []
    assert result.details["f1"] == 1.0 and result.details["iou_threshold"] == 0.5


def test_details_measure_shift_and_heading():
    answer = [cuboid("motorcycle", x=10.3, y=0.4, l=2.2, w=0.8, h=1.4, yaw=1.0 + math.radians(10))]
    pair = score(GOLD[1:2], answer).details["matched"][0]
    assert pair["centre_distance"] == pytest.approx(0.5)
    assert pair["heading_error"] == pytest.approx(10.0)
    assert pair["iou"] == pytest.approx(reference_iou(GOLD[1], answer[0]), abs=1e-9)
    assert pair["bev_iou"] == pytest.approx(pair["iou"], abs=1e-12)  # same heights


@pytest.mark.parametrize("turn, expected", [(math.pi, 180.0), (-math.radians(40), 40.0),
                                            (math.radians(350), 10.0), (4 * math.pi, 0.0)])
def test_heading_error_is_the_smaller_angle_over_a_full_turn(turn, expected):
    answer = [cuboid(l=2, w=2, yaw=turn)]
    pair = score([cuboid(l=2, w=2)], answer).details["matched"][0]
    assert pair["heading_error"] == pytest.approx(expected, abs=1e-9)


def test_a_box_pointing_backwards_matches_with_a_warning():
    result = score([GOLD[1]], [{**GOLD[1], "yaw": 1.0 - math.pi}])
    assert (result.points, result.correct) == (1.0, True)
    assert result.details["warnings"] == [
        {"gold": 0, "answer": 0, "heading_error": pytest.approx(180.0),
         "message": "turned box: heading 180° off"}]


def test_loose_boxes_get_a_warning():
    result = score([cuboid(l=4)], [cuboid(x=0.5, l=3)])  # 3 / 4 of the gold
    assert result.correct
    assert result.details["warnings"] == [
        {"gold": 0, "answer": 0, "iou": 0.75, "message": "loose box: IoU 0.75 < 0.8"}]


def test_the_threshold_is_inclusive_and_configurable():
    gold, answer = [cuboid(l=4)], [cuboid(x=1, l=2)]  # IoU exactly 0.5
    assert score(gold, answer).details["matched"][0]["iou"] == 0.5
    strict = score(gold, answer, iou_threshold=0.7)
    assert (strict.points, strict.correct) == (0.0, False)
    assert (strict.details["missed"], strict.details["extra"]) == ([0], [0])


def test_a_threshold_of_one_accepts_an_exact_copy():
    turned = cuboid(x=1.1, y=-2.3, z=0.7, l=3.3, w=1.7, h=1.9, yaw=2.9)
    assert score([turned], [turned], iou_threshold=1).correct


def test_a_right_box_with_the_wrong_label_is_a_label_error():
    answer = [GOLD[0], {**GOLD[1], "label": "pedestrian"}, GOLD[2]]
    result = score(GOLD, answer)
    [pair] = result.details["mislabelled"]
    assert (pair["gold"], pair["answer"], pair["gold_label"], pair["answer_label"]) == (
        1, 1, "motorcycle", "pedestrian")
    assert pair["iou"] == 1.0 and pair["heading_error"] == 0.0
    assert result.points == pytest.approx(2 * 2 / 6)
    assert not result.correct


def test_matching_is_one_to_one_and_favours_the_most_pairs():
    gold = [cuboid(x=0), cuboid(x=1.5)]
    answer = [cuboid(x=0.75), cuboid(x=2.0)]  # the first answer fits both golds
    result = score(gold, answer, iou_threshold=0.4)
    assert [(m["gold"], m["answer"]) for m in result.details["matched"]] == [(0, 0), (1, 1)]
    assert result.correct


def test_misses_and_extras_are_listed():
    answer = [GOLD[2], cuboid("car", x=30, y=30)]
    result = score(GOLD, answer)
    assert [(m["gold"], m["answer"]) for m in result.details["matched"]] == [(2, 0)]
    assert (result.details["missed"], result.details["extra"]) == ([0, 1], [1])
    assert result.points == pytest.approx(2 * 1 / 5)


@pytest.mark.parametrize("gold, answer, points", [([], [], 1.0), ([], GOLD, 0.0),
                                                  (GOLD, [], 0.0)])
def test_empty_sides(gold, answer, points):
    result = score(gold, answer)
    assert (result.points, result.correct) == (points, points == 1.0)


def test_equal_yaws_a_turn_apart_are_one_gold_duplicate():
    with pytest.raises(ScoringError, match=r"^gold\[1\]: duplicate of gold\[0\]$"):
        score([cuboid(yaw=0.5), cuboid(yaw=0.5 + 2 * math.pi)], [])
    assert len(score([], [cuboid(), cuboid()]).details["extra"]) == 2


@pytest.mark.parametrize("yaw, normal", [(math.pi, math.pi), (-math.pi, math.pi),
                                         (3 * math.pi / 2, -math.pi / 2), (7.0, 7.0 - math.tau),
                                         (0, 0.0), (-5 * math.pi, math.pi), (1e17, None)])
def test_yaw_is_normalised_into_minus_pi_exclusive_to_pi(yaw, normal):
    checked = cuboids.parse(cuboids.parse_spec(SPEC), [cuboid(yaw=yaw)], "answer")
    normal = math.remainder(yaw, math.tau) if normal is None else normal
    assert checked.array[0, 6] == pytest.approx(normal, abs=1e-15)
    assert -math.pi < checked.array[0, 6] <= math.pi


def test_the_scores_details_are_plain_json():
    import json

    result = score(GOLD, [GOLD[0], {**GOLD[1], "x": 10.2, "yaw": 1.5}, cuboid(x=40)])
    assert json.loads(json.dumps(result.details, allow_nan=False)) == result.details


# --- validation: every refusal names its path ---------------------------------------------


@pytest.mark.parametrize("spec, message", [
    ([], "spec: must be an object, got list"),
    ({"labels": ["car"]}, "spec.range: is required"),
    ({**SPEC, "iou_treshold": 0.5}, "spec.iou_treshold: unknown key"),
    ({**SPEC, "labels": []}, "spec.labels: needs at least 1 element"),
    ({**SPEC, "labels": ["car", "car"]}, "spec.labels[1]: duplicate of spec.labels[0]"),
    ({**SPEC, "iou_threshold": 0}, "spec.iou_threshold: must be a number greater than 0"),
    ({**SPEC, "iou_threshold": math.nan}, "spec.iou_threshold: must be a finite number"),
    ({**SPEC, "range": {"x": [0, 1], "y": [0, 1]}}, "spec.range.z: is required"),
    ({**SPEC, "range": {**SPEC["range"], "x": [0]}}, "spec.range.x: needs at least 2 elements"),
    ({**SPEC, "range": {**SPEC["range"], "x": [0, 1, 2]}}, "spec.range.x: too many elements"),
    ({**SPEC, "range": {**SPEC["range"], "y": [5, 5]}}, "spec.range.y: min must be below max"),
    ({**SPEC, "range": {**SPEC["range"], "z": [0, math.inf]}},
     "spec.range.z[1]: must be a finite number"),
    ({**SPEC, "range": {**SPEC["range"], "x": ["0", 1]}}, "spec.range.x[0]: must be a number"),
    ({**SPEC, "range": {**SPEC["range"], "x": [-1e5, 1]}},
     "spec.range.x[0]: must be within 10000 m of the sensor"),
])
def test_bad_specs_are_refused_with_their_path(spec, message):
    with pytest.raises(ScoringError) as caught:
        cuboids.score(spec, [], [])
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("box, message", [
    ([1, 2], "answer[2]: must be an object, got list"),
    ({**cuboid(), "r": 1}, "answer[2].r: unknown key"),
    ({k: v for k, v in cuboid().items() if k != "yaw"}, "answer[2].yaw: is required"),
    (cuboid(label="bus"), "answer[2].label: unknown label 'bus'"),
    (cuboid(label=None), "answer[2].label: must be a string, got null"),
    (cuboid(yaw=math.nan), "answer[2].yaw: must be a finite number, got nan"),
    (cuboid(yaw="0.5"), "answer[2].yaw: must be a number, got string"),
    (cuboid(yaw=True), "answer[2].yaw: must be a number, got boolean"),
    (cuboid(yaw=2**60), "answer[2].yaw: must be a number of sensible size"),
    (cuboid(x=math.inf), "answer[2].x: must be a finite number, got inf"),
    (cuboid(x=50.5), "answer[2].x: outside the cloud: x = 50.5 is not within -50..50"),
    (cuboid(y=-51), "answer[2].y: outside the cloud: y = -51 is not within -50..50"),
    (cuboid(z=5.01), "answer[2].z: outside the cloud: z = 5.01 is not within -3..5"),
    (cuboid(l=0), "answer[2].l: must be a size in metres greater than 0 and at most 500, got 0"),
    (cuboid(w=-1), "answer[2].w: must be a size in metres greater than 0"),
    (cuboid(h=501), "answer[2].h: must be a size in metres greater than 0 and at most 500"),
    (cuboid(h=-math.inf), "answer[2].h: must be a finite number"),
])
def test_bad_cuboids_are_refused_with_their_path(box, message):
    with pytest.raises(ScoringError) as caught:
        score(GOLD, [GOLD[0], GOLD[1], box])
    assert str(caught.value).startswith(message)


def test_the_gold_path_and_the_list_checks():
    with pytest.raises(ScoringError, match=r"^gold\[0\]\.l: must be a size"):
        score([cuboid(l=0)], [])
    with pytest.raises(ScoringError, match=r"^answer: must be a list, got object"):
        score([], {})
    with pytest.raises(ScoringError, match=r"^gold: too many elements: 501 > 500"):
        score([cuboid(x=i / 100) for i in range(501)], [])


def test_a_cuboid_may_reach_past_the_range_with_its_centre_inside():
    assert score([cuboid(x=49.5, l=4)], [cuboid(x=49.5, l=4)]).correct


HOSTILE = st.sampled_from([True, None, math.nan, math.inf, -math.inf, 2**53 + 1, 10**400,
                           "1", [1], 1e300, -0.0, 0])


def number(low, high):
    """Mostly a fine number in [low, high], sometimes a hostile value."""
    fine = st.one_of(st.integers(math.ceil(low), math.floor(high)),
                     st.floats(low, high, allow_nan=False))
    return st.one_of(fine, fine, fine, HOSTILE)


FIELD_VALUES = {"label": st.sampled_from(["car", "motorcycle", "bus", 3]),
                "x": number(-60, 60), "y": number(-60, 60), "z": number(-4, 6),
                "l": number(-1, 600), "w": number(-1, 5), "h": number(-1, 5),
                "yaw": number(-1e18, 1e18)}
HOSTILE_CUBOID = st.one_of(
    st.fixed_dictionaries(FIELD_VALUES), st.fixed_dictionaries(FIELD_VALUES),
    st.fixed_dictionaries({**FIELD_VALUES, "extra": HOSTILE}),
    st.fixed_dictionaries(FIELD_VALUES).map(lambda d: dict(list(d.items())[1:])), HOSTILE)


@settings(max_examples=400, deadline=None)
@given(items=st.lists(HOSTILE_CUBOID, max_size=5))
def test_the_quick_checks_accept_only_what_the_precise_ones_accept(items):
    spec = cuboids.parse_spec(SPEC)
    try:
        quick = cuboids.quick_parse(spec, items)
    except (KeyError, TypeError, OverflowError):
        quick = None
    try:
        rows = [cuboids.parse_cuboid(spec, item, f"answer[{i}]") for i, item in enumerate(items)]
    except ScoringError:
        assert quick is None
        return
    checked = cuboids.parse(spec, items, "answer")
    assert checked.labels == [row[0] for row in rows]
    assert checked.array[:, :6].tolist() == [list(row[1:7]) for row in rows]
    if quick is not None:
        np.testing.assert_array_equal(quick.array, checked.array)
