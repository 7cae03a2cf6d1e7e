"""Active time from event gaps, per-day totals, and the stage reached."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from graders.activity import (
    Stage,
    active_time,
    credited_gap,
    per_week,
    stage_reached,
)

MIN = timedelta(minutes=1)


def at(hour: int, minute: int = 0, second: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(("gap", "credit"), [
    (0 * MIN, 0 * MIN),
    (3 * MIN, 3 * MIN),  # counted in full
    (5 * MIN, 5 * MIN),
    (12 * MIN, 5 * MIN),  # probably still there: the cap
    (30 * MIN, 5 * MIN),
    (31 * MIN, 0 * MIN),  # left: a new session
])
def test_each_gap_is_capped_and_a_long_gap_counts_nothing(gap, credit):
    assert credited_gap(gap) == credit


def test_active_time_sums_the_credited_gaps():
    events = [at(9), at(9, 2), at(9, 4), at(9, 20), at(9, 21),  # 2 + 2 + 5 + 1 = 10 min
              at(11), at(11, 3)]  # new session after 99 min: + 3 = 13 min
    activity = active_time(reversed(events))  # any order
    assert activity.active == 13 * MIN
    assert (activity.sessions, activity.events) == (2, 7)
    assert (activity.first, activity.last) == (at(9), at(11, 3))
    assert activity.per_day == ((date(2026, 3, 2), 13 * MIN),)


def test_no_events_and_one_event():
    empty = active_time([])
    assert (empty.active, empty.sessions, empty.first, empty.per_day) == (
        timedelta(0), 0, None, ())
    single = active_time([at(9)])
    assert (single.active, single.sessions, single.first, single.last) == (
        timedelta(0), 1, at(9), at(9))
    assert single.per_day == ((date(2026, 3, 2), timedelta(0)),)


def test_duplicate_events_add_nothing():
    assert active_time([at(9), at(9), at(9, 1)]).active == MIN


def test_a_gap_across_midnight_is_split_between_the_utc_days():
    events = [at(23, 58), at(0, 1, day=3), at(0, 4, day=3)]  # 3 min, then 3 min
    activity = active_time(events)
    assert activity.active == 6 * MIN
    assert activity.per_day == ((date(2026, 3, 2), 2 * MIN), (date(2026, 3, 3), 4 * MIN))


def test_times_in_other_zones_are_counted_in_utc():
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2026, 3, 3, 1, 0, tzinfo=plus_two)  # 23:00 UTC on the 2nd
    activity = active_time([local, local + 4 * MIN])
    assert activity.per_day == ((date(2026, 3, 2), 4 * MIN),)
    assert activity.first == at(23)


def test_caps_can_be_chosen_but_must_make_sense():
    events = [at(9), at(9, 10)]
    assert active_time(events, cap=15 * MIN).active == 10 * MIN
    assert active_time(events, cap=2 * MIN, session_gap=5 * MIN).active == timedelta(0)
    with pytest.raises(ValueError):
        active_time(events, cap=40 * MIN)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        active_time([datetime(2026, 3, 2, 9)])  # noqa: DTZ001


def test_per_week_sums_days_into_iso_weeks():
    days = [(date(2026, 3, 1), 10 * MIN),  # a Sunday
            (date(2026, 3, 2), 20 * MIN),  # Monday of the next week
            (date(2026, 3, 8), 5 * MIN)]
    assert per_week(days) == ((date(2026, 2, 23), 10 * MIN), (date(2026, 3, 2), 25 * MIN))


def test_stage_reached_from_flags():
    assert stage_reached() is Stage.ENROLLED
    assert stage_reached(opened_manual=True) is Stage.READING
    assert stage_reached(opened_manual=True, practised=True) is Stage.PRACTISING
    assert stage_reached(examined=True) is Stage.EXAMINED  # an exam-only course
    assert stage_reached(examined=True, failed=True) is Stage.FAILED
    assert stage_reached(examined=True, failed=True, qualified=True) is Stage.QUALIFIED


def test_stages_are_ordered_and_stored_as_text():
    assert Stage.ENROLLED < Stage.READING < Stage.PRACTISING < Stage.EXAMINED < Stage.QUALIFIED
    assert Stage.QUALIFIED < Stage.FAILED and Stage.FAILED >= Stage.EXAMINED
    assert Stage.READING <= Stage.READING and Stage.READING > Stage.ENROLLED
    assert Stage("practising") is Stage.PRACTISING and str(Stage.FAILED) == "failed"
    assert sorted([Stage.FAILED, Stage.ENROLLED, Stage.EXAMINED]) == [
        Stage.ENROLLED, Stage.EXAMINED, Stage.FAILED]


def test_reached_for_the_funnel():
    assert Stage.FAILED.reached(Stage.EXAMINED) and Stage.QUALIFIED.reached(Stage.EXAMINED)
    assert not Stage.FAILED.reached(Stage.QUALIFIED)
    assert not Stage.QUALIFIED.reached(Stage.FAILED)
    assert Stage.PRACTISING.reached(Stage.READING) and not Stage.READING.reached(Stage.EXAMINED)
    assert Stage.ENROLLED.reached(Stage.ENROLLED)
