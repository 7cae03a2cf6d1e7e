"""An attempt's result: share of the points, pass mark, critical items, per-section breakdown."""

from __future__ import annotations

from exams.grading import Graded, SectionResult, grade


def item(key: str, points: float, *, critical: bool = False,
         sections: tuple[str, ...] = ("s1",)) -> Graded:
    return Graded(key, sections, critical, points, points == 1.0)


def test_the_score_is_the_share_of_the_points_with_partial_credit():
    result = grade([item("a", 1.0), item("b", 0.5), item("c", 0.0), item("d", 1.0)], 0.6, True)
    assert result.score == 0.625 and result.passed


def test_exactly_the_pass_mark_passes_despite_float_sums():
    graded = [item(str(n), 1.0) for n in range(8)] + [item("x", 0.0), item("y", 0.0)]
    assert grade(graded, 0.8, True).passed
    assert not grade(graded, 0.81, True).passed


def test_a_wrong_critical_item_fails_whatever_the_score():
    graded = [item(str(n), 1.0) for n in range(9)] + [item("crit", 0.0, critical=True)]
    result = grade(graded, 0.5, True)
    assert (result.score, result.passed, result.critical_missed) == (0.9, False, ("crit",))
    assert grade(graded, 0.5, False).passed  # the rule switched off


def test_a_critical_item_with_partial_credit_is_still_missed():
    result = grade([item("a", 1.0), item("crit", 0.9, critical=True)], 0.5, True)
    assert not result.passed and result.critical_missed == ("crit",)


def test_the_breakdown_counts_items_and_misses_per_section_in_order():
    result = grade([item("a", 1.0, sections=("shoes", "hats")), item("b", 0.0, sections=("hats",)),
                    item("c", 0.0, sections=("shoes",)), item("d", 1.0, sections=())], 0.5, True)
    assert result.sections == (SectionResult("shoes", 2, 1), SectionResult("hats", 2, 1))


def test_an_empty_attempt_scores_nothing():
    assert grade([], 0.5, True).score == 0.0
