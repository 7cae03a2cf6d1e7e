"""Delivering a sequential exam in blocks: what an attempt keeps of its rules, and the verdict
on the items answered so far. Pure logic: no Flask, no database.

The server draws BLOCK_SIZE items at a time (exams.sampling.draw_block, quota items first)
and decides after each block, on every answer so far in position order:

- a critical item answered wrong fails at once (under the critical rule);
- otherwise Wald's test (exams.sequential.decide) passes or fails once it is certain, but
  never before min_items nor before the section quotas are met (they are coverage: the
  test's min_items is raised to the item at which they are met, exams.sampling.covered_at);
- at max_items the truncated test decides by the cut score.

Answers after the item at which the test decided (later items of the same block) are kept
but do not count. An attempt that ends undecided (its time ran out, or its items ran out)
is decided by the cut score on the items drawn, an unanswered item counting as wrong, and
passes only if it reached that minimum; a regrade re-runs all of this on the same answers
in the same order, so it decides alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any

from exams.grading import Graded
from exams.sampling import covered_at
from exams.sequential import Outcome, SequentialRules, boundaries, decide

BLOCK_SIZE = 5  # items drawn and decided on at a time
_RULE_NAMES = tuple(f.name for f in fields(SequentialRules))


@dataclass(frozen=True)
class Plan:
    """A sequential attempt's rules as it started with them (kept on the attempt).

    `shuffle`: whether each block is shuffled, kept so that an instructor changing the
    setting mid-attempt does not change a running attempt. None only for a snapshot taken
    before the plan kept it: such an attempt follows the course's setting, as it did."""

    rules: SequentialRules
    quotas: Mapping[str, int]
    block: int = BLOCK_SIZE
    shuffle: bool | None = True

    def snapshot(self) -> dict[str, Any]:
        """The plan as the attempt's JSON column keeps it."""
        return {**asdict(self.rules), "quotas": dict(self.quotas), "block": self.block,
                "shuffle": self.shuffle}

    @classmethod
    def of(cls, snapshot: Mapping[str, Any]) -> Plan:
        shuffle = snapshot.get("shuffle")
        return cls(SequentialRules(**{name: snapshot[name] for name in _RULE_NAMES}),
                   dict(snapshot.get("quotas") or {}), int(snapshot.get("block", BLOCK_SIZE)),
                   None if shuffle is None else bool(shuffle))

    def block_start(self, drawn: int) -> int:
        """The position of the first item of the block being answered, `drawn` items in."""
        return ((max(drawn, 1) - 1) // self.block) * self.block + 1

    def next_size(self, drawn: int) -> int:
        """How many items the next block draws (0: the maximum is reached)."""
        return max(0, min(self.block, self.rules.max_items - drawn))


class Ending(StrEnum):
    """Why a sequential attempt ended (or that it goes on)."""

    CERTAIN = "certain"  # the test reached a boundary
    CRITICAL = "critical"  # a critical item answered wrong
    TRUNCATED = "truncated"  # max_items reached undecided: the cut score
    UNDECIDED = "undecided"  # closed before a decision (time up): the cut score
    GOING_ON = "going_on"  # not decided yet: draw the next block


@dataclass(frozen=True)
class Verdict:
    """The test's verdict: pass/fail (None while it goes on), the items it used and why."""

    passed: bool | None
    items: int
    llr: float
    ending: Ending
    right: int

    @property
    def score(self) -> float:
        """The share right of the items the verdict used."""
        return round(self.right / self.items, 6) if self.items else 0.0


def verdict(plan: Plan, graded: Sequence[Graded], critical_rule: bool, *,
            final: bool) -> Verdict:
    """The verdict on `graded` (the attempt's items in position order). `final`: the attempt
    is closing, so an undecided test falls to the cut score."""
    answers = [g.correct for g in graded]
    covered = covered_at([g.sections for g in graded], plan.quotas)
    rules = plan.rules
    least = min(rules.max_items, max(rules.min_items, rules.max_items if covered is None
                                     else covered))
    rules = replace(rules, min_items=least)
    bounds = boundaries(rules)
    decision = decide(rules, answers)
    missed = next((n for n, g in enumerate(graded, start=1)
                   if critical_rule and g.critical and not g.correct), None)
    if missed is not None and (decision.outcome is Outcome.CONTINUE or missed <= decision.items):
        right = sum(answers[:missed])
        return Verdict(False, missed, bounds.llr(missed, right), Ending.CRITICAL, right)
    right = sum(answers[:decision.items])
    if decision.outcome is not Outcome.CONTINUE:
        sure = (decision.items < rules.max_items or decision.llr >= bounds.upper - 1e-6
                or decision.llr <= bounds.lower + 1e-6)
        return Verdict(decision.outcome is Outcome.PASS, decision.items, decision.llr,
                       Ending.CERTAIN if sure else Ending.TRUNCATED, right)
    if not final:
        return Verdict(None, decision.items, decision.llr, Ending.GOING_ON, right)
    items = len(answers)
    passes = items >= least and right >= math.ceil(rules.cut_share * items - 1e-9)
    return Verdict(passes, items, bounds.llr(items, right), Ending.UNDECIDED, right)
