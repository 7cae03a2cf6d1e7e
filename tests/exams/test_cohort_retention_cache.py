"""The course page remembers the curves of a settled group (everyone left or qualified: its
observations no longer change), and computes those of a group with trainees still in it."""

from __future__ import annotations

from exams.services import cohort_stats
from graders.retention import Observation, Outcome, retention

SETTLED = (Observation(3.0, Outcome.DROPPED), Observation(5.5, Outcome.QUALIFIED),
           Observation(9.0, Outcome.DROPPED), Observation(2.0, Outcome.DROPPED),
           Observation(6.0, Outcome.QUALIFIED))


def test_a_settled_group_is_computed_once_and_equals_graders_retention():
    first = cohort_stats._retention(SETTLED)
    assert first == retention(SETTLED)
    assert cohort_stats._retention(tuple(SETTLED)) is first


def test_a_group_with_someone_still_in_it_is_computed_each_time():
    moving = (*SETTLED, Observation(12.0, Outcome.CENSORED))
    first = cohort_stats._retention(moving)
    assert first == retention(moving)
    assert cohort_stats._retention(moving) is not first


def test_someone_coming_back_is_a_new_key():
    back = (Observation(4.0, Outcome.DROPPED), *SETTLED[1:])
    assert cohort_stats._retention(back) == retention(back) != cohort_stats._retention(SETTLED)
