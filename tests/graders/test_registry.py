"""The entry point, the registry of kinds, errors and Score: the contract the rest relies on."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import graders
from graders import ScoringError
from graders.result import Score

ROOT = Path(__file__).resolve().parents[2]
IMAGE = {"width": 640, "height": 480}
ITEMS = {
    "choice": ({"options": ["yes", "no"]}, "yes", "no"),
    "labels": ({"options": ["shirt", "shoe", "towel"]}, ["shirt", "shoe"], ["shoe", "towel"]),
    "boxes": (
        {**IMAGE, "labels": ["car", "cyclist"]},
        [{"label": "car", "x": 10, "y": 10, "w": 100, "h": 50},
         {"label": "cyclist", "x": 300, "y": 200, "w": 40, "h": 80}],
        [{"label": "car", "x": 12, "y": 10, "w": 100, "h": 60},
         {"label": "car", "x": 300, "y": 200, "w": 40, "h": 80},
         {"label": "car", "x": 500, "y": 400, "w": 20, "h": 20}],
    ),
    "points": (
        {**IMAGE, "keypoints": ["nose", "left_knee", "tail"]},
        [{"keypoints": {"nose": [100, 100, 2], "left_knee": [120, 300, 1], "tail": [0, 0, 0]},
          "area": 9000}],
        [{"keypoints": {"nose": [103, 98, 2]}}, {"keypoints": {"tail": [5, 5, 2]}}],
    ),
    "spans": (
        {"text": "I am furious about this bill.", "labels": ["anger", "topic"]},
        [{"start": 5, "end": 12, "label": "anger"}, {"start": 24, "end": 28, "label": "topic"}],
        [{"start": 5, "end": 12, "label": "anger"}, {"start": 24, "end": 28, "label": "anger"}],
    ),
    "cuboids": (
        {"labels": ["car", "motorcycle"], "range": {"x": [-40, 40], "y": [-40, 40],
                                                  "z": [-3, 5]}},
        [{"label": "car", "x": 10, "y": 2, "z": -0.8, "l": 4.2, "w": 1.8, "h": 1.5, "yaw": 0},
         {"label": "motorcycle", "x": 5, "y": -4, "z": -1, "l": 2, "w": 0.8, "h": 1.3,
          "yaw": 1.5}],
        [{"label": "car", "x": 10.2, "y": 2, "z": -0.8, "l": 4, "w": 1.8, "h": 1.5, "yaw": 3.1},
         {"label": "car", "x": -20, "y": 0, "z": -1, "l": 4, "w": 2, "h": 1.5, "yaw": 0}],
    ),
    "tracks": (
        {**IMAGE, "frames": 3, "labels": ["car", "cyclist"]},
        [{"id": 1, "label": "car", "boxes": {"0": {"x": 10, "y": 10, "w": 100, "h": 50},
                                             "1": {"x": 20, "y": 10, "w": 100, "h": 50}}},
         {"id": 2, "label": "cyclist", "boxes": {"2": {"x": 300, "y": 200, "w": 40, "h": 80}}}],
        [{"id": "a", "label": "car", "boxes": {"0": {"x": 12, "y": 10, "w": 100, "h": 50}}},
         {"id": "b", "label": "car", "boxes": {"1": {"x": 20, "y": 10, "w": 100, "h": 50},
                                               "2": {"x": 300, "y": 200, "w": 40, "h": 80}}}],
    ),
}


def assert_plain(value: object, path: str = "details") -> None:
    """Only JSON types (no numpy scalars, tuples or NaN) may be stored or sent to the browser."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, path
            assert_plain(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_plain(item, f"{path}[{index}]")
    else:
        assert type(value) in (str, int, float, bool, type(None)), f"{path}: {type(value)}"
        assert not (type(value) is float and not math.isfinite(value)), path


def test_kinds_are_registered_with_the_module_interface():
    assert set(graders.KINDS) == {"choice", "labels", "boxes", "points", "spans", "cuboids",
                                  "tracks"}
    for module in graders.KINDS.values():
        assert callable(module.parse_spec)
        assert callable(module.parse)
        assert callable(module.score)
    with pytest.raises(TypeError):
        graders.KINDS["other"] = graders.KINDS["choice"]  # type: ignore[index]


@pytest.mark.parametrize("kind", sorted(ITEMS))
def test_every_kind_scores_through_the_entry_point_with_json_details(kind):
    spec, gold, answer = ITEMS[kind]
    result = graders.score(kind, spec, gold, answer)
    assert isinstance(result, Score)
    assert type(result.points) is float and 0.0 <= result.points <= 1.0
    assert type(result.correct) is bool
    assert_plain(result.details)
    assert json.loads(json.dumps(result.as_dict(), allow_nan=False))["points"] == result.points
    perfect = graders.score(kind, spec, gold, gold)
    assert (perfect.points, perfect.correct) == (1.0, True)
    assert_plain(perfect.details)


@pytest.mark.parametrize("kind", sorted(ITEMS))
def test_empty_answers_give_json_details(kind):
    spec, gold, _ = ITEMS[kind]
    empty = "no" if kind == "choice" else []
    result = graders.score(kind, spec, gold, empty)
    assert result.points == 0.0 and not result.correct
    assert_plain(result.details)


@pytest.mark.parametrize("kind", sorted(ITEMS))
def test_validate_checks_spec_and_gold_for_importers(kind):
    spec, gold, answer = ITEMS[kind]
    assert graders.validate(kind, spec, gold) is None
    assert graders.validate_answer(kind, spec, answer) is None
    with pytest.raises(ScoringError) as error:
        graders.validate(kind, spec, 42)
    assert error.value.path == "gold"
    with pytest.raises(ScoringError) as error:
        graders.validate_answer(kind, spec, 42)
    assert error.value.path == "answer"
    with pytest.raises(ScoringError) as error:
        graders.validate(kind, [], gold)
    assert str(error.value) == "spec: must be an object, got list"


@pytest.mark.parametrize("kind", ["choices", "", None, 3, "Boxes"])
def test_unknown_kind_is_a_clear_error(kind):
    with pytest.raises(ScoringError) as error:
        graders.score(kind, {}, None, None)
    assert error.value.path == "kind"
    assert error.value.message.startswith(f"unknown kind {kind!r} (known: choice, labels, boxes")
    with pytest.raises(ScoringError):
        graders.validate(kind, {}, None)


def test_scoring_error_is_a_value_error_with_path_and_message():
    error = ScoringError("answer[2].w", "must be a positive number, got -3")
    assert isinstance(error, ValueError)
    assert str(error) == "answer[2].w: must be a positive number, got -3"
    assert (error.path, error.message) == ("answer[2].w", "must be a positive number, got -3")


def test_the_error_from_the_brief():
    spec, gold, answer = ITEMS["boxes"]
    answer = [*answer[:2], dict(answer[2], w=-3)]
    with pytest.raises(ScoringError, match=r"^answer\[2\]\.w: must be a positive number, got -3$"):
        graders.score("boxes", spec, gold, answer)


def test_gold_is_checked_as_well_as_the_answer():
    spec, gold, answer = ITEMS["boxes"]
    with pytest.raises(ScoringError) as error:
        graders.score("boxes", spec, [dict(gold[0], x=float("nan"))], answer)
    assert str(error.value) == "gold[0].x: must be a finite number, got nan"


def test_score_is_frozen_and_checked():
    result = Score(0.5, False, {"a": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.points = 1.0  # type: ignore[misc]
    assert result.as_dict() == {"points": 0.5, "correct": False, "details": {"a": 1}}
    assert Score(1.0, True).details == {}
    with pytest.raises(ValueError):
        Score(1.5, True)
    with pytest.raises(TypeError):
        Score(float("nan"), False)
    with pytest.raises(TypeError):
        Score(1, True)
    with pytest.raises(TypeError):
        Score(1.0, 1)  # type: ignore[arg-type]


def test_graders_imports_no_flask_and_no_database():
    code = (
        "import sys, graders\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'bootcamp', 'courses', 'exams', 'pycocotools'})\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_public_api_is_exported():
    assert set(graders.__all__) == {
        "KINDS", "Score", "ScoringError", "score", "validate", "validate_answer"
    }
    assert graders.Score is Score


def test_absurd_values_and_keys_are_shortened_in_messages():
    spec = {"width": 640, "height": 480, "labels": ["car"]}
    huge = {"label": "car", "x": 10**5000, "y": 0, "w": 1, "h": 1}
    with pytest.raises(ScoringError) as error:
        graders.score("boxes", spec, [], [huge])
    assert str(error.value) == "answer[0].x: must be a number of sensible size, got a huge integer"
    with pytest.raises(ScoringError) as error:
        graders.score("boxes", spec, [], [{"label": "car", "x": 0, "y": 0, "w": 1, "h": 1,
                                           "k" * 10**6: 1}])
    assert len(str(error.value)) < 200
    assert error.value.path == "answer[0]." + repr("k" * 36)[:37] + "..."
