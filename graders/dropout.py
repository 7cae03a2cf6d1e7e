"""Dropout and at-risk states of a trainee in a course, at a given moment.

Pure: the caller passes the facts (enrolment, last activity, qualification, withdrawal,
practice counts) and `now`, so the same function serves the nightly refresh, a page read and a
test with an injected clock. The rules and their reasons are in docs/statistics.md, "Dropout".
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from graders.activity import Stage

WINDOW = timedelta(days=7)
MIN_PRACTICE_ANSWERS = 10
FAR_BELOW_Z = 2.0


class State(enum.StrEnum):
    """A trainee's standing in a course at a moment (docs/statistics.md, "Dropout")."""

    ACTIVE = "active"
    AT_RISK = "at_risk"
    DROPPED = "dropped"
    QUALIFIED = "qualified"
    WITHDRAWN = "withdrawn"


class Risk(enum.StrEnum):
    """Why a trainee is at risk."""

    INACTIVE = "inactive"  # inactive for more than half the window
    ACCURACY = "accuracy"  # practice accuracy far below the cohort's


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the dropout rules need to know about one trainee in one course (aware datetimes).

    practice_answers / practice_correct: the trainee's practice answers in this course and how
    many were correct (the caller decides which answers count, e.g. first tries only).
    """

    enrolled_at: datetime
    last_activity: datetime | None = None
    qualified_at: datetime | None = None
    withdrawn_at: datetime | None = None
    stage: Stage = Stage.ENROLLED
    practice_answers: int = 0
    practice_correct: int = 0


@dataclass(frozen=True, slots=True)
class CohortPractice:
    """The cohort's practice totals (everyone's answers, the trainee's included)."""

    answers: int
    correct: int


@dataclass(frozen=True, slots=True)
class DropoutStatus:
    """Where a trainee stands at `now`.

    dropped_at: the dropout date (last activity + window, or the withdrawal time) when the
    state is DROPPED or WITHDRAWN, else None. drops_at: when an ACTIVE or AT_RISK trainee will
    be dropped if nothing happens (for the refresh job), else None. accuracy_z: the trainee's
    practice accuracy against the rest of the cohort's, in standard errors (None when too few
    answers to say).
    """

    state: State
    stage: Stage
    inactive_for: timedelta
    dropped_at: datetime | None
    drops_at: datetime | None
    risks: tuple[Risk, ...]
    accuracy_z: float | None


def _utc(moment: datetime, name: str) -> datetime:
    """`moment` in UTC; naive datetimes are refused, as the database's UTCDateTime does."""
    if moment.tzinfo is None:
        raise ValueError(f"{name}: naive datetime given where UTC was expected")
    return moment.astimezone(UTC)


def accuracy_z(answers: int, correct: int, cohort: CohortPractice | None,
               *, min_answers: int = MIN_PRACTICE_ANSWERS) -> float | None:
    """How many standard errors the trainee's practice accuracy lies from the rest of the
    cohort's: z = (p - p0) / sqrt(p0 (1 - p0) / n), the one-sample score test of a binomial
    proportion (Wilson 1927; Agresti & Coull 1998), with p = correct / answers over the
    trainee's n answers and p0 the pooled accuracy of everyone else in the cohort.

    None when the trainee has fewer than `min_answers` answers (a few lucky or unlucky
    answers say nothing), or when the rest of the cohort has no answers or is all right or
    all wrong (no spread to measure against).
    """
    if not 0 <= correct <= answers:
        raise ValueError("need 0 <= correct <= answers")
    if cohort is None or answers < max(min_answers, 1):
        return None
    others = cohort.answers - answers
    others_correct = cohort.correct - correct
    if others <= 0 or not 0 <= others_correct <= others:
        return None
    p0 = others_correct / others
    if p0 in (0.0, 1.0):
        return None
    return (correct / answers - p0) / math.sqrt(p0 * (1 - p0) / answers)


def dropout_status(enrolment: Enrolment, now: datetime, *, window: timedelta = WINDOW,
                   cohort: CohortPractice | None = None,
                   min_answers: int = MIN_PRACTICE_ANSWERS,
                   far_below_z: float = FAR_BELOW_Z) -> DropoutStatus:
    """The trainee's state at `now`.

    In order: QUALIFIED once qualified (a qualified trainee is never dropped, however long
    they stay away); WITHDRAWN from the withdrawal time unless there is activity after it;
    DROPPED once inactive for the whole `window` (dropout date = last activity + window);
    AT_RISK when inactive for more than half the window, or when the practice accuracy is
    more than `far_below_z` standard errors below the rest of the cohort's with at least
    `min_answers` answers (see `accuracy_z`); else ACTIVE. Inactivity runs from the latest of
    enrolment and last activity, so a trainee who comes back after being dropped is active
    again: the state is recomputed from the facts, never stored as a latch.

    Issue 12 and Open edX's at-risk reports are the source of the states; the 2-standard-error
    threshold is a one-sided test at about 2.3% per trainee, so a cohort of 50 with nothing
    wrong shows about one false alarm, and it flags nobody in a cohort that is uniformly good
    (a percentile rule would always flag a tenth of the cohort).
    """
    if window <= timedelta(0):
        raise ValueError("the dropout window must be positive")
    now = _utc(now, "now")
    enrolled = _utc(enrolment.enrolled_at, "enrolled_at")
    last = enrolled
    if enrolment.last_activity is not None:
        last = max(last, _utc(enrolment.last_activity, "last_activity"))
    inactive_for = max(now - last, timedelta(0))
    z = accuracy_z(enrolment.practice_answers, enrolment.practice_correct, cohort,
                   min_answers=min_answers)

    def status(state: State, dropped_at: datetime | None = None,
               drops_at: datetime | None = None, risks: tuple[Risk, ...] = ()) -> DropoutStatus:
        return DropoutStatus(state, enrolment.stage, inactive_for, dropped_at, drops_at, risks, z)

    if enrolment.qualified_at is not None and _utc(enrolment.qualified_at, "qualified_at") <= now:
        return status(State.QUALIFIED)
    if enrolment.withdrawn_at is not None:
        withdrawn = _utc(enrolment.withdrawn_at, "withdrawn_at")
        came_back = enrolment.last_activity is not None and last > withdrawn
        if withdrawn <= now and not came_back:
            return status(State.WITHDRAWN, dropped_at=withdrawn)
    drops_at = last + window
    if inactive_for >= window:
        return status(State.DROPPED, dropped_at=drops_at)
    risks: list[Risk] = []
    if inactive_for > window / 2:
        risks.append(Risk.INACTIVE)
    if z is not None and z < -far_below_z:
        risks.append(Risk.ACCURACY)
    return status(State.AT_RISK if risks else State.ACTIVE, drops_at=drops_at, risks=tuple(risks))
