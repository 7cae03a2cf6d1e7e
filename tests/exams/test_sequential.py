"""Sequential exams (exams/sequential.py): Wald's boundaries, decisions, validation, and the
exact operating characteristics checked by enumeration, by Monte Carlo and against the issue's
example (p0 0.70, p1 0.85, 5% error each way)."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

from exams.sequential import (
    MAX_ITEMS_CAP,
    Decision,
    Outcome,
    RulesError,
    SequentialRules,
    boundaries,
    characteristics,
    choose_max_items,
    decide,
    even_share,
    fixed_equivalent,
)

EXAMPLE = SequentialRules()  # the issue's example; its max_items is the chosen truncation
RIGHT, WRONG = math.log(0.85 / 0.70), math.log(0.15 / 0.30)


def test_boundaries_of_the_example():
    bounds = boundaries(EXAMPLE)
    assert bounds.upper == pytest.approx(math.log(19))  # log(0.95 / 0.05)
    assert bounds.lower == pytest.approx(-math.log(19))
    assert (bounds.right, bounds.wrong) == pytest.approx((RIGHT, WRONG))
    # 15 right answers lift the ratio to 2.91 < log 19 = 2.94; 16 to 3.11
    assert bounds.pass_at[15] == 16 and bounds.pass_at[16] == 16
    # after 10 items: 4 right is -3.38 <= -2.94, 5 right is -2.50
    assert bounds.fail_at[10] == 4
    assert bounds.fail_at[9] == -1 and bounds.pass_at[9] == 10  # min_items is 10


def test_pass_and_fail_numbers_are_walds_lines():
    """k >= (A + n log 2) / span and k <= (B + n log 2) / span: two parallel lines of slope
    equal to the even share, between n = min_items and the last item before the cut (n + 1
    right answers, or -1, where the line is out of reach)."""
    bounds = boundaries(EXAMPLE)
    span = RIGHT - WRONG
    n = np.arange(EXAMPLE.min_items, EXAMPLE.max_items)
    assert even_share(0.70, 0.85) == pytest.approx(-WRONG / span)
    passing = np.minimum(np.ceil((math.log(19) - n * WRONG) / span), n + 1)
    assert np.array_equal(bounds.pass_at[n], passing)
    assert bounds.pass_at[10] == 11  # the line asks 12 of 10
    assert np.array_equal(bounds.fail_at[n], np.floor((-math.log(19) - n * WRONG) / span))


def test_sixteen_right_answers_pass():
    decision = decide(EXAMPLE, [True] * 20)
    assert decision.outcome == Outcome.PASS
    assert decision.items == 16  # the four after the decision are not used
    assert decision.llr == pytest.approx(16 * RIGHT)


def test_fifteen_right_answers_are_not_enough_yet():
    decision = decide(EXAMPLE, [True] * 15)
    assert (decision.outcome, decision.items) == (Outcome.CONTINUE, 15)
    assert decision.llr == pytest.approx(15 * RIGHT)


def test_no_decision_before_min_items():
    wrong = [False] * 10
    assert decide(replace(EXAMPLE, min_items=1), wrong).items == 5  # 5 * log 2 >= log 19
    at_ten = decide(EXAMPLE, wrong)
    assert (at_ten.outcome, at_ten.items) == (Outcome.FAIL, 10)
    assert decide(EXAMPLE, wrong[:9]).outcome == Outcome.CONTINUE


def test_six_wrong_of_ten_fail():
    decision = decide(EXAMPLE, [True, False] * 4 + [False, False])
    assert (decision.outcome, decision.items) == (Outcome.FAIL, 10)
    assert decision.llr == pytest.approx(4 * RIGHT + 6 * WRONG)


@pytest.mark.parametrize(("right", "outcome"), [(16, Outcome.PASS), (15, Outcome.FAIL)])
def test_the_cut_decides_at_max_items(right, outcome):
    """20 items, never near a boundary: 16 right of 20 (0.80) is above the even share 0.78."""
    rules = replace(EXAMPLE, max_items=20)
    answers = [True] * right + [False] * (20 - right)
    answers = [answers[(7 * i) % 20] for i in range(20)]  # spread the wrong answers out
    assert decide(replace(rules, max_items=21), answers).outcome == Outcome.CONTINUE
    decision = decide(rules, answers + [True] * 5)
    assert (decision.outcome, decision.items) == (outcome, 20)


def test_a_cut_of_p1_fails_what_the_even_share_passes():
    answers = [[True, True, True, True, False][i % 5] for i in range(20)]  # 16 of 20
    assert decide(replace(EXAMPLE, max_items=20), answers).outcome == Outcome.PASS
    assert decide(replace(EXAMPLE, max_items=20, cut=0.85), answers).outcome == Outcome.FAIL


def test_no_answers_continue():
    assert decide(EXAMPLE, []) == Decision(Outcome.CONTINUE, 0, 0.0)


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"p0": 0.0}, "p0", "between 0 and 1"),
    ({"p1": 1.0}, "p1", "between 0 and 1"),
    ({"p0": 0.9, "p1": 0.8}, "p1", "above p0"),
    ({"p0": 0.8, "p1": 0.8}, "p1", "above p0"),
    ({"alpha": 0.5}, "alpha", "between 0 and 0.5"),
    ({"alpha": 0}, "alpha", "between 0 and 0.5"),
    ({"beta": -0.1}, "beta", "between 0 and 0.5"),
    ({"min_items": 0}, "min_items", "at least 1"),
    ({"min_items": 2.5}, "min_items", "whole number"),
    ({"max_items": MAX_ITEMS_CAP + 1}, "max_items", f"at most {MAX_ITEMS_CAP}"),
    ({"max_items": True}, "max_items", "whole number"),
    ({"min_items": 30, "max_items": 20}, "max_items", "at least min_items"),
    ({"cut": 0.9}, "cut", "between p0 and p1"),
])
def test_rules_out_of_bounds_name_the_field(changes, field, words):
    with pytest.raises(RulesError, match=words) as raised:
        replace(EXAMPLE, **changes)
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: ")


def test_characteristics_match_enumerating_every_answer_sequence():
    """All 2^12 sequences, each weighed by its probability and decided by `decide`."""
    rules = SequentialRules(p0=0.5, p1=0.8, alpha=0.1, beta=0.1, min_items=3, max_items=12)
    for p in (0.4, 0.65, 0.9):
        passing, stopping = 0.0, np.zeros(13)
        for answers in itertools.product((True, False), repeat=12):
            right = sum(answers)
            weight = p ** right * (1 - p) ** (12 - right)
            decision = decide(rules, answers)
            passing += weight * (decision.outcome == Outcome.PASS)
            stopping[decision.items] += weight
        (exact,) = characteristics(rules, [p])
        assert exact.pass_probability == pytest.approx(passing, abs=1e-12)
        assert np.allclose(exact.stopping, stopping, atol=1e-12)
        assert stopping[:3].sum() == 0 and stopping[3] > 0


def simulate(rules: SequentialRules, p: float, trainees: int, seed: int):
    """Monte Carlo trainees walking the log-likelihood ratio itself (not the pass and fail
    numbers the exact computation uses): (passed, items) per trainee."""
    rng = np.random.default_rng(seed)
    upper = math.log((1 - rules.beta) / rules.alpha)
    lower = math.log(rules.beta / (1 - rules.alpha))
    step_right = math.log(rules.p1 / rules.p0)
    step_wrong = math.log((1 - rules.p1) / (1 - rules.p0))
    right = np.zeros(trainees, dtype=int)
    items = np.zeros(trainees, dtype=int)
    passed = np.zeros(trainees, dtype=bool)
    for n in range(1, rules.max_items + 1):
        right += rng.random(trainees) < p
        llr = right * step_right + (n - right) * step_wrong
        if n == rules.max_items:
            verdict = np.full(trainees, True)
            up = (llr >= upper) | ((llr > lower) & (right >= rules.cut_share * n))
        elif n >= rules.min_items:
            up, verdict = llr >= upper, (llr >= upper) | (llr <= lower)
        else:
            continue
        newly = verdict & (items == 0)
        items[newly], passed[newly] = n, up[newly]
    return passed, items


@pytest.mark.parametrize(("rules", "accuracies"), [
    (EXAMPLE, (0.70, 0.78, 0.85)),
    (SequentialRules(p0=0.6, p1=0.8, alpha=0.1, beta=0.05, min_items=5, max_items=40),
     (0.6, 0.7, 0.8)),
    (SequentialRules(p0=0.85, p1=0.95, alpha=0.05, beta=0.1, min_items=20, max_items=150,
                     cut=0.92), (0.85, 0.9, 0.95)),
])
def test_exact_characteristics_agree_with_a_simulation_of_100000_trainees(rules, accuracies):
    trainees = 100_000
    for seed, exact in enumerate(characteristics(rules, accuracies)):
        passed, items = simulate(rules, exact.accuracy, trainees, seed)
        p = exact.pass_probability
        assert abs(passed.mean() - p) <= 4 * math.sqrt(p * (1 - p) / trainees)
        n = np.arange(rules.max_items + 1)
        sd = math.sqrt(exact.stopping @ (n - exact.expected_items) ** 2)
        assert abs(items.mean() - exact.expected_items) <= 4 * sd / math.sqrt(trainees)
        # Dvoretzky-Kiefer-Wolfowitz: the whole distribution, wrong with chance under 1e-4
        simulated = np.cumsum(np.bincount(items, minlength=len(n))) / trainees
        exact_cdf = np.cumsum(exact.stopping)
        assert np.abs(simulated - exact_cdf).max() <= math.sqrt(
            math.log(2 / 1e-4) / (2 * trainees))
        assert exact_cdf[exact.items_p95] >= 0.95 > exact_cdf[exact.items_p95 - 1]


def test_the_example_keeps_its_error_rates_and_saves_items():
    at_p0, at_p1 = characteristics(EXAMPLE, [0.70, 0.85])
    assert at_p0.pass_probability <= 0.05
    assert at_p1.pass_probability >= 0.95
    fixed = fixed_equivalent(EXAMPLE)
    assert fixed.items == 85 and fixed.cut == 67
    assert at_p0.expected_items <= 0.6 * fixed.items
    assert at_p1.expected_items <= 0.6 * fixed.items
    assert at_p0.expected_items == pytest.approx(40.31, abs=0.01)
    assert at_p1.expected_items == pytest.approx(45.17, abs=0.01)
    assert (at_p0.items_p95, at_p1.items_p95) == (101, 103)


def test_the_exact_counts_exceed_the_issues_approximations():
    """The issue's 37-43 items are Wald's approximations, which ignore how far the ratio
    overshoots a boundary, and its 80 is the normal approximation of the binomial test."""
    a = math.log(19)
    drift = {p: p * RIGHT + (1 - p) * WRONG for p in (0.70, 0.85)}
    wald = {0.70: (0.95 * -a + 0.05 * a) / drift[0.70], 0.85: (0.95 * a - 0.05 * a) / drift[0.85]}
    assert wald[0.70] == pytest.approx(36.8, abs=0.1)
    assert wald[0.85] == pytest.approx(43.4, abs=0.1)
    untruncated = characteristics(replace(EXAMPLE, max_items=MAX_ITEMS_CAP), [0.70, 0.85])
    assert all(c.expected_items > wald[c.accuracy] for c in untruncated)
    z = 1.6448536
    normal = ((z * math.sqrt(0.7 * 0.3) + z * math.sqrt(0.85 * 0.15)) / 0.15) ** 2
    assert round(normal) == 80 < fixed_equivalent(EXAMPLE).items


def test_fixed_equivalent_is_the_shortest_binomial_test():
    fixed = fixed_equivalent(EXAMPLE)
    assert binom.sf(fixed.cut - 1, fixed.items, 0.70) == pytest.approx(fixed.pass_rate_p0)
    assert fixed.pass_rate_p0 <= 0.05 < binom.sf(fixed.cut - 2, fixed.items, 0.70)
    assert fixed.pass_rate_p1 >= 0.95
    for n in range(1, fixed.items):
        cuts = np.arange(n + 2)
        keeps = (binom.sf(cuts - 1, n, 0.70) <= 0.05) & (binom.sf(cuts - 1, n, 0.85) >= 0.95)
        assert not keeps.any()


def test_fixed_equivalent_refuses_levels_too_close():
    with pytest.raises(RulesError, match="too close"):
        fixed_equivalent(replace(EXAMPLE, p0=0.80, p1=0.81))


def test_the_chosen_truncation_is_the_shortest_that_keeps_the_error_rates():
    truncation = choose_max_items(EXAMPLE)
    assert truncation.rules == EXAMPLE  # the default max_items, 123, is this choice
    assert (truncation.nominal_alpha, truncation.nominal_beta) == (0.05, 0.05)
    at_p0, at_p1 = characteristics(truncation.rules, [0.70, 0.85])
    assert truncation.alpha == pytest.approx(at_p0.pass_probability, abs=1e-12)
    assert truncation.beta == pytest.approx(1 - at_p1.pass_probability, abs=1e-12)
    # truncation raises both error rates above those of the test run without a maximum
    assert truncation.untruncated_alpha < truncation.alpha <= 0.05
    assert truncation.untruncated_beta < truncation.beta <= 0.05
    shorter = characteristics(replace(EXAMPLE, max_items=122), [0.70, 0.85])
    assert shorter[0].pass_probability > 0.05 or shorter[1].pass_probability < 0.95


@pytest.mark.parametrize("rules", [
    replace(EXAMPLE, beta=0.30),  # Wald's boundaries overshoot alpha: 0.0519 at 500 items
    SequentialRules(p0=0.50, p1=0.52, alpha=0.05, beta=0.05),  # 500 items are too few
])
def test_no_truncation_keeps_error_rates_the_test_misses_anyway(rules):
    (at_p0,) = characteristics(replace(rules, max_items=MAX_ITEMS_CAP), [rules.p0])
    assert at_p0.pass_probability > rules.alpha
    with pytest.raises(RulesError, match="no maximum up to 500 items keeps") as raised:
        choose_max_items(rules)
    assert raised.value.field == "max_items"


def test_accuracies_outside_zero_to_one_are_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        characteristics(EXAMPLE, [0.5, 1.2])


@st.composite
def sequential_rules(draw) -> SequentialRules:
    p0 = draw(st.floats(0.05, 0.9))
    p1 = draw(st.floats(p0 + 0.02, min(0.98, p0 + 0.4)))
    min_items = draw(st.integers(1, 20))
    return SequentialRules(p0=p0, p1=p1, alpha=draw(st.floats(0.01, 0.3)),
                           beta=draw(st.floats(0.01, 0.3)), min_items=min_items,
                           max_items=draw(st.integers(min_items, 80)))


@settings(max_examples=60, deadline=None)
@given(sequential_rules(), st.lists(st.floats(0, 1), min_size=2, max_size=6, unique=True))
def test_probabilities_sum_to_one_and_passing_rises_with_accuracy(rules, accuracies):
    found = characteristics(rules, sorted(accuracies))
    for c in found:
        assert c.stopping.sum() == pytest.approx(1, abs=1e-9)
        assert 0 <= c.pass_probability <= 1 + 1e-12
        assert rules.min_items <= c.items_p95 <= rules.max_items
    passing = [c.pass_probability for c in found]
    assert all(low <= high + 1e-12 for low, high in itertools.pairwise(passing))


@settings(max_examples=60, deadline=None)
@given(sequential_rules(), st.lists(st.booleans(), max_size=90))
def test_decide_follows_the_ratio_walk(rules, answers):
    """The pass and fail numbers stop where the ratio itself crosses a boundary."""
    decision = decide(rules, answers)
    assert (decision.outcome, decision.items) == ratio_walk(rules, answers)


def ratio_walk(rules: SequentialRules, answers: list[bool]) -> tuple[Outcome, int]:
    """Wald's test as the textbook states it, answer by answer on the ratio."""
    bounds, llr = boundaries(rules), 0.0
    for n, answer in enumerate(answers[:rules.max_items], start=1):
        llr += bounds.right if answer else bounds.wrong
        if n >= rules.min_items and (llr >= bounds.upper or llr <= bounds.lower):
            return (Outcome.PASS if llr > 0 else Outcome.FAIL), n
        if n == rules.max_items:
            passes = sum(answers[:n]) >= rules.cut_share * n
            return (Outcome.PASS if passes else Outcome.FAIL), n
    return Outcome.CONTINUE, min(len(answers), rules.max_items)


@settings(max_examples=25, deadline=None)
@given(sequential_rules())
def test_a_chosen_truncation_has_the_error_rates_it_reports(rules):
    try:
        truncation = choose_max_items(rules)
    except RulesError as error:  # settings the test misses even without a maximum
        assert error.field == "max_items"
        return
    at_p0, at_p1 = characteristics(truncation.rules, [rules.p0, rules.p1])
    assert truncation.alpha == pytest.approx(at_p0.pass_probability, abs=1e-12)
    assert truncation.beta == pytest.approx(1 - at_p1.pass_probability, abs=1e-12)
    assert truncation.alpha <= rules.alpha and truncation.beta <= rules.beta
    assert truncation.rules.max_items >= rules.min_items
