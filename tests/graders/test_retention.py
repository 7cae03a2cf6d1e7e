"""Kaplan–Meier retention against tables worked by hand, and its edge cases."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from scipy import stats

from graders.dropout import Enrolment, dropout_status
from graders.retention import Observation, Outcome, kaplan_meier, observation, retention

# Ten trainees, days since enrolment; "+" marks a censored trainee (qualified or still there).
#   1, 2+, 3, 3, 4+, 5, 6+, 7, 8, 8+
# The Kaplan–Meier table (n at risk just before t, d events at t, S = product of (1 - d/n)):
#   t   n   d   1 - d/n   S(t)
#   1  10   1    9/10     0.9
#   2   9   0      1      0.9        (one censored)
#   3   8   2    6/8      0.675
#   4   6   0      1      0.675      (one censored)
#   5   5   1    4/5      0.54
#   6   4   0      1      0.54       (one censored)
#   7   3   1    2/3      0.36
#   8   2   1    1/2      0.18       (the trainee censored at 8 was still at risk at 8)
# Median: the first t with S(t) <= 0.5 is 7.
TIMES = [1, 2, 3, 3, 4, 5, 6, 7, 8, 8]
EVENTS = [True, False, True, True, False, True, False, True, True, False]
TABLE = [  # t, n, d, S
    (1, 10, 1, 0.9), (2, 9, 0, 0.9), (3, 8, 2, 0.675), (4, 6, 0, 0.675), (5, 5, 1, 0.54),
    (6, 4, 0, 0.54), (7, 3, 1, 0.36), (8, 2, 1, 0.18),
]


def test_kaplan_meier_matches_the_table_worked_by_hand():
    curve = kaplan_meier(TIMES, EVENTS)
    assert curve.times == tuple(float(t) for t, _, _, _ in TABLE)
    assert curve.at_risk == tuple(n for _, n, _, _ in TABLE)
    assert curve.events == tuple(d for _, _, d, _ in TABLE)
    assert curve.survival == pytest.approx([s for _, _, _, s in TABLE])
    assert curve.median == 7.0
    assert (curve.subjects, curve.total_events, curve.confidence) == (10, 6, 0.95)


def test_the_band_is_greenwoods_on_the_log_minus_log_scale_worked_by_hand():
    curve = kaplan_meier(TIMES, EVENTS)
    z = stats.norm.ppf(0.975)
    greenwood = 0.0
    for (_t, n, d, s), low, high in zip(TABLE, curve.low, curve.high, strict=True):
        greenwood += d / (n * (n - d))
        # Var(log(-log S)) = sum d / (n (n - d)) / (log S)^2; band S^exp(+-z se).
        se = math.sqrt(greenwood) / abs(math.log(s))
        assert low == pytest.approx(s ** math.exp(z * se))
        assert high == pytest.approx(s ** math.exp(-z * se))
    # At t = 3 by hand: sum = 1/90 + 2/48 = 0.052778, log 0.675 = -0.393043,
    # se = sqrt(0.052778) / 0.393043 = 0.58450, band 0.675^3.1444 .. 0.675^0.31803.
    assert curve.low[2] == pytest.approx(0.2906, abs=1e-4)
    assert curve.high[2] == pytest.approx(0.8825, abs=1e-4)


def test_everyone_censored_keeps_the_curve_at_one_with_no_median():
    curve = kaplan_meier([2, 5, 5, 9], [False] * 4)
    assert curve.survival == (1.0, 1.0, 1.0)
    assert curve.median is None and curve.total_events == 0
    assert curve.low == (None, None, None) and curve.high == (None, None, None)


def test_nobody_censored_is_one_minus_the_empirical_distribution_with_ties():
    # 2, 2, 2, 5, 7: S(2) = 2/5, S(5) = 1/5, S(7) = 0.
    curve = kaplan_meier([2, 5, 2, 7, 2], [True] * 5)
    assert curve.times == (2.0, 5.0, 7.0)
    assert curve.survival == pytest.approx([0.4, 0.2, 0.0])
    assert curve.events == (3, 1, 1) and curve.at_risk == (5, 2, 1)
    assert curve.median == 2.0
    assert curve.low[-1] is None and curve.high[-1] is None  # undefined once S = 0
    assert all(value is not None for value in curve.low[:-1])


def test_median_exactly_at_one_half():
    curve = kaplan_meier([1, 2, 3, 4], [True, True, False, False])
    assert curve.survival[:2] == pytest.approx([0.75, 0.5])
    assert curve.median == 2.0


def test_no_trainees_give_an_empty_curve_and_bad_input_is_refused():
    empty = kaplan_meier([], [])
    assert (empty.times, empty.median, empty.subjects) == ((), None, 0)
    with pytest.raises(ValueError, match="same length"):
        kaplan_meier([1, 2], [True])
    with pytest.raises(ValueError, match="negative"):
        kaplan_meier([-1], [True])


def test_retention_uses_dropout_as_the_event_and_qualification_for_the_second_curve():
    observations = [
        Observation(1, Outcome.DROPPED), Observation(2, Outcome.QUALIFIED),
        Observation(3, Outcome.DROPPED), Observation(4, Outcome.CENSORED),
        Observation(5, Outcome.QUALIFIED), Observation(6, Outcome.DROPPED),
    ]
    result = retention(observations)
    # Dropout: 1 (6 at risk) -> 5/6; 3 (4 at risk) -> 5/6 * 3/4 = 5/8; 6 (1 at risk) -> 0.
    assert result.dropout.survival == pytest.approx([5 / 6, 5 / 6, 5 / 8, 5 / 8, 5 / 8, 0])
    assert result.dropout.median == 6.0
    # Qualification: 2 (5 at risk) -> 4/5; 5 (2 at risk) -> 4/5 * 1/2 = 2/5.
    assert result.qualification.survival == pytest.approx([1, 4 / 5, 4 / 5, 4 / 5, 2 / 5, 2 / 5])
    assert result.qualification.median == 5.0
    assert result.qualification.total_events == 2


def test_observations_from_dropout_states():
    enrolled = datetime(2026, 3, 2, 9, tzinfo=UTC)
    now = enrolled + timedelta(days=30)
    dropped = dropout_status(Enrolment(enrolled, last_activity=enrolled + timedelta(days=3)), now)
    assert observation(enrolled, dropped, now) == Observation(10.0, Outcome.DROPPED)
    qualified_at = enrolled + timedelta(days=12, hours=12)
    qualified = dropout_status(Enrolment(enrolled, qualified_at=qualified_at), now)
    assert observation(enrolled, qualified, now, qualified_at) == Observation(
        12.5, Outcome.QUALIFIED)
    with pytest.raises(ValueError, match="qualified_at"):
        observation(enrolled, qualified, now)
    active = dropout_status(Enrolment(enrolled, last_activity=now - timedelta(hours=1)), now)
    assert observation(enrolled, active, now) == Observation(30.0, Outcome.CENSORED)
    withdrawn = dropout_status(
        Enrolment(enrolled, withdrawn_at=enrolled + timedelta(days=1)), now)
    assert observation(enrolled, withdrawn, now) == Observation(1.0, Outcome.DROPPED)


# An independent check on published numbers: Freireich et al. (1963), the 6-MP arm of the
# leukaemia remission trial (weeks in remission; 12 of the 21 patients censored), whose
# Kaplan–Meier table is printed in survival textbooks (Kleinbaum & Klein, "Survival
# Analysis", ch. 2; Collett, "Modelling Survival Data in Medical Research", ch. 2).
RELAPSED = [6, 6, 6, 7, 10, 13, 16, 22, 23]
CENSORED = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
PUBLISHED = [  # t, n at risk, relapses, S(t), Greenwood standard error of S(t)
    (6, 21, 3, 0.8571, 0.0764), (7, 17, 1, 0.8067, 0.0869), (10, 15, 1, 0.7529, 0.0963),
    (13, 12, 1, 0.6902, 0.1068), (16, 11, 1, 0.6275, 0.1141), (22, 7, 1, 0.5378, 0.1282),
    (23, 6, 1, 0.4482, 0.1346),
]


def test_kaplan_meier_matches_the_published_6mp_table():
    curve = kaplan_meier(RELAPSED + CENSORED, [True] * 9 + [False] * 12)
    rows = [row for row in zip(curve.times, curve.at_risk, curve.events, curve.survival,
                               curve.low, strict=True) if row[2]]
    assert [(t, n, d) for t, n, d, _, _ in rows] == [(t, n, d) for t, n, d, _, _ in PUBLISHED]
    assert [s for *_, s, _ in rows] == pytest.approx([s for *_, s, _ in PUBLISHED], abs=5e-5)
    # The band's Greenwood sum, turned back into the standard error of S the tables print.
    z = stats.norm.ppf(0.975)
    for (_, _, _, s, low), (*_, se) in zip(rows, PUBLISHED, strict=True):
        log_log_se = math.log(math.log(low) / math.log(s)) / z
        assert s * abs(math.log(s)) * log_log_se == pytest.approx(se, abs=5e-5)
    assert curve.median == 23.0 and (curve.subjects, curve.total_events) == (21, 9)
