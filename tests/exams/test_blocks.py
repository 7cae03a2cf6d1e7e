"""A sequential attempt's verdict on its answers so far (exams.blocks): pure, no database."""

from __future__ import annotations

import pytest

from exams.blocks import Ending, Plan, verdict
from exams.grading import Graded
from exams.sequential import SequentialRules

RULES = SequentialRules(p0=0.5, p1=0.9, alpha=0.05, beta=0.05, min_items=5, max_items=20)
PLAN = Plan(RULES, {})


def graded(answers: list[bool], *, critical: int | None = None,
           sections: list[tuple[str, ...]] | None = None) -> list[Graded]:
    """Items 1..n answered as given; `critical`: the position of a critical item."""
    return [Graded(f"i{n}", sections[n - 1] if sections else ("s",), n == critical,
                   1.0 if right else 0.0, right)
            for n, right in enumerate(answers, start=1)]


def test_strong_answers_pass_as_soon_as_certain_and_later_answers_do_not_count():
    got = verdict(PLAN, graded([True] * 10), critical_rule=True, final=True)
    assert (got.passed, got.items, got.ending, got.score) == (True, 6, Ending.CERTAIN, 1.0)
    assert got.llr > 2.94


def test_weak_answers_fail_at_the_minimum():
    got = verdict(PLAN, graded([False] * 5), critical_rule=True, final=False)
    assert (got.passed, got.items, got.ending, got.score) == (False, 5, Ending.CERTAIN, 0.0)


def test_undecided_goes_on_until_final():
    answers = [True, True, False, True, True]
    going = verdict(PLAN, graded(answers), critical_rule=True, final=False)
    assert (going.passed, going.items, going.ending) == (None, 5, Ending.GOING_ON)
    # Closed undecided (time up): the cut score (0.73) on the items drawn, 4 of 5 right.
    closed = verdict(PLAN, graded(answers), critical_rule=True, final=True)
    assert (closed.passed, closed.items, closed.ending) == (True, 5, Ending.UNDECIDED)
    assert closed.llr == pytest.approx(going.llr)


def test_closed_before_the_minimum_never_passes():
    closed = verdict(PLAN, graded([True] * 4), critical_rule=True, final=True)
    assert (closed.passed, closed.items, closed.ending) == (False, 4, Ending.UNDECIDED)


def test_at_the_most_items_the_cut_score_decides():
    answers = [n % 4 != 0 for n in range(1, 21)]  # 15 of 20 right: never certain
    got = verdict(PLAN, graded(answers), critical_rule=True, final=False)
    assert (got.passed, got.items, got.ending) == (True, 20, Ending.TRUNCATED)
    worse = verdict(PLAN, graded([n % 4 != 0 and n != 19 for n in range(1, 21)]),
                    critical_rule=True, final=False)
    assert (worse.passed, worse.items, worse.ending) == (False, 20, Ending.TRUNCATED)


def test_a_critical_miss_fails_at_once_unless_the_test_decided_before_it():
    answers = [True] * 10
    answers[2] = False
    got = verdict(PLAN, graded(answers, critical=3), critical_rule=True, final=False)
    assert (got.passed, got.items, got.ending, got.right) == (False, 3, Ending.CRITICAL, 2)
    without = verdict(PLAN, graded(answers, critical=3), critical_rule=False, final=False)
    assert (without.passed, without.items) == (True, 9)  # no critical rule: the test decides
    late = [True] * 10
    late[8] = False  # item 9, after the pass at item 6
    got = verdict(PLAN, graded(late, critical=9), critical_rule=True, final=True)
    assert (got.passed, got.items) == (True, 6)


def test_the_quotas_hold_the_test_until_they_are_met():
    sections = [("shoes",)] * 7 + [("towels",)] + [("shoes",)] * 4
    plan = Plan(RULES, {"towels": 1})
    got = verdict(plan, graded([True] * 12, sections=sections), critical_rule=True, final=True)
    assert (got.passed, got.items) == (True, 8)  # not 6: the towel item is the 8th
    never = verdict(plan, graded([True] * 12, sections=[("shoes",)] * 12), critical_rule=True,
                    final=False)
    assert never.ending is Ending.GOING_ON  # unmet quotas wait for the most items


def test_the_same_answers_in_the_same_order_decide_alike():
    answers = [True, False, True, True, True, True, False, True, True, True, True, True]
    first = verdict(PLAN, graded(answers), critical_rule=True, final=True)
    assert verdict(PLAN, graded(answers), critical_rule=True, final=True) == first


def test_the_plan_survives_its_snapshot_and_counts_blocks():
    plan = Plan(RULES, {"hats": 2}, block=5)
    assert Plan.of(plan.snapshot()) == plan
    assert [plan.block_start(n) for n in (0, 5, 6, 10, 11, 20)] == [1, 1, 6, 6, 11, 16]
    assert [plan.next_size(n) for n in (0, 15, 18, 20)] == [5, 5, 2, 0]


def test_the_plan_keeps_the_shuffle_it_started_with():
    still = Plan(RULES, {}, shuffle=False)
    assert still.snapshot()["shuffle"] is False and Plan.of(still.snapshot()) == still
    # A snapshot kept before the plan kept the setting: None, the course's setting decides.
    old = {key: value for key, value in still.snapshot().items() if key != "shuffle"}
    assert Plan.of(old).shuffle is None
