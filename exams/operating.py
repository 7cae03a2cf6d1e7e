"""A sequential exam's operating characteristics as the settings page, its charts and the CLI
show them: over a grid of true accuracies, beside the fixed-length test with the same error
rates, and at the fail and pass levels in plain numbers.

Pure logic: no Flask, no database. The exact computation (exams.sequential.characteristics)
costs O(max_items^2) per accuracy; `profile` keeps the last few results, so the page and its
two chart requests for the same rules compute it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.stats import binom

from exams import sequential
from exams.sequential import Characteristics, FixedTest, RulesError, SequentialRules

GRID = tuple(round(0.5 + 0.01 * step, 2) for step in range(51))  # true accuracy 50%..100%


@dataclass(frozen=True)
class Level:
    """How the test treats a trainee exactly at one level (p0 or p1)."""

    accuracy: float
    pass_rate: float
    expected_items: float
    items_p95: int


@dataclass(frozen=True)
class Profile:
    """The characteristics of `rules` on GRID and at p0 and p1, with the fixed-length test of
    the same error rates (None, and `fixed_problem` says why, when there is none)."""

    rules: SequentialRules
    grid: tuple[float, ...]
    pass_curve: tuple[float, ...]
    expected_items: tuple[float, ...]
    items_p95: tuple[int, ...]
    fail_level: Level
    pass_level: Level
    fixed: FixedTest | None
    fixed_pass_curve: tuple[float, ...]
    fixed_problem: str | None

    @property
    def items_saved_share(self) -> float | None:
        """How much shorter the sequential test is on average at p0 and p1 than the fixed."""
        if self.fixed is None:
            return None
        mean = (self.fail_level.expected_items + self.pass_level.expected_items) / 2
        return 1 - mean / self.fixed.items


def _level(row: Characteristics) -> Level:
    return Level(accuracy=row.accuracy, pass_rate=row.pass_probability,
                 expected_items=row.expected_items, items_p95=row.items_p95)


@lru_cache(maxsize=32)
def profile(rules: SequentialRules) -> Profile:
    """Everything the page, the charts and the CLI show about `rules` (computed exactly)."""
    rows = sequential.characteristics(rules, [*GRID, rules.p0, rules.p1])
    curve, levels = rows[:len(GRID)], rows[len(GRID):]
    try:
        fixed: FixedTest | None = sequential.fixed_equivalent(rules)
        problem = None
        fixed_curve = tuple(float(share) for share in
                            binom.sf(fixed.cut - 1, fixed.items, np.array(GRID)))
    except RulesError as error:
        fixed, problem, fixed_curve = None, error.reason, ()
    return Profile(
        rules=rules, grid=GRID,
        pass_curve=tuple(row.pass_probability for row in curve),
        expected_items=tuple(row.expected_items for row in curve),
        items_p95=tuple(row.items_p95 for row in curve),
        fail_level=_level(levels[0]), pass_level=_level(levels[1]),
        fixed=fixed, fixed_pass_curve=fixed_curve, fixed_problem=problem)


def truncation_problem(rules: SequentialRules) -> str | None:
    """Whether stopping at max_items (where the cut decides) keeps the error rates asked for,
    computed exactly; if not, what it does to them and the fewest items that keep them."""
    at_p0, at_p1 = (profile(rules).fail_level, profile(rules).pass_level)
    if at_p0.pass_rate <= rules.alpha and 1 - at_p1.pass_rate <= rules.beta:
        return None
    try:
        fewest = sequential.choose_max_items(rules).rules.max_items
        advice = f"{fewest} items is the fewest that keeps both, with the same fewest items and cut"
    except RulesError as error:
        advice = f"no most number of items keeps both ({error.reason})"
    return (f"With at most {rules.max_items} items the sequential exam, computed exactly, passes "
            f"{at_p0.pass_rate:.1%} of trainees at the fail level (at most {rules.alpha:.1%} "
            f"asked) and fails {1 - at_p1.pass_rate:.1%} at the pass level (at most "
            f"{rules.beta:.1%} asked): stopping there and deciding by the cut moves the error "
            f"rates. {advice[0].upper()}{advice[1:]}.")
