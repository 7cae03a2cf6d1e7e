"""Labels items: any of N options; Jaccard points, correct only when exact."""

from __future__ import annotations

import pytest

import graders
from graders import ScoringError

SPEC = {"options": ["shirt", "shoe", "legging", "towel"]}


def score(gold, answer):
    return graders.score("labels", SPEC, gold, answer)


def test_the_exact_set_is_correct_in_any_order():
    result = score(["shirt", "shoe"], ["shoe", "shirt"])
    assert (result.points, result.correct) == (1.0, True)
    assert result.details == {"missing": [], "extra": [], "jaccard": 1.0}


def test_partial_answers_get_the_jaccard_index_and_are_not_correct():
    result = score(["towel", "shirt", "shoe"], ["legging", "shoe", "shirt"])
    assert result.points == pytest.approx(2 / 4)
    assert not result.correct
    # Listed in the spec's option order, whatever order was given.
    assert result.details == {"missing": ["towel"], "extra": ["legging"], "jaccard": 0.5}


def test_a_subset_is_not_correct():
    result = score(["shirt", "shoe"], ["shoe"])
    assert (result.points, result.correct) == (0.5, False)
    assert result.details["missing"] == ["shirt"]


def test_empty_gold_and_empty_answer_is_perfect():
    result = score([], [])
    assert (result.points, result.correct) == (1.0, True)
    assert result.details == {"missing": [], "extra": [], "jaccard": 1.0}


def test_empty_gold_with_an_answer_scores_zero():
    result = score([], ["towel"])
    assert (result.points, result.correct) == (0.0, False)
    assert result.details["extra"] == ["towel"]


def test_empty_answer_with_gold_scores_zero():
    result = score(["towel"], [])
    assert (result.points, result.correct) == (0.0, False)
    assert result.details["missing"] == ["towel"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (["shoe", "shoe"], "answer[1]: duplicate of answer[0] 'shoe'"),
        (["shoe", "Shoe"], "answer[1]: unknown option 'Shoe' (allowed: 'shirt', 'shoe', "
                           "'legging', 'towel')"),
        ("shoe", "answer: must be a list, got string"),
        ({"shoe": True}, "answer: must be a list, got object"),
        ([None], "answer[0]: must be a string, got null"),
        (["shirt"] * 5, "answer: too many elements: 5 > 4"),
    ],
)
def test_bad_answers_are_refused(answer, message):
    with pytest.raises(ScoringError) as error:
        score(["shoe"], answer)
    assert str(error.value) == message


def test_bad_gold_is_refused_with_a_gold_path():
    with pytest.raises(ScoringError) as error:
        graders.validate("labels", SPEC, ["shoe", "hat"])
    assert error.value.path == "gold[1]"


def test_bad_spec_is_refused():
    with pytest.raises(ScoringError) as error:
        graders.validate("labels", {"options": ["a"]}, [])
    assert str(error.value) == "spec.options: needs at least 2 elements"
