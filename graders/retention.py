"""Kaplan–Meier retention of a cohort over days since enrolment, and time to qualification.

The estimator is scipy's (`scipy.stats.ecdf` on `scipy.stats.CensoredData`); this module only
turns trainees into censored observations and the result into plain tuples for a chart and
its data table. docs/statistics.md, "Retention", explains how to read the curves.
"""

from __future__ import annotations

import enum
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy import stats

from graders.dropout import DropoutStatus, State

CONFIDENCE = 0.95
DAY_SECONDS = 86_400.0


class Outcome(enum.StrEnum):
    """What ended a trainee's follow-up."""

    DROPPED = "dropped"  # dropped out or withdrew: the event of the retention curve
    QUALIFIED = "qualified"  # the event of the qualification curve
    CENSORED = "censored"  # still in the course (active or at risk) when last looked at


@dataclass(frozen=True, slots=True)
class Observation:
    """One trainee: days from enrolment to what happened, and what happened."""

    days: float
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Curve:
    """A Kaplan–Meier step curve: `survival[i]` holds from `times[i]` until the next time
    (and 1.0 before the first). `low`/`high` are the pointwise confidence band, None where
    it is undefined (while no event has happened yet, and once the curve reaches 0).
    `at_risk[i]` and `events[i]` are the table beside the chart: trainees still followed just
    before `times[i]`, and events at it. `median`: the first time the curve is at or below 0.5,
    None when it never gets there.
    """

    times: tuple[float, ...]
    survival: tuple[float, ...]
    low: tuple[float | None, ...]
    high: tuple[float | None, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]
    median: float | None
    subjects: int
    total_events: int
    confidence: float


@dataclass(frozen=True, slots=True)
class Retention:
    """Both curves of a cohort.

    dropout: share still enrolled (not dropped) by day since enrolment; qualification: share
    not yet qualified, with dropouts censored, so `1 - survival` reads "qualified by day t if
    nobody had dropped out" (see `retention`).
    """

    dropout: Curve
    qualification: Curve


def observation(enrolled_at: datetime, status: DropoutStatus, now: datetime,
                qualified_at: datetime | None = None) -> Observation:
    """A trainee as a censored observation, from their `dropout_status` at `now`.

    Dropped and withdrawn trainees have the event at their dropout date; qualified trainees
    are censored (for dropout) at their qualification date; everyone else at `now`.
    """
    if status.state in (State.DROPPED, State.WITHDRAWN):
        if status.dropped_at is None:
            raise ValueError("a dropped or withdrawn trainee needs a dropout date")
        end, outcome = status.dropped_at, Outcome.DROPPED
    elif status.state is State.QUALIFIED:
        if qualified_at is None:
            raise ValueError("a qualified trainee needs qualified_at")
        end, outcome = qualified_at, Outcome.QUALIFIED
    else:
        end, outcome = now, Outcome.CENSORED
    return Observation(max((end - enrolled_at).total_seconds(), 0.0) / DAY_SECONDS, outcome)


def _empty(confidence: float) -> Curve:
    """The curve of nobody (scipy refuses empty data; a new cohort has none yet)."""
    return Curve((), (), (), (), (), (), None, 0, 0, confidence)


def _band(values: np.ndarray) -> tuple[float | None, ...]:
    """Band values as floats, None where scipy gives NaN (the band is undefined there)."""
    return tuple(None if math.isnan(value) else float(value) for value in values)


def kaplan_meier(times: Sequence[float], events: Sequence[bool], *,
                 confidence: float = CONFIDENCE) -> Curve:
    """The Kaplan–Meier survival curve (Kaplan & Meier, JASA 53, 1958) of right-censored data:
    `times[i]` is when subject i had the event (`events[i]` true) or was last seen without it.

    The estimate is `scipy.stats.ecdf(CensoredData(...)).sf`; the band is its
    `confidence_interval(method="log-log")`, Greenwood's variance on the log(-log S) scale
    (Kalbfleisch & Prentice 2002, the "exponential Greenwood" band of lifelines), which stays
    inside [0, 1] for the small cohorts we have, where the linear band must be clipped.
    """
    values = np.asarray(times, dtype=float)
    observed = np.asarray(events, dtype=bool)
    if values.shape != observed.shape or values.ndim != 1:
        raise ValueError("times and events must be two lists of the same length")
    if values.size and (not np.all(np.isfinite(values)) or values.min() < 0):
        raise ValueError("times must be finite and not negative")
    if not values.size:
        return _empty(confidence)
    data = stats.CensoredData(uncensored=values[observed], right=values[~observed])
    sf = stats.ecdf(data).sf
    with warnings.catch_warnings():
        # scipy warns where the band is undefined (S = 1 or S = 0); those become None.
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(confidence, method="log-log")
    steps = sf.quantiles
    survival = sf.probabilities
    # The table beside the chart: followed just before each step, and events at it.
    at_risk = values.size - np.searchsorted(np.sort(values), steps, side="left")
    event_times = np.sort(values[observed])
    counts = (np.searchsorted(event_times, steps, side="right")
              - np.searchsorted(event_times, steps, side="left"))
    below = np.flatnonzero(survival <= 0.5)
    median = float(steps[below[0]]) if below.size else None
    return Curve(
        times=tuple(float(t) for t in steps),
        survival=tuple(float(s) for s in survival),
        low=_band(band.low.probabilities),
        high=_band(band.high.probabilities),
        at_risk=tuple(int(n) for n in at_risk),
        events=tuple(int(d) for d in counts),
        median=median,
        subjects=int(values.size),
        total_events=int(observed.sum()),
        confidence=confidence,
    )


def retention(observations: Sequence[Observation], *,
              confidence: float = CONFIDENCE) -> Retention:
    """Retention (dropout as the event; qualified and still-enrolled trainees censored) and
    time to qualification (qualification as the event; dropouts and the still-enrolled
    censored) of one cohort.

    The qualification curve is the Kaplan–Meier "1 - KM" of a competing-risks setting:
    censoring dropouts pretends they could still qualify later, so `1 - survival` overstates
    the share that actually qualifies by day t (the honest estimate is the Aalen–Johansen
    cumulative incidence). Read it as the pace of those who stay, and show the plain share
    qualified next to it. Its median is the time by which half would qualify if
    nobody dropped out.
    """
    days = [item.days for item in observations]
    dropout = kaplan_meier(days, [item.outcome is Outcome.DROPPED for item in observations],
                           confidence=confidence)
    qualification = kaplan_meier(
        days, [item.outcome is Outcome.QUALIFIED for item in observations],
        confidence=confidence)
    return Retention(dropout, qualification)
