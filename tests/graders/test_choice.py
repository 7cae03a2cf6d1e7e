"""Choice items: one of N options, 1 or 0."""

from __future__ import annotations

import pytest

import graders
from graders import ScoringError

SPEC = {"options": ["clothing", "not clothing", "unsure"]}


def score(gold, answer, spec=SPEC):
    return graders.score("choice", spec, gold, answer)


def test_the_gold_option_scores_one():
    result = score("clothing", "clothing")
    assert (result.points, result.correct) == (1.0, True)
    assert result.details == {"expected": "clothing", "given": "clothing"}


def test_any_other_option_scores_zero():
    result = score("clothing", "unsure")
    assert (result.points, result.correct) == (0.0, False)
    assert result.details == {"expected": "clothing", "given": "unsure"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"options": ["only"]}, "spec.options: needs at least 2 elements"),
        ({"options": [str(i) for i in range(51)]}, "spec.options: too many elements: 51 > 50"),
        ({"options": ["a", "b", "a"]}, "spec.options[2]: duplicate of spec.options[0] 'a'"),
        ({"options": ["a", 2]}, "spec.options[1]: must be a string, got integer"),
        ({"options": ["a", "  "]}, "spec.options[1]: must not be blank"),
        ({"options": ["a", "b" * 201]}, "spec.options[1]: too long: 201 > 200 characters"),
        ({"options": "a,b"}, "spec.options: must be a list, got string"),
        ({}, "spec.options: is required"),
        ({"options": ["a", "b"], "shuffle": True}, "spec.shuffle: unknown key (allowed: options)"),
        (None, "spec: must be an object, got null"),
    ],
)
def test_bad_specs_are_refused(spec, message):
    with pytest.raises(ScoringError) as error:
        graders.validate("choice", spec, "a")
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("Clothing", "answer: unknown option 'Clothing' (allowed: 'clothing', 'not clothing', "
                     "'unsure')"),
        (None, "answer: must be a string, got null"),
        (["clothing"], "answer: must be a string, got list"),
        (0, "answer: must be a string, got integer"),
    ],
)
def test_bad_answers_are_refused(answer, message):
    with pytest.raises(ScoringError) as error:
        score("clothing", answer)
    assert str(error.value) == message


def test_bad_gold_is_refused_with_a_gold_path():
    with pytest.raises(ScoringError) as error:
        score("towel", "clothing")
    assert error.value.path == "gold"


def test_long_option_lists_are_shortened_in_messages():
    spec = {"options": [f"option {i}" for i in range(30)]}
    with pytest.raises(ScoringError) as error:
        graders.validate("choice", spec, "x" * 500)
    assert str(error.value).endswith("'option 8', 'option 9', ...)")
    assert "xxx..." in str(error.value) and len(str(error.value)) < 300
