"""Sequential qualification exams: Wald's sequential probability ratio test (SPRT), truncated,
and its exact operating characteristics.

Pure logic: no Flask, no database. A trainee of true accuracy p answers each item right with
probability p, independently. After every answer the test weighs "p = p0" (the fail level)
against "p = p1" (the pass level) by the log-likelihood ratio of the answers so far; it passes
the trainee once the ratio reaches Wald's upper boundary A = log((1 - beta) / alpha) and fails
them once it reaches the lower one B = log(beta / (1 - alpha)). It may not stop before
`min_items`; at `max_items` an undecided test falls to the cut score (a truncated SPRT).

Only the sequence of right and wrong answers enters here. Critical items are not part of this
module: a critical item answered wrongly fails the exam at once, and the caller applies that
rule (and any coverage of manual sections) around `decide`.

The operating characteristics are exact: a dynamic programme over (items answered, items
right) carries the probability of every undecided state forward, so they have no simulation
noise and cost O(max_items^2) per accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
from scipy.stats import binom

MAX_ITEMS_CAP = 500  # the longest sequential exam; also the horizon of "untruncated"
FIXED_ITEMS_CAP = 5000  # the longest fixed test `fixed_equivalent` looks for
PERCENTILE = 0.95
_SLACK = 1e-9  # a ratio this close to a boundary (in right answers) has reached it


class RulesError(ValueError):
    """A sequential rule out of bounds; `field` names it so a form can put the message there."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class SequentialRules:
    """The settings of a sequential exam; the defaults are the issue's example (p0 0.70, p1 0.85,
    5% error each way). `cut` is the share of right answers that passes an undecided test at
    max_items; None takes the share at which the ratio is even (`Boundaries.slope`)."""

    p0: float = 0.70
    p1: float = 0.85
    alpha: float = 0.05
    beta: float = 0.05
    min_items: int = 10
    max_items: int = 123  # the shortest that keeps both error rates (choose_max_items)
    cut: float | None = None

    def __post_init__(self) -> None:
        problem = next(iter(rules_problems(self)), None)
        if problem is not None:
            raise RulesError(*problem)

    @property
    def cut_share(self) -> float:
        """The share of right answers that passes at max_items."""
        return even_share(self.p0, self.p1) if self.cut is None else self.cut


def rules_problems(rules: SequentialRules) -> list[tuple[str, str]]:
    """(field, reason) for every rule out of bounds, in the order of the fields."""
    checks = [
        ("p0", 0 < rules.p0 < 1, f"must lie strictly between 0 and 1 (got {rules.p0})"),
        ("p1", 0 < rules.p1 < 1, f"must lie strictly between 0 and 1 (got {rules.p1})"),
        ("p1", rules.p0 < rules.p1,
         f"must be above p0: the pass level is the higher accuracy (got p0 {rules.p0}, "
         f"p1 {rules.p1})"),
        ("alpha", 0 < rules.alpha < 0.5,
         f"must lie strictly between 0 and 0.5 (got {rules.alpha})"),
        ("beta", 0 < rules.beta < 0.5,
         f"must lie strictly between 0 and 0.5 (got {rules.beta})"),
        ("min_items", _is_count(rules.min_items) and rules.min_items >= 1,
         f"must be a whole number of at least 1 (got {rules.min_items!r})"),
        ("max_items", _is_count(rules.max_items) and rules.max_items <= MAX_ITEMS_CAP,
         f"must be a whole number of at most {MAX_ITEMS_CAP} (got {rules.max_items!r})"),
        ("max_items", not _is_count(rules.min_items) or not _is_count(rules.max_items)
         or rules.min_items <= rules.max_items,
         f"must be at least min_items (got min {rules.min_items}, max {rules.max_items})"),
        ("cut", rules.cut is None or rules.p0 <= rules.cut <= rules.p1,
         f"must lie between p0 and p1 (got {rules.cut})"),
    ]
    return [(field, reason) for field, ok, reason in checks if not ok]


def even_share(p0: float, p1: float) -> float:
    """The share of right answers at which the ratio neither rises nor falls (between p0, p1)."""
    right, wrong = math.log(p1 / p0), math.log((1 - p1) / (1 - p0))
    return -wrong / (right - wrong)


@dataclass(frozen=True)
class Boundaries:
    """Wald's boundaries on the log-likelihood ratio, and the same as numbers of right answers.

    `pass_at[n]` is the fewest right answers after n items that pass (n + 1: none can) and
    `fail_at[n]` the most that fail (-1: none can), for n = 0..max_items, with min_items and
    the cut at max_items applied: at max_items every count decides."""

    upper: float  # A: pass at or above
    lower: float  # B: fail at or below
    right: float  # what a right answer adds to the ratio, log(p1 / p0)
    wrong: float  # what a wrong one adds, log((1 - p1) / (1 - p0)), negative
    pass_at: np.ndarray
    fail_at: np.ndarray

    def llr(self, items: int, right: int) -> float:
        """The log-likelihood ratio after `right` right answers out of `items`."""
        return right * self.right + (items - right) * self.wrong


def boundaries(rules: SequentialRules) -> Boundaries:
    """The decision rule of `rules`, as ratio boundaries and as numbers of right answers."""
    pass_at, fail_at = _wald_numbers(rules)
    last = rules.max_items
    cut = max(_cut_counts(rules)[last], fail_at[last] + 1)  # the boundaries come first
    pass_at[last] = min(pass_at[last], cut)
    fail_at[last] = pass_at[last] - 1
    upper, lower, right, wrong = _ratio_terms(rules)
    return Boundaries(upper=upper, lower=lower, right=right, wrong=wrong,
                      pass_at=pass_at, fail_at=fail_at)


def _ratio_terms(rules: SequentialRules) -> tuple[float, float, float, float]:
    """Wald's boundaries A and B, and what a right and a wrong answer add to the ratio."""
    return (math.log((1 - rules.beta) / rules.alpha), math.log(rules.beta / (1 - rules.alpha)),
            math.log(rules.p1 / rules.p0), math.log((1 - rules.p1) / (1 - rules.p0)))


def _wald_numbers(rules: SequentialRules) -> tuple[np.ndarray, np.ndarray]:
    """Untruncated pass and fail numbers for n = 0..max_items, none before min_items."""
    upper, lower, right, wrong = _ratio_terms(rules)
    n = np.arange(rules.max_items + 1)
    # after k right of n the ratio is k * span + n * wrong: it reaches `bound` at
    # k = (bound - n * wrong) / span
    span = right - wrong
    pass_at = np.clip(np.ceil((upper - n * wrong) / span - _SLACK), 0, n + 1).astype(int)
    fail_at = np.clip(np.floor((lower - n * wrong) / span + _SLACK), -1, n).astype(int)
    early = n < rules.min_items
    pass_at[early], fail_at[early] = n[early] + 1, -1
    return pass_at, fail_at


def _cut_counts(rules: SequentialRules) -> np.ndarray:
    """Right answers that pass a test truncated after n items, for n = 0..max_items."""
    return np.ceil(rules.cut_share * np.arange(rules.max_items + 1) - _SLACK).astype(int)


class Outcome(StrEnum):
    """What the test says after the answers so far."""

    PASS = "pass"  # noqa: S105 (an outcome, not a password)
    FAIL = "fail"
    CONTINUE = "continue"


@dataclass(frozen=True)
class Decision:
    """Where the test stands: the outcome, the items it used and its log-likelihood ratio."""

    outcome: Outcome
    items: int
    llr: float


def decide(rules: SequentialRules, answers: Sequence[bool]) -> Decision:
    """The test's decision on right/wrong answers in the order given. Answers past the point
    where it decided are not used, so a regrade re-runs it on the same answers alike."""
    bounds = boundaries(rules)
    right = items = 0
    for items, answer in enumerate(answers[:rules.max_items], start=1):
        right += bool(answer)
        if right >= bounds.pass_at[items]:
            return Decision(Outcome.PASS, items, bounds.llr(items, right))
        if right <= bounds.fail_at[items]:
            return Decision(Outcome.FAIL, items, bounds.llr(items, right))
    return Decision(Outcome.CONTINUE, items, bounds.llr(items, right))


@dataclass(frozen=True)
class _Flow:
    """Per accuracy (rows) and item n (columns): the probability the test passes or fails at
    exactly n, and the undecided mass at n that a cut there would pass."""

    passed: np.ndarray
    failed: np.ndarray
    cut_passes: np.ndarray


def _flow(p: np.ndarray, pass_at: np.ndarray, fail_at: np.ndarray,
          cut_at: np.ndarray | None = None) -> _Flow:
    """Carry the probability of every undecided (items, right) state forward item by item."""
    steps = len(pass_at) - 1
    shape = (len(p), steps + 1)
    undecided = np.zeros(shape)
    undecided[:, 0] = 1.0
    passed, failed, cut_passes = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    p, q = p[:, None], 1 - p[:, None]
    for n in range(1, steps + 1):
        moved = undecided[:, :n] * p + undecided[:, 1:n + 1] * q  # k >= 1 right after n items
        undecided[:, 0] *= q[:, 0]
        undecided[:, 1:n + 1] = moved
        top, bottom = pass_at[n], fail_at[n] + 1
        passed[:, n] = undecided[:, top:n + 1].sum(axis=1)
        failed[:, n] = undecided[:, :bottom].sum(axis=1)
        undecided[:, top:n + 1] = 0.0
        undecided[:, :bottom] = 0.0
        if cut_at is not None:
            cut_passes[:, n] = undecided[:, cut_at[n]:n + 1].sum(axis=1)
    return _Flow(passed, failed, cut_passes)


@dataclass(frozen=True)
class Characteristics:
    """How the test treats a trainee of true accuracy `accuracy`. `stopping[n]` is the
    probability that it decides after exactly n items (n = 0..max_items; it sums to 1)."""

    accuracy: float
    pass_probability: float
    expected_items: float
    items_p95: int  # the fewest n by which the test has decided with probability 0.95
    stopping: np.ndarray


def characteristics(rules: SequentialRules,
                    accuracies: Sequence[float] | np.ndarray) -> list[Characteristics]:
    """The exact operating characteristics of `rules` at each true accuracy."""
    p = np.asarray(accuracies, dtype=float).reshape(-1)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"accuracies must lie between 0 and 1 (got {p.tolist()})")
    bounds = boundaries(rules)
    flow = _flow(p, bounds.pass_at, bounds.fail_at)
    stopping = flow.passed + flow.failed
    expected = stopping @ np.arange(rules.max_items + 1)
    p95 = np.argmax(np.cumsum(stopping, axis=1) >= PERCENTILE - 1e-12, axis=1)
    return [Characteristics(accuracy=float(p[i]), pass_probability=float(flow.passed[i].sum()),
                            expected_items=float(expected[i]), items_p95=int(p95[i]),
                            stopping=stopping[i])
            for i in range(len(p))]


@dataclass(frozen=True)
class FixedTest:
    """A fixed-length exam: `items` items, passed with at least `cut` right."""

    items: int
    cut: int
    pass_rate_p0: float
    pass_rate_p1: float


def fixed_equivalent(rules: SequentialRules) -> FixedTest:
    """The shortest fixed binomial test with pass rate at most alpha at p0 and at least
    1 - beta at p1, with its cut; what the sequential test is weighed against."""
    n = np.arange(1, FIXED_ITEMS_CAP + 1)
    # the fewest right answers whose chance at p0 is at most alpha: cdf(cut - 1) >= 1 - alpha
    cuts = binom.ppf(1 - rules.alpha, n, rules.p0).astype(int) + 1
    power = binom.sf(cuts - 1, n, rules.p1)
    enough = np.flatnonzero(power >= 1 - rules.beta)
    if len(enough) == 0:
        raise RulesError("p1", f"p0 and p1 are too close: no fixed test of up to "
                               f"{FIXED_ITEMS_CAP} items tells them apart")
    i = enough[0]
    return FixedTest(items=int(n[i]), cut=int(cuts[i]),
                     pass_rate_p0=float(binom.sf(cuts[i] - 1, n[i], rules.p0)),
                     pass_rate_p1=float(power[i]))


@dataclass(frozen=True)
class Truncation:
    """A max_items chosen for rules, and how truncating there moves the error rates: the
    nominal ones Wald's boundaries aim at, the actual ones of the test run to the
    MAX_ITEMS_CAP-item cap (untruncated, for practical purposes), and those of `rules`."""

    rules: SequentialRules
    nominal_alpha: float
    nominal_beta: float
    untruncated_alpha: float
    untruncated_beta: float
    alpha: float  # pass rate at p0 of the truncated test
    beta: float  # fail rate at p1 of the truncated test


def choose_max_items(rules: SequentialRules) -> Truncation:
    """The smallest max_items (from min_items up) at which the truncated test, with the rules'
    cut, still passes at most alpha at p0 and at least 1 - beta at p1. Wald's boundaries only
    approximate alpha and beta, so some settings miss them even untruncated: RulesError."""
    cap = MAX_ITEMS_CAP
    long = replace(rules, max_items=cap)
    pass_at, fail_at = _wald_numbers(long)
    flow = _flow(np.array([rules.p0, rules.p1]), pass_at, fail_at, _cut_counts(long))
    pass_rate = np.cumsum(flow.passed, axis=1) + flow.cut_passes  # truncated after n items
    alpha, beta = pass_rate[0], 1 - pass_rate[1]
    keeps = (alpha <= rules.alpha) & (beta <= rules.beta)
    keeps[:rules.min_items] = False
    if not keeps.any():
        raise RulesError("max_items", f"no maximum up to {cap} items keeps the error rates: "
                                      f"at {cap} items they are alpha {alpha[cap]:.4f}, "
                                      f"beta {beta[cap]:.4f}; ask for a smaller alpha or beta, "
                                      f"or p0 and p1 further apart")
    n = int(np.argmax(keeps))
    return Truncation(rules=replace(rules, max_items=n),
                      nominal_alpha=rules.alpha, nominal_beta=rules.beta,
                      untruncated_alpha=float(alpha[cap]), untruncated_beta=float(beta[cap]),
                      alpha=float(alpha[n]), beta=float(beta[n]))
