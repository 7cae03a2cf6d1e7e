"""Cached specs: a cache hit only for a spec the checks cannot tell from the cached one."""

from __future__ import annotations

import copy

import pytest

from graders import ScoringError, boxes, cuboids, points, spans, spec_cache

BOXES = {"width": 640, "height": 480, "labels": ["car", "person"]}
CUBOIDS = {"labels": ["car"], "range": {"x": [-40, 40], "y": [-40.0, 40.0], "z": [-3, 3]}}
SPANS = {"text": "a short transcript", "labels": ["joy"], "match": "overlap"}
POINTS = {"width": 640, "height": 480, "keypoints": ["nose", "tail"]}
BOX_GOLD = [{"label": "car", "x": 10, "y": 10.5, "w": 20, "h": 30}]
POINT_GOLD = [{"keypoints": {"nose": [1, 2, 2], "tail": [3.5, 4, 1]}, "area": 100}]


@pytest.mark.parametrize(("module", "spec"), [(boxes, BOXES), (cuboids, CUBOIDS),
                                              (spans, SPANS)])
def test_an_equal_spec_is_a_cache_hit(module, spec):
    assert module.parse_spec(copy.deepcopy(spec)) is module.parse_spec(copy.deepcopy(spec))


def test_a_spec_mutated_after_caching_is_checked_again():
    spec = copy.deepcopy(BOXES)
    boxes.parse_spec(spec)
    spec["labels"].append("car")
    with pytest.raises(ScoringError, match=r"spec.labels\[2\]: duplicate of spec.labels\[0\]"):
        boxes.parse_spec(spec)
    spec = copy.deepcopy(CUBOIDS)
    cuboids.parse_spec(spec)
    spec["range"]["x"][0] = 50
    with pytest.raises(ScoringError, match="min must be below max"):
        cuboids.parse_spec(spec)


@pytest.mark.parametrize("value", [True, 1, 1.0])
def test_values_equal_in_python_but_not_to_the_checks_have_their_own_entries(value):
    spec = {**BOXES, "iou_threshold": value}
    if value is True:
        with pytest.raises(ScoringError, match="must be a number, got boolean"):
            boxes.parse_spec(spec)
    else:
        assert boxes.parse_spec(spec).iou_threshold == 1.0
    boxes.parse_spec({**BOXES, "iou_threshold": 1})
    with pytest.raises(ScoringError, match="must be an integer, got boolean"):
        boxes.parse_spec({**BOXES, "width": True, "height": 1})
    assert spec_cache.spec_key([1]) != spec_cache.spec_key([True]) != spec_cache.spec_key([1.0])
    assert spec_cache.spec_key((1,)) != spec_cache.spec_key([1])


def test_subclasses_are_never_keyed():
    class Label(str):
        pass

    assert spec_cache.spec_key({"labels": [Label("car")]}) is None
    with pytest.raises(ScoringError, match="must be a string"):
        boxes.parse_spec({**BOXES, "labels": [Label("car")]})


def test_spans_specs_are_keyed_by_the_length_of_a_string_text():
    checked = spans.parse_spec(SPANS)
    assert spans.parse_spec({**SPANS, "text": "x" * len(SPANS["text"])}) is checked
    assert spans.parse_spec({**SPANS, "text": "longer" + SPANS["text"]}).length == 24
    for text in (len(SPANS["text"]), [SPANS["text"]]):
        assert spans.spec_key({**SPANS, "text": text}) is None
        with pytest.raises(ScoringError, match="spec.text: must be a string"):
            spans.parse_spec({**SPANS, "text": text})
    assert spans.spec_key((len(SPANS["text"]), {"labels": ["joy"], "match": "overlap"})) is None


@pytest.mark.parametrize(("module", "spec"), [(boxes, BOXES), (cuboids, CUBOIDS),
                                              (spans, SPANS)])
def test_cached_labels_are_read_only(module, spec):
    with pytest.raises(TypeError):
        module.parse_spec(spec).labels["bike"] = None


def test_a_full_cache_drops_its_oldest_entry():
    specs = [{**BOXES, "width": 100 + i} for i in range(spec_cache.SIZE + 1)]
    first = boxes.parse_spec(specs[0])
    for spec in specs[1:]:
        boxes.parse_spec(spec)
    assert boxes.parse_spec(specs[-1]) is boxes.parse_spec(specs[-1])
    assert boxes.parse_spec(specs[0]) is not first


@pytest.mark.parametrize(("module", "spec", "gold"), [(boxes, BOXES, BOX_GOLD),
                                                      (points, POINTS, POINT_GOLD)])
def test_an_equal_gold_is_a_cache_hit_and_cannot_be_changed(module, spec, gold):
    first = module.parse_gold((copy.deepcopy(spec), copy.deepcopy(gold)))
    assert module.parse_gold((copy.deepcopy(spec), copy.deepcopy(gold))) is first
    assert module.parse_gold(({**spec, "width": 641}, gold)) is not first
    for array in first if module is points else first[1:]:
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0.0
    if module is boxes:
        assert all(type(part) is tuple for part in first[0])


def test_a_gold_changed_after_caching_is_checked_again():
    gold = copy.deepcopy(BOX_GOLD)
    boxes.score(BOXES, gold, gold)
    gold.append(dict(gold[0]))
    for _ in range(2):  # an invalid gold is never cached
        with pytest.raises(ScoringError, match=r"gold\[1\]: duplicate of gold\[0\]"):
            boxes.score(BOXES, gold, [])
    gold = copy.deepcopy(POINT_GOLD)
    points.score(POINTS, gold, gold)
    gold[0]["keypoints"]["nose"][2] = True
    with pytest.raises(ScoringError, match=r"gold\[0\].keypoints.nose\[2\]: visibility"):
        points.score(POINTS, gold, [])
