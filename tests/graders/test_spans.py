"""Spans items: labelled character spans, span F1 by exact match or by overlap."""

from __future__ import annotations

import pytest

import graders
from graders import ScoringError

TEXT = "Hello, I want to cancel my contract because the last bill was wrong."
SPEC = {"text": TEXT, "labels": ["intent", "reason", "emotion"]}


def span(start, end, label):
    return {"start": start, "end": end, "label": label}


def at(phrase, label):
    start = TEXT.index(phrase)
    return span(start, start + len(phrase), label)


GOLD = [at("cancel my contract", "intent"), at("the last bill was wrong", "reason")]


def score(gold, answer, **spec):
    return graders.score("spans", {**SPEC, **spec}, gold, answer)


def test_exact_spans_are_correct_in_any_order():
    result = score(GOLD, GOLD[::-1])
    assert (result.points, result.correct) == (1.0, True)
    assert result.details == {
        "matched": [
            {"gold": 0, "answer": 1, "label": "intent", "overlap": 1.0},
            {"gold": 1, "answer": 0, "label": "reason", "overlap": 1.0},
        ],
        "mislabelled": [], "missed": [], "extra": [],
        "precision": 1.0, "recall": 1.0, "f1": 1.0, "mode": "exact",
    }


def test_in_exact_mode_one_character_off_is_a_miss_and_an_extra():
    answer = [GOLD[0], dict(GOLD[1], end=GOLD[1]["end"] - 1)]
    result = score(GOLD, answer)
    assert (result.details["missed"], result.details["extra"]) == ([1], [1])
    assert result.points == pytest.approx(0.5)
    assert not result.correct


def test_in_overlap_mode_a_close_span_matches_with_its_overlap():
    answer = [GOLD[0], dict(GOLD[1], end=GOLD[1]["end"] - 1)]
    result = score(GOLD, answer, match="overlap")
    assert result.details["matched"][1] == {
        "gold": 1, "answer": 1, "label": "reason", "overlap": 22 / 23
    }
    assert (result.points, result.correct) == (1.0, True)
    assert (result.details["mode"], result.details["overlap_threshold"]) == ("overlap", 0.5)


def test_overlap_is_intersection_over_union_and_the_threshold_is_inclusive():
    spec = {"text": "x" * 40, "labels": ["a"]}
    gold, answer = [span(0, 10, "a")], [span(5, 20, "a")]  # 5 / 20
    loose = graders.score("spans", {**spec, "match": "overlap", "overlap_threshold": 0.25},
                          gold, answer)
    assert loose.details["matched"][0]["overlap"] == 0.25
    strict = graders.score("spans", {**spec, "match": "overlap"}, gold, answer)
    assert (strict.details["missed"], strict.details["extra"]) == ([0], [0])


def test_a_right_span_with_the_wrong_label_is_a_label_error():
    answer = [GOLD[0], dict(GOLD[1], label="emotion")]
    result = score(GOLD, answer)
    assert result.details["mislabelled"] == [
        {"gold": 1, "answer": 1, "gold_label": "reason", "answer_label": "emotion",
         "overlap": 1.0}
    ]
    assert (result.details["missed"], result.details["extra"]) == ([], [])
    assert result.points == pytest.approx(0.5)


def test_empty_gold_and_empty_answer_is_perfect():
    result = score([], [])
    assert (result.points, result.correct) == (1.0, True)


def test_empty_gold_with_spans_in_the_answer_scores_zero():
    result = score([], GOLD)
    assert (result.points, result.correct, result.details["extra"]) == (0.0, False, [0, 1])


def test_an_empty_answer_misses_everything():
    result = score(GOLD, [])
    assert (result.points, result.correct, result.details["missed"]) == (0.0, False, [0, 1])


def test_a_duplicated_answer_span_is_one_match_and_one_extra():
    result = score(GOLD[:1], [GOLD[0], GOLD[0]])
    assert [(m["gold"], m["answer"]) for m in result.details["matched"]] == [(0, 0)]
    assert result.details["extra"] == [1]
    assert result.points == pytest.approx(2 / 3)


def test_ties_are_broken_the_same_way_every_time():
    spec = {"text": "x" * 40, "labels": ["a"], "match": "overlap", "overlap_threshold": 0.3}
    gold = [span(0, 10, "a"), span(10, 20, "a")]
    answer = [span(5, 15, "a")]  # overlaps both gold spans by 5 / 15
    results = [graders.score("spans", spec, gold, answer) for _ in range(10)]
    assert all(result == results[0] for result in results)
    assert results[0].details["missed"] == [1]


def test_offsets_count_code_points_not_bytes_or_utf16_units():
    text = "Très 👍 bon"
    spec = {"text": text, "labels": ["emotion"]}
    thumbs = span(5, 6, "emotion")
    assert text[5:6] == "👍"
    assert graders.score("spans", spec, [thumbs], [thumbs]).correct
    whole = span(0, len(text), "emotion")
    assert graders.score("spans", spec, [whole], [whole]).correct
    with pytest.raises(ScoringError) as error:
        graders.score("spans", spec, [thumbs], [span(5, len(text.encode("utf-16-le")) // 2,
                                                     "emotion")])
    assert str(error.value) == "answer[0].end: must be an integer from 1 to 10, got 11"


def test_gold_spans_with_the_same_label_must_not_overlap():
    with pytest.raises(ScoringError) as error:
        graders.validate("spans", SPEC, [GOLD[1], GOLD[0], span(17, 30, "intent")])
    assert str(error.value) == "gold[2]: overlaps gold[1], which has the same label 'intent'"
    with pytest.raises(ScoringError, match=r"^gold\[1\]: overlaps gold\[0\]"):
        graders.validate("spans", SPEC, [GOLD[0], GOLD[0]])
    # Nested spans with different labels and touching spans with the same label are fine.
    graders.validate("spans", SPEC, [*GOLD, at("cancel", "emotion"),
                                     span(GOLD[0]["end"], GOLD[0]["end"] + 3, "intent")])


@pytest.mark.parametrize(
    ("answer_span", "message"),
    [
        (span(-1, 5, "intent"), "answer[0].start: must be an integer from 0 to 67, got -1"),
        (span(5, 5, "intent"), "answer[0].end: must be greater than start (5), got 5"),
        (span(9, 5, "intent"), "answer[0].end: must be greater than start (9), got 5"),
        (span(60, 69, "intent"), "answer[0].end: must be an integer from 1 to 68, got 69"),
        (span(1.0, 5, "intent"), "answer[0].start: must be an integer, got number"),
        (span(True, 5, "intent"), "answer[0].start: must be an integer, got boolean"),
        (span(0, 5, "topic"),
         "answer[0].label: unknown label 'topic' (allowed: 'intent', 'reason', 'emotion')"),
        ({"start": 0, "end": 5}, "answer[0].label: is required"),
        ({**span(0, 5, "intent"), "text": "Hello"},
         "answer[0].text: unknown key (allowed: start, end, label)"),
        ("0-5", "answer[0]: must be an object, got string"),
    ],
)
def test_bad_spans_are_refused(answer_span, message):
    with pytest.raises(ScoringError) as error:
        score(GOLD, [answer_span])
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({**SPEC, "match": "fuzzy"}, "spec.match: must be 'exact' or 'overlap', got 'fuzzy'"),
        ({**SPEC, "overlap_threshold": 0.8}, "spec.overlap_threshold: is only used with match "
                                             "'overlap'"),
        ({**SPEC, "match": "overlap", "overlap_threshold": 0},
         "spec.overlap_threshold: must be a number greater than 0 and at most 1, got 0"),
        ({**SPEC, "text": ""}, "spec.text: must have 1 to 1000000 characters, got 0"),
        ({**SPEC, "text": "x" * 1_000_001},
         "spec.text: must have 1 to 1000000 characters, got 1000001"),
        ({**SPEC, "text": b"bytes"}, "spec.text: must be a string, got bytes"),
        ({"labels": ["a"]}, "spec.text: is required"),
        ({**SPEC, "labels": ["a", ""]}, "spec.labels[1]: must not be blank"),
        ({**SPEC, "length": 68},
         "spec.length: unknown key (allowed: text, labels, match, overlap_threshold)"),
    ],
)
def test_bad_specs_are_refused(spec, message):
    with pytest.raises(ScoringError) as error:
        graders.validate("spans", spec, [])
    assert str(error.value) == message


def test_too_many_spans_are_refused():
    spec = {"text": "x" * 2000, "labels": ["a"]}
    with pytest.raises(ScoringError) as error:
        graders.validate_answer("spans", spec, [span(i, i + 1, "a") for i in range(1001)])
    assert str(error.value) == "answer: too many elements: 1001 > 1000"


@pytest.mark.parametrize("gold", [
    [span(0, 5, "intent"), span(5, 9, "intent"), span(9, 12, "reason")],  # touching, in order
    [span(5, 9, "intent"), span(0, 5, "intent")],  # out of order
    [span(0, 5, "intent"), span(3, 9, "reason")],  # overlapping, other labels
])
def test_gold_spans_that_do_not_overlap_within_a_label_are_accepted(gold):
    assert score(gold, gold).correct
