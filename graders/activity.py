"""Active time on task from a trainee's event timestamps, and the stage a trainee has reached.

Pure functions on plain data: aware UTC datetimes in, frozen dataclasses out. The SQL that
gathers a trainee's events (page views, practice answers, saved exam answers) only feeds them.
The rules and their reasons are in docs/statistics.md, "Active time" and "Stages".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

GAP_CAP = timedelta(minutes=5)
SESSION_GAP = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Activity:
    """A trainee's measured time on task.

    `active` is the sum of the credited gaps; `sessions` counts runs of events no more than
    the session gap apart; `per_day` lists each UTC day with an event or credited time, in
    order, with the time credited on that day (a gap that spans midnight is split).
    """

    active: timedelta
    sessions: int
    events: int
    first: datetime | None
    last: datetime | None
    per_day: tuple[tuple[date, timedelta], ...]


def _utc(moment: datetime) -> datetime:
    """`moment` in UTC; naive datetimes are refused, as the database's UTCDateTime does."""
    if moment.tzinfo is UTC:  # what the database gives: no conversion needed
        return moment
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where UTC was expected")
    return moment.astimezone(UTC)


def credited_gap(gap: timedelta, *, cap: timedelta = GAP_CAP,
                 session_gap: timedelta = SESSION_GAP) -> timedelta:
    """The time a gap between two consecutive events counts for.

    Up to `cap` it counts in full; from `cap` to `session_gap` (inclusive) it counts as `cap`,
    since the trainee was probably still there but we cannot tell for how long; beyond
    `session_gap` the trainee left (the 30-minute inactivity timeout that web analytics use to
    end a visit) and the gap counts nothing. The last event of a session earns nothing, so the
    measure errs low, which is the safe side for paid training hours.
    """
    if gap < timedelta(0):
        raise ValueError("events must be in time order")
    if gap > session_gap:
        return timedelta(0)
    return min(gap, cap)


def _split_by_day(start: datetime, length: timedelta, totals: dict[date, timedelta]) -> None:
    """Add the interval [start, start + length) to the UTC days it covers."""
    end = start + length
    while start < end:
        next_midnight = datetime.combine(start.date() + timedelta(days=1), time(), UTC)
        stop = min(end, next_midnight)
        totals[start.date()] = totals.get(start.date(), timedelta(0)) + (stop - start)
        start = stop


def active_time(events: Iterable[datetime], *, cap: timedelta = GAP_CAP,
                session_gap: timedelta = SESSION_GAP) -> Activity:
    """Active time on task: the sum of the gaps between consecutive events, each credited by
    `credited_gap` (capped at `cap`; nothing past `session_gap`).

    Why gaps and not the length of log-in sessions: a session stays open for hours in a
    forgotten tab, while events are evidence of work. The capped-gap rule is the usual
    "time on task" estimate from click streams (e.g. Kovanović et al., "Does time-on-task
    estimation matter?", J. Learning Analytics 2(3), 2015, compare caps of 5 to 60 minutes).
    Events may come in any order and may repeat; naive datetimes are refused.
    """
    if cap < timedelta(0) or session_gap < cap:
        raise ValueError("need 0 <= cap <= session_gap")
    moments = sorted(_utc(moment) for moment in events)
    if not moments:
        return Activity(timedelta(0), 0, 0, None, None, ())
    totals: dict[date, timedelta] = {moment.date(): timedelta(0) for moment in moments}
    active = timedelta(0)
    sessions = 1
    # The dashboards call this for every trainee over every event (bench/cohort_dashboard.py),
    # so the loop is credited_gap's rule inlined, and a credit that ends before the next
    # midnight (nearly all of them) is added to its day without _split_by_day's walk.
    zero = timedelta(0)
    midnight = moments[0]  # the UTC midnight that ends `day`; the first credit sets both
    day = moments[0].date()
    for before, after in zip(moments, moments[1:], strict=False):
        gap = after - before
        if gap > session_gap:
            sessions += 1
            continue
        credit = gap if gap <= cap else cap
        if credit == zero:
            continue
        active += credit
        if before >= midnight:
            day = before.date()
            midnight = datetime.combine(day + timedelta(days=1), time(), UTC)
        if before + credit <= midnight:
            totals[day] += credit
        else:
            _split_by_day(before, credit, totals)
    return Activity(active, sessions, len(moments), moments[0], moments[-1],
                    tuple(sorted(totals.items())))


def per_week(per_day: Iterable[tuple[date, timedelta]]) -> tuple[tuple[date, timedelta], ...]:
    """Daily totals summed per ISO week (Monday to Sunday), each week named by its Monday."""
    weeks: dict[date, timedelta] = {}
    for day, amount in per_day:
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, timedelta(0)) + amount
    return tuple(sorted(weeks.items()))


class Stage(enum.StrEnum):
    """How far a trainee got in a course, in course order.

    Members compare in declaration order, so a table sorts by progress. QUALIFIED and FAILED
    are the two outcomes of the exam: both come after EXAMINED, and neither implies the other
    (see `reached`).
    """

    ENROLLED = "enrolled"
    READING = "reading"
    PRACTISING = "practising"
    EXAMINED = "examined"
    QUALIFIED = "qualified"
    FAILED = "failed"

    @property
    def rank(self) -> int:
        """Position in course order (0 for ENROLLED)."""
        return _RANKS[self]

    @property
    def depth(self) -> int:
        """How many steps into the course: QUALIFIED and FAILED are both one past EXAMINED."""
        return min(self.rank, _RANKS[Stage.QUALIFIED])

    def reached(self, other: Stage) -> bool:
        """Whether a trainee at this stage has passed through `other` (for funnels).

        A failed trainee reached EXAMINED but not QUALIFIED, and the other way round.
        """
        if other in (Stage.QUALIFIED, Stage.FAILED):
            return self is other
        return self.depth >= other.depth

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Stage):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Stage):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Stage):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Stage):
            return NotImplemented
        return self.rank >= other.rank


_RANKS: Mapping[Stage, int] = {stage: rank for rank, stage in enumerate(Stage)}


def stage_reached(*, opened_manual: bool = False, practised: bool = False,
                  examined: bool = False, qualified: bool = False,
                  failed: bool = False) -> Stage:
    """The furthest stage the flags show, from plain facts the SQL can count.

    opened_manual: read at least one section; practised: answered at least one practice item;
    examined: submitted at least one exam attempt; qualified: holds (or held) the
    qualification; failed: used every attempt of the cycle without passing. A later flag wins
    over an earlier one even when the earlier is missing (an exam-only course has no
    practice), and qualified wins over failed (a new cycle can end in a pass).
    """
    if qualified:
        return Stage.QUALIFIED
    if failed:
        return Stage.FAILED
    if examined:
        return Stage.EXAMINED
    if practised:
        return Stage.PRACTISING
    if opened_manual:
        return Stage.READING
    return Stage.ENROLLED
