"""Dropout and at-risk states across time, with an injected clock."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from graders.activity import Stage
from graders.dropout import (
    CohortPractice,
    Enrolment,
    Risk,
    State,
    accuracy_z,
    dropout_status,
)

ENROLLED = datetime(2026, 3, 2, 9, tzinfo=UTC)
DAY = timedelta(days=1)


def at(days: float) -> datetime:
    return ENROLLED + days * DAY


def test_an_inactive_trainee_goes_at_risk_after_half_the_window_then_drops():
    trainee = Enrolment(ENROLLED, last_activity=at(1), stage=Stage.READING)
    timeline = {
        1: State.ACTIVE,
        4.5: State.ACTIVE,  # inactive exactly half the window: not yet
        4.6: State.AT_RISK,
        7.9: State.AT_RISK,
        8: State.DROPPED,  # last activity + 7 days
        30: State.DROPPED,
    }
    for day, state in timeline.items():
        status = dropout_status(trainee, at(day))
        assert status.state is state, day
        assert status.stage is Stage.READING
    at_risk = dropout_status(trainee, at(5))
    assert at_risk.risks == (Risk.INACTIVE,) and at_risk.drops_at == at(8)
    assert at_risk.inactive_for == 4 * DAY and at_risk.dropped_at is None
    dropped = dropout_status(trainee, at(30))
    assert dropped.dropped_at == at(8) and dropped.drops_at is None
    assert dropped.inactive_for == 29 * DAY


def test_a_trainee_who_never_did_anything_drops_a_window_after_enrolment():
    trainee = Enrolment(ENROLLED)
    assert dropout_status(trainee, at(6)).state is State.AT_RISK
    dropped = dropout_status(trainee, at(7))
    assert (dropped.state, dropped.dropped_at, dropped.stage) == (
        State.DROPPED, at(7), Stage.ENROLLED)


def test_a_trainee_who_comes_back_is_active_again():
    before = Enrolment(ENROLLED, last_activity=at(1))
    assert dropout_status(before, at(10)).state is State.DROPPED
    back = Enrolment(ENROLLED, last_activity=at(10), stage=Stage.PRACTISING)
    status = dropout_status(back, at(10.5))
    assert (status.state, status.dropped_at, status.drops_at) == (State.ACTIVE, None, at(17))
    assert dropout_status(back, at(17)).state is State.DROPPED  # and may drop again


def test_withdrawn_from_the_withdrawal_time_unless_back_afterwards():
    trainee = Enrolment(ENROLLED, last_activity=at(2), withdrawn_at=at(2))
    assert dropout_status(trainee, at(1.5)).state is State.ACTIVE  # before withdrawing
    status = dropout_status(trainee, at(2))
    assert (status.state, status.dropped_at, status.drops_at) == (
        State.WITHDRAWN, at(2), None)
    assert dropout_status(trainee, at(40)).state is State.WITHDRAWN  # not "dropped" later
    back = Enrolment(ENROLLED, last_activity=at(3), withdrawn_at=at(2))
    assert dropout_status(back, at(3.5)).state is State.ACTIVE


def test_a_qualified_trainee_is_never_dropped():
    trainee = Enrolment(ENROLLED, last_activity=at(3), qualified_at=at(3),
                        stage=Stage.QUALIFIED, practice_answers=50, practice_correct=5)
    cohort = CohortPractice(answers=1000, correct=800)
    for day in (3, 6, 10, 365):
        status = dropout_status(trainee, at(day), cohort=cohort)
        assert status.state is State.QUALIFIED
        assert status.dropped_at is None and status.risks == ()
    # Before the qualification date (a backfill, say) the usual rules apply.
    assert dropout_status(trainee, at(2.9)).state is State.ACTIVE
    # Qualification wins over an earlier withdrawal, too.
    rejoined = Enrolment(ENROLLED, withdrawn_at=at(1), last_activity=at(4), qualified_at=at(4))
    assert dropout_status(rejoined, at(20)).state is State.QUALIFIED


def test_at_risk_for_practice_accuracy_far_below_the_rest_of_the_cohort():
    # Everyone else: 800 of 1000 right (0.8). The trainee: 12 of 20 (0.6).
    # z = (0.6 - 0.8) / sqrt(0.8 * 0.2 / 20) = -0.2 / 0.08944 = -2.236 < -2: at risk.
    cohort = CohortPractice(answers=1020, correct=812)
    weak = Enrolment(ENROLLED, last_activity=at(1), practice_answers=20, practice_correct=12)
    status = dropout_status(weak, at(1.5), cohort=cohort)
    assert status.accuracy_z == pytest.approx(-0.2 / math.sqrt(0.8 * 0.2 / 20))
    assert (status.state, status.risks) == (State.AT_RISK, (Risk.ACCURACY,))
    # 14 of 20 (0.7): z = -0.1 / 0.08944 = -1.118, within noise.
    fair = Enrolment(ENROLLED, last_activity=at(1), practice_answers=20, practice_correct=14)
    assert dropout_status(fair, at(1.5), cohort=CohortPractice(1020, 814)).state is State.ACTIVE
    # Both reasons at once.
    both = dropout_status(weak, at(5), cohort=cohort)
    assert both.risks == (Risk.INACTIVE, Risk.ACCURACY)
    # Without the cohort, only inactivity counts.
    assert dropout_status(weak, at(1.5)).state is State.ACTIVE


def test_too_few_answers_say_nothing_about_accuracy():
    cohort = CohortPractice(answers=1009, correct=800)
    few = Enrolment(ENROLLED, last_activity=at(1), practice_answers=9, practice_correct=0)
    status = dropout_status(few, at(1.5), cohort=cohort)
    assert status.accuracy_z is None and status.state is State.ACTIVE
    assert accuracy_z(9, 0, cohort, min_answers=5) is not None


def test_accuracy_needs_a_cohort_with_spread():
    assert accuracy_z(20, 10, CohortPractice(20, 10)) is None  # nobody else
    assert accuracy_z(20, 10, CohortPractice(120, 110)) is None  # everyone else all right
    with pytest.raises(ValueError):
        accuracy_z(5, 6, None)


def test_naive_datetimes_and_empty_windows_are_refused():
    with pytest.raises(ValueError, match="naive"):
        dropout_status(Enrolment(ENROLLED), datetime(2026, 3, 3))  # noqa: DTZ001
    with pytest.raises(ValueError, match="window"):
        dropout_status(Enrolment(ENROLLED), at(1), window=timedelta(0))


def test_the_window_is_set_per_course():
    trainee = Enrolment(ENROLLED, last_activity=at(1))
    assert dropout_status(trainee, at(4), window=3 * DAY).state is State.DROPPED
    assert dropout_status(trainee, at(4), window=14 * DAY).state is State.ACTIVE
