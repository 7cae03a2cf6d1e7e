"""Error rates per manual section with Wilson intervals, and the common mistakes."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from graders.rule_errors import (
    GivenAnswer,
    Mistake,
    Source,
    answer_key,
    common_mistakes,
    section_errors,
    wilson_interval,
)

P, E = Source.PRACTICE, Source.EXAM


def wilson_by_hand(wrong: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), Wilson 1927."""
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    p = wrong / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n), (centre + spread) / (1 + z * z / n)


@pytest.mark.parametrize(("wrong", "n"), [(0, 1), (0, 10), (3, 10), (10, 10), (37, 120)])
def test_wilson_interval_matches_the_formula(wrong, n):
    low, high = wilson_interval(wrong, n)
    assert (low, high) == pytest.approx(wilson_by_hand(wrong, n), abs=1e-12)
    assert 0 <= low <= wrong / n <= high <= 1


def test_wilson_interval_worked_by_hand():
    # 3 wrong of 10, z = 1.95996: p = 0.3, z^2 = 3.84146,
    # centre = 0.3 + 0.192073 = 0.492073, spread = 1.95996 * sqrt(0.021 + 0.009604) = 0.342901,
    # divided by 1.384146: 0.10779 .. 0.60322.
    assert wilson_interval(3, 10) == pytest.approx((0.10779, 0.60322), abs=1e-5)
    assert wilson_interval(3, 10, 0.9)[0] > wilson_interval(3, 10)[0]
    with pytest.raises(ValueError):
        wilson_interval(0, 0)
    with pytest.raises(ValueError):
        wilson_interval(4, 3)


def answers() -> list[GivenAnswer]:
    return [
        # Section "2.1" (sleeves): practice 3 wrong of 4, exam 1 of 2.
        GivenAnswer(("2.1",), False, P, item=1, answer="shirt"),
        GivenAnswer(("2.1",), False, P, item=1, answer="shirt"),
        GivenAnswer(("2.1",), False, P, item=2, answer="coat"),
        GivenAnswer(("2.1",), True, P, item=2, answer="jacket"),
        GivenAnswer(("2.1",), False, E, item=1, answer="shirt"),
        GivenAnswer(("2.1",), True, E, item=1, answer="blouse"),
        # An item on both "2.1" and "3": counts once for each (practice).
        GivenAnswer(("2.1", "3", "3"), False, P, item=5, answer=answer_key(["b", "a"])),
        # Section "3": practice, right otherwise; an unanswered wrong is no mistake to show.
        GivenAnswer(("3",), True, P, item=4, answer="towel"),
        GivenAnswer(("3",), False, P, item=4, answer=None),
    ]


def test_section_errors_per_source_most_confidently_confusing_first():
    rows = section_errors(answers())
    table = {(row.section, row.source): (row.answers, row.wrong) for row in rows}
    assert table == {("2.1", P): (5, 4), ("2.1", E): (2, 1), ("3", P): (3, 2)}
    for row in rows:
        assert row.rate == row.wrong / row.answers
        assert (row.low, row.high) == pytest.approx(wilson_by_hand(row.wrong, row.answers))
    assert [row.low for row in rows] == sorted((row.low for row in rows), reverse=True)
    assert (rows[0].section, rows[0].source) == ("2.1", P)


def test_common_mistakes_per_section_by_item_and_answer():
    mistakes = common_mistakes(answers(), top=2)
    assert list(mistakes) == ["2.1", "3"]
    assert mistakes["2.1"] == (Mistake(1, "shirt", 3, 3 / 5), Mistake(2, "coat", 1, 1 / 5))
    assert mistakes["3"] == (Mistake(5, '["a","b"]', 1, 1.0),)
    exam_only = common_mistakes(answers(), source=E)
    assert exam_only == {"2.1": (Mistake(1, "shirt", 1, 1.0),)}
    with pytest.raises(ValueError):
        common_mistakes(answers(), top=0)


def test_answer_keys_count_equal_answers_together():
    assert answer_key("shirt") == '"shirt"'
    assert answer_key(["shoe", "shirt"]) == answer_key(["shirt", "shoe"])
    assert answer_key(["shoe", "shirt"], unordered=False) != answer_key(["shirt", "shoe"],
                                                                        unordered=False)
    box = {"label": "car", "x": 1, "y": 2, "w": 3, "h": 4}
    assert answer_key([box, {**box, "x": 9}]) == answer_key([{**box, "x": 9}, dict(
        reversed(list(box.items())))])
    assert answer_key(None) == "null"
    hash(answer_key({"a": [1, 2]}))
