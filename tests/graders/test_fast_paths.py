"""The bulk checks that score plainly valid input quickly accept nothing that the precise,
value-by-value checks refuse, and give the same arrays: generated hostile input (booleans,
NaN, infinities, huge integers, strings for numbers, missing and unknown keys, points off the
image) through both paths."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from graders import ScoringError, boxes, points, spans

HOSTILE = st.sampled_from([True, False, None, math.nan, math.inf, -math.inf, 2**53 + 1,
                           10**400, -(2**60), "1", [1], 1e300, -0.0])
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def number(low: float, high: float) -> st.SearchStrategy:
    """Mostly a fine number in [low, high] (an int or a float), sometimes a hostile value."""
    fine = st.one_of(st.integers(int(math.ceil(low)), int(high)),
                     st.floats(low, high, allow_nan=False))
    return st.one_of(fine, fine, fine, HOSTILE)


def hostile_dict(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """A dict of `fields`, now and then with a key missing or an unknown key added."""
    base = st.fixed_dictionaries(fields)
    extra = st.fixed_dictionaries({**fields, "extra": HOSTILE})
    fewer = base.map(lambda d: dict(list(d.items())[1:]))
    return st.one_of(base, base, base, base, extra, fewer, HOSTILE)


def slow(parse_one, spec, items: list, role: str) -> list | None:
    """What the value-by-value checks make of each element, or None when they refuse one."""
    try:
        return [parse_one(spec, item, f"{role}[{i}]") for i, item in enumerate(items)]
    except ScoringError:
        return None


BOX_SPEC = boxes.parse_spec({"width": 64, "height": 48, "labels": ["car", "bus"]})
BOX = hostile_dict({"label": st.sampled_from(["car", "bus", "cat"]), "x": number(-1, 70),
                    "y": number(-1, 50), "w": number(-1, 70), "h": number(-1, 50)})


@SETTINGS
@given(items=st.lists(BOX, max_size=6), gold=st.booleans())
def test_quick_boxes_agree_with_parse_box(items, gold):
    quick = boxes.quick_parse(BOX_SPEC, items, gold)
    if quick is None:
        return
    rows = slow(boxes.parse_box, BOX_SPEC, items, "gold")
    assert rows is not None
    assert quick.labels == [row[0] for row in rows]
    expected = [v for _, x, y, w, h in rows for v in boxes.edge_values(x, y, w, h, gold)]
    assert np.array_equal(np.array(quick.values, dtype=float), np.array(expected))


POINT_SPEC = points.parse_spec({"width": 64, "height": 48, "keypoints": ["nose", "tail"]})
POINT = st.one_of(*[st.tuples(number(-1, 70), number(-1, 50), visibility).map(list)
                    for visibility in (st.sampled_from([0, 1, 2]),) * 3 + (HOSTILE,)],
                  HOSTILE, st.just([1, 2]))
PERSON = hostile_dict({
    "keypoints": st.one_of(st.dictionaries(st.sampled_from(["nose", "tail", "ear"]), POINT,
                                           max_size=3), HOSTILE),
    "area": number(-1, 4000),
})


@SETTINGS
@given(items=st.lists(PERSON, max_size=4), role=st.sampled_from(["gold", "answer"]))
@example(items=[{"keypoints": {"nose": [1, 1, 2], "tail": [2**53 + 1, 0, 0]}, "area": 9}],
         role="gold")  # an unplaced point may lie anywhere, but must be a sensible number
@example(items=[{"keypoints": {"nose": [1, 1, 2], "tail": [True, 0, 0]}}], role="answer")
def test_quick_persons_agree_with_parse_person(items, role):
    quick = points.quick_parse(POINT_SPEC, items, role)
    if quick is None:
        return
    parsed = slow(lambda spec, item, path: points.parse_person(spec, item, path, role),
                  POINT_SPEC, items, role)
    assert parsed is not None
    rows = np.array([rows for rows, _ in parsed], dtype=float).reshape(len(items), 2, 3)
    assert np.array_equal(quick.xy, rows[:, :, :2].transpose(2, 0, 1))
    assert np.array_equal(quick.placed, rows[:, :, 2] > 0)
    assert np.array_equal(quick.areas, [area for _, area in parsed], equal_nan=True)


SPAN_SPEC = spans.parse_spec({"text": "x" * 40, "labels": ["joy", "fear"]})
SPAN = hostile_dict({"start": number(-1, 42), "end": number(-1, 42),
                     "label": st.sampled_from(["joy", "fear", "anger"])})


@SETTINGS
@given(items=st.lists(SPAN, max_size=6))
def test_quick_spans_agree_with_parse_span(items):
    quick = spans.quick_columns(SPAN_SPEC, items)
    if quick is None:
        return
    rows = slow(spans.parse_span, SPAN_SPEC, items, "answer")
    assert rows is not None
    assert quick == (tuple(zip(*rows, strict=True)) if rows else ((), (), ()))


@pytest.mark.parametrize("module, spec, value", [
    (boxes, BOX_SPEC, [{"label": "car", "x": 1, "y": 1, "w": 2, "h": 2}]),
    (spans, SPAN_SPEC, [{"start": 1, "end": 2, "label": "joy"}]),
])
def test_plain_input_takes_the_quick_path(module, spec, value):
    quick = (module.quick_parse(spec, value, False) if module is boxes
             else module.quick_columns(spec, value))
    assert quick is not None


def test_plain_persons_take_the_quick_path():
    person = {"keypoints": {"nose": [1, 2, 2], "tail": [3.5, 4, 1]}, "area": 100}
    assert points.quick_parse(POINT_SPEC, [person], "gold") is not None
