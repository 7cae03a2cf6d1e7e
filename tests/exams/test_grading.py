"""An attempt's result: share of the points, pass mark, critical items, per-section breakdown,
and what a trainee may see of it (groups of at least 3 items that partition the attempt)."""

from __future__ import annotations

import itertools
import random

import pytest

from exams.grading import (
    MIN_GROUP,
    Graded,
    ResultDetail,
    SectionGroup,
    SectionResult,
    disclose,
    disclose_sequential,
    grade,
    partition,
)


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


# --- What a trainee sees: groups that partition the attempt, none under MIN_GROUP items. --------

def items_on(*sections: tuple[str, ...], wrong: tuple[int, ...] = ()) -> list[Graded]:
    return [Graded(f"i{n}", tuple(s), False, 0.0 if n in wrong else 1.0, n not in wrong)
            for n, s in enumerate(sections)]


def test_each_item_counts_once_in_its_first_section_in_manual_order():
    graded = items_on(("hats",), ("shoes", "hats"), ("shoes",), ("hats",), ("shoes",),
                      ("hats", "shoes"), wrong=(1, 3))
    assert partition(graded, order=("shoes", "hats")) == (
        SectionGroup(("shoes",), 3, 1), SectionGroup(("hats",), 3, 1))


def test_small_sections_merge_into_one_group_that_names_them_all():
    graded = items_on(("a",), ("a",), ("a",), ("b",), ("c",), ("c",), ("d",), wrong=(3,))
    assert partition(graded) == (SectionGroup(("a",), 3, 0), SectionGroup(("b", "c", "d"), 4, 1))


def test_a_merged_group_still_too_small_joins_the_smallest_other_group():
    graded = items_on(*[("big",)] * 4, *[("mid",)] * 3, ("x",), ("y",), wrong=(7,))
    assert partition(graded) == (SectionGroup(("big",), 4, 0),
                                 SectionGroup(("mid", "x", "y"), 5, 1))


def test_items_on_no_section_are_a_group_of_their_own_or_merge():
    assert partition(items_on((), (), ())) == (SectionGroup(("",), 3, 0),)
    assert partition(items_on(*[("a",)] * 3, ())) == (SectionGroup(("a", ""), 4, 0),)


def test_all_small_sections_make_one_group_and_under_three_items_make_none():
    assert partition(items_on(("a",), ("b",), ("c",))) == (SectionGroup(("a", "b", "c"), 3, 0),)
    assert partition(items_on(("a",), ("a",))) == ()


@pytest.mark.parametrize("seed", range(200))
def test_random_attempts_are_partitioned_into_groups_of_at_least_three(seed):
    rng = random.Random(seed)
    names = [f"s{n}" for n in range(rng.randint(1, 8))]
    graded = items_on(*[tuple(rng.sample(names, rng.randint(0, min(3, len(names)))))
                        for _ in range(rng.randint(0, 25))],
                      wrong=tuple(n for n in range(25) if rng.random() < 0.4))
    groups = partition(graded, order=names[::-1])
    if len(graded) < MIN_GROUP:
        assert groups == ()
        return
    assert all(group.items >= MIN_GROUP for group in groups)
    assert sum(group.items for group in groups) == len(graded)
    assert sum(group.missed for group in groups) == sum(not g.correct for g in graded)
    named = [s for group in groups for s in group.sections]
    assert len(named) == len(set(named))  # a section is named by one group only


def shown(graded: list[Graded], detail: ResultDetail, pass_mark: float = 0.5,
          critical_rule: bool = False):
    result = grade(graded, pass_mark, critical_rule)
    seen = disclose(result, pass_mark, detail)
    return (seen.passed, seen.score, seen.critical_failed, seen.counts,
            tuple((g.sections, g.items, g.missed) if seen.counts else g.sections
                  for g in seen.groups))


# Sections as an attacker would pick them: overlapping, one-item sections, no section.
LAYOUT = (("a",), ("a", "b"), ("b",), ("b", "a"), ("c",), ("c", "a"), ("d",), ())


@pytest.mark.parametrize("detail", list(ResultDetail))
def test_no_answer_is_told_apart_unless_its_whole_group_went_the_same_way(detail):
    """Every two-option item answered the same way: right/wrong is then the gold. For every
    outcome, each item whose group is neither all right nor all wrong has a twin outcome with
    that item flipped that the trainee's result cannot tell apart (no differencing)."""
    groups_of = {}
    for group in partition(items_on(*LAYOUT)):
        members = [n for n, s in enumerate(LAYOUT) if (s[0] if s else "") in group.sections]
        groups_of.update(dict.fromkeys(members, members))
    outcomes = list(itertools.product((False, True), repeat=len(LAYOUT)))
    views = {}
    for outcome in outcomes:
        wrong = tuple(n for n, right in enumerate(outcome) if not right)
        views.setdefault(shown(items_on(*LAYOUT, wrong=wrong), detail), []).append(outcome)
    for outcome in outcomes:
        wrong = tuple(n for n, right in enumerate(outcome) if not right)
        alike = views[shown(items_on(*LAYOUT, wrong=wrong), detail)]
        for n in range(len(LAYOUT)):
            mixed = len({outcome[m] for m in groups_of[n]}) == 2
            if mixed:
                assert any(other[n] != outcome[n] for other in alike), (outcome, n)


def test_the_old_overlapping_breakdown_gave_single_answers_away():
    """Why partition: by_section's counts of overlapping sections subtract to one item."""
    graded = items_on(("a",), ("a", "b"), ("b",), ("b",), wrong=(1,))
    sections = {s.section: (s.items, s.missed) for s in grade(graded, 0.5, False).sections}
    assert sections == {"a": (2, 1), "b": (3, 1)}  # "a" alone has 2 items: the leak
    assert all(g.items >= MIN_GROUP for g in grade(graded, 0.5, False).groups)


def test_the_detail_levels_show_score_names_or_counts():
    graded = items_on(*[("a",)] * 3, *[("b",)] * 3, wrong=(0,))
    assert shown(graded, ResultDetail.SCORE) == (True, 0.833333, False, False, ())
    assert shown(graded, ResultDetail.SECTIONS) == (True, 0.833333, False, False, (("a",),))
    assert shown(graded, ResultDetail.COUNTS) == (True, 0.833333, False, True,
                                                  ((("a",), 3, 1),))


def test_under_three_items_a_trainee_sees_only_pass_or_fail():
    for detail in ResultDetail:
        assert shown(items_on(("a",), ("b",), wrong=(0,)), detail) == (True, None, False,
                                                                      False, ())


def test_a_critical_miss_is_shown_only_when_it_alone_failed_the_attempt():
    graded = [Graded("crit", ("a",), True, 0.0, False),
              *items_on(*[("a",)] * 4, wrong=(0,))]
    failed_by_critical = disclose(grade(graded, 0.5, True), 0.5, ResultDetail.COUNTS)
    assert (failed_by_critical.passed, failed_by_critical.critical_failed) == (False, True)
    failed_by_score = disclose(grade(graded, 0.9, True), 0.9, ResultDetail.COUNTS)
    assert (failed_by_score.passed, failed_by_score.critical_failed) == (False, False)
    assert disclose(grade(graded, 0.5, False), 0.5, ResultDetail.COUNTS).passed


def test_a_sequential_result_shows_no_score_count_or_critical_and_groups_every_item_drawn():
    """Its score counts the right answers up to the deciding item and tells that item's
    answer; the sections to re-read come from all the items drawn, the same wherever the
    test stopped."""
    drawn = [Graded("crit", ("a",), True, 0.0, False),
             *items_on(*[("a",)] * 2, *[("b",)] * 3, wrong=(4,))]
    for detail in (ResultDetail.SECTIONS, ResultDetail.COUNTS):
        view = disclose_sequential(False, drawn, detail, ["a", "b"])
        assert (view.passed, view.score, view.critical_failed, view.counts) == (
            False, None, False, False)
        assert [g.sections for g in view.groups] == [("a",), ("b",)]
    assert disclose_sequential(True, drawn, ResultDetail.SCORE).groups == ()
    everything_right = items_on(*[("a",)] * 6)
    assert disclose_sequential(True, everything_right, ResultDetail.COUNTS).groups == ()
