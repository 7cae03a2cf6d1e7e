"""Item and test analysis of an exam, after Moodle's quiz statistics.

The formulas are those of MoodleDocs "Quiz statistics calculations" (docs.moodle.org/dev/
Quiz_statistics_calculations) as Moodle computes them (question/classes/statistics/questions/
calculator.php, mod/quiz/report/statistics/classes/calculator.php); the bands and flags are
those of MoodleDocs "Quiz report statistics" and of the question bank's "Needs checking?"
column (question/bank/statistics/classes/helper.php). docs/statistics.md explains each number
for instructors.

Input is a matrix of attempts x items of scores in [0, 1], NaN where the attempt did not draw
the item (exams draw from a pool). As Moodle does for random questions, each item's statistics
are computed over the attempts that drew it.
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

MIN_ANSWERS = 5
TOO_EASY = 95  # facility in %, Moodle's "Extremely easy" band (95-100)
TOO_HARD = 5  # facility in %, Moodle's "Extremely difficult or something wrong" band (<= 5)
NEEDS_CHECKING = 30  # discrimination index, Moodle's "Needs checking? Very likely" (< 30)
CHECKING_LIKELY = 50  # discrimination index, Moodle's "Needs checking? Likely" (30 to < 50)
SUSPICIOUS_MISS_RATE = 0.5  # missed by more than half of those who saw it...
SUSPICIOUS_CONTESTED_RATE = 0.1  # ...and disputed by at least one in ten: probably a wrong gold
# D < 0 flags an item only when so few answers could hardly have made it by chance (a one-sided
# t-test of the correlation, p below this): at 13 to 36 answers, right items of a demo cohort
# came out below 0 by noise alone.
NEGATIVE_SIGNIFICANCE = 0.05
_EPSILON = 1e-12

FACILITY_BANDS = (  # (highest whole percent, Moodle's words)
    (5, "Extremely difficult or something wrong with the question"),
    (10, "Very difficult"),
    (20, "Difficult"),
    (34, "Moderately difficult"),
    (65, "About right for the average student"),
    (80, "Fairly easy"),
    (89, "Easy"),
    (94, "Very easy"),
    (100, "Extremely easy"),
)
DISCRIMINATION_BANDS = (  # (lowest value, Moodle's words)
    (50, "Very good discrimination"),
    (30, "Adequate discrimination"),
    (20, "Weak discrimination"),
    (0, "Very weak discrimination"),
    (-math.inf, "Question probably invalid"),
)


class Flag(enum.StrEnum):
    """Why an item needs an instructor's look (thresholds above, docs/statistics.md)."""

    TOO_EASY = "too_easy"
    TOO_HARD = "too_hard"
    NEEDS_CHECKING = "needs_checking"
    SUSPICIOUS = "suspicious"


@dataclass(frozen=True, slots=True)
class ItemStats:
    """One item's statistics over the attempts that drew it (percentages as Moodle shows them).

    facility: mean score in % of the maximum; sd: the scores' standard deviation in % of the
    maximum; discrimination: 100 x the correlation of the item's score with the rest of the
    test; efficiency: 100 x their covariance / the largest covariance the two score lists
    allow; miss_rate and contested_rate: shares (0 to 1) of its answers that were not fully
    right and that were disputed; distribution: (answer, count) pairs, most frequent first.
    Values are None when they cannot be computed (too few answers, no spread).
    """

    item: Hashable
    answers: int
    facility: float | None
    sd: float | None
    discrimination: float | None
    efficiency: float | None
    miss_rate: float | None
    disputes: int
    contested_rate: float | None
    distribution: tuple[tuple[Hashable, int], ...]
    flags: tuple[Flag, ...]

    @property
    def facility_band(self) -> str | None:
        """Moodle's words for the facility index."""
        return facility_band(self.facility)

    @property
    def discrimination_band(self) -> str | None:
        """Moodle's words for the discrimination index."""
        return discrimination_band(self.discrimination)

    @property
    def needs_checking(self) -> str | None:
        """Moodle's "Needs checking?": "very likely", "likely" or "unlikely"."""
        return needs_checking(self.discrimination)


@dataclass(frozen=True, slots=True)
class TestStats:
    """The whole exam. Totals are sums of item scores (marks), one per attempt.

    items_per_attempt: P of the formulas (None when attempts drew different numbers of items);
    cic: coefficient of internal consistency (Cronbach's alpha) in %; error_ratio in %;
    standard_error in marks. None when Moodle would not compute them (fewer than 3 attempts,
    a single item, no spread of totals).
    """

    attempts: int
    items_per_attempt: int | None
    sampled: bool
    mean: float | None
    median: float | None
    sd: float | None
    cic: float | None
    error_ratio: float | None
    standard_error: float | None


@dataclass(frozen=True, slots=True)
class Analysis:
    """The exam's statistics and one ItemStats per column of the input, in column order."""

    test: TestStats
    items: tuple[ItemStats, ...]


def facility_band(facility: float | None) -> str | None:
    """Moodle's band for a facility index in % ("Quiz report statistics"), on whole percents."""
    if facility is None:
        return None
    whole = round(facility)
    return next(words for top, words in FACILITY_BANDS if whole <= top)


def discrimination_band(discrimination: float | None) -> str | None:
    """Moodle's band for a discrimination index ("Quiz report statistics")."""
    if discrimination is None:
        return None
    return next(words for bottom, words in DISCRIMINATION_BANDS if discrimination >= bottom)


def needs_checking(discrimination: float | None) -> str | None:
    """Moodle's question bank "Needs checking?" (very likely below 30, likely below 50)."""
    if discrimination is None:
        return None
    if discrimination < NEEDS_CHECKING:
        return "very likely"
    if discrimination < CHECKING_LIKELY:
        return "likely"
    return "unlikely"


def _variance(values: np.ndarray) -> float | None:
    """Sample variance (n - 1), as Moodle computes every variance; None below two values."""
    return float(np.var(values, ddof=1)) if values.size > 1 else None


def _item(item: Hashable, x: np.ndarray, rest: np.ndarray, answers: Sequence[Hashable | None],
          disputes: int, min_answers: int) -> ItemStats:
    """One item's statistics from its scores `x` and the rest-of-test totals of the same
    attempts (MoodleDocs "Quiz statistics calculations", "Question statistics")."""
    n = int(x.size)
    if n == 0:
        return ItemStats(item, 0, None, None, None, None, None, disputes, None, (), ())
    facility = 100 * float(x.mean())
    vx, vr = _variance(x), _variance(rest)
    sd = None if vx is None else 100 * math.sqrt(vx)
    discrimination = efficiency = None
    if vx is not None and vr is not None:
        dx, dr = x - x.mean(), rest - rest.mean()
        covariance = float(dx @ dr) / (n - 1)
        if vx > _EPSILON and vr > _EPSILON:
            discrimination = 100 * covariance / math.sqrt(vx * vr)
        # The largest covariance these two lists allow: both sorted the same way.
        covariance_max = float(np.sort(dx) @ np.sort(dr)) / (n - 1)
        if covariance_max > _EPSILON:
            efficiency = 100 * covariance / covariance_max
    miss_rate = float(np.mean(x < 1 - 1e-9))
    contested_rate = disputes / n
    counts = Counter(answer for answer in answers if answer is not None)
    distribution = tuple(sorted(counts.items(), key=lambda pair: (-pair[1], repr(pair[0]))))
    flags: list[Flag] = []
    if n >= min_answers:
        if round(facility) >= TOO_EASY:
            flags.append(Flag.TOO_EASY)
        if round(facility) <= TOO_HARD:
            flags.append(Flag.TOO_HARD)
        if discrimination is not None and discrimination < NEEDS_CHECKING:
            flags.append(Flag.NEEDS_CHECKING)
        if ((discrimination is not None and surely_negative(discrimination / 100, n))
                or (miss_rate > SUSPICIOUS_MISS_RATE
                    and contested_rate >= SUSPICIOUS_CONTESTED_RATE)):
            flags.append(Flag.SUSPICIOUS)
    return ItemStats(item, n, facility, sd, discrimination, efficiency, miss_rate, disputes,
                     contested_rate, distribution, tuple(flags))


def surely_negative(correlation: float, n: int) -> bool:
    """Whether a correlation below 0 over `n` pairs is below 0 beyond chance: the one-sided
    t-test of r = 0, t = r sqrt((n - 2) / (1 - r^2)) with n - 2 degrees of freedom."""
    if correlation >= 0 or n < 3:
        return False
    if correlation <= -1:
        return True
    t = correlation * math.sqrt((n - 2) / (1 - correlation * correlation))
    return float(stats.t.cdf(t, n - 2)) < NEGATIVE_SIGNIFICANCE


def _test(scores: np.ndarray, seen: np.ndarray, totals: np.ndarray) -> TestStats:
    """The exam's statistics (MoodleDocs "Quiz statistics calculations", "Test statistics";
    mod/quiz/report/statistics/classes/calculator.php, which needs s > 2 and P > 1)."""
    attempts = int(totals.size)
    sampled = not bool(seen.all())
    drawn = seen.sum(axis=1)
    p = int(drawn[0]) if attempts and np.all(drawn == drawn[0]) else None
    if attempts == 0:
        return TestStats(0, p, sampled, None, None, None, None, None, None)
    mean, median = float(totals.mean()), float(np.median(totals))
    variance = _variance(totals)
    sd = None if variance is None else math.sqrt(variance)
    cic = error_ratio = standard_error = None
    if attempts > 2 and p is not None and p > 1 and variance is not None and variance > _EPSILON:
        if sampled:
            # Shuffled draws from a pool: each of the P positions holds a random item, so the
            # variance of a position is that of all drawn scores pooled (Moodle sums the
            # variances of positions, "slots", when questions are random).
            sum_of_variances = p * float(np.var(scores[seen], ddof=1))
        else:
            sum_of_variances = float(np.var(scores, axis=0, ddof=1).sum())
        cic = 100 * p / (p - 1) * (1 - sum_of_variances / variance)
        error_ratio = 100 * math.sqrt(max(1 - cic / 100, 0.0))
        standard_error = error_ratio / 100 * sd
    return TestStats(attempts, p, sampled, mean, median, sd, cic, error_ratio, standard_error)


def analyse(scores: np.ndarray | Sequence[Sequence[float]], *,
            items: Sequence[Hashable] | None = None,
            answers: Sequence[Sequence[Hashable | None]] | None = None,
            disputes: Sequence[int] | None = None,
            min_answers: int = MIN_ANSWERS) -> Analysis:
    """Moodle's item statistics for each column of `scores` and its test statistics.

    scores: attempts x items, each in [0, 1] or NaN where the attempt did not draw the item
    (attempts that drew nothing are ignored); items: a key per column (default 0, 1, ...);
    answers: the same shape, a normalised answer key per cell (None when not drawn or not
    answered), for the answer distribution; disputes: disputes per item, for the contested
    rate. Flags need at least `min_answers` answers to the item.

    Per item i over the attempts s that drew it (MoodleDocs, "Quiz statistics calculations"):
    facility F = mean(x_i) / max (max = 1); SD = sqrt(sum (x_i - mean)^2 / (n - 1));
    discrimination D = 100 C(x_i, X_-i) / sqrt(V(x_i) V(X_-i)), with X_-i the attempt's total
    without this item ("the rest of the test"; Moodle's code correlates a random question's
    sub-questions with the whole total instead, which inflates D, so we keep the documented
    rest-of-test); efficiency DE = 100 C(x_i, X_-i) / C_max, C_max the covariance of the two
    lists each sorted. Per test: CIC = 100 P / (P - 1) (1 - sum V(x_i) / V(T)),
    ER = 100 sqrt(1 - CIC / 100), SE = ER / 100 * SD(T).
    """
    matrix = np.array(scores, dtype=float, ndmin=2)
    if matrix.ndim != 2:
        raise ValueError("scores must be a matrix of attempts x items")
    seen = ~np.isnan(matrix)
    if np.any(np.isinf(matrix)) or np.any((matrix[seen] < 0) | (matrix[seen] > 1)):
        raise ValueError("scores must be in [0, 1] (NaN where the item was not drawn)")
    count = matrix.shape[1]
    keys = list(range(count)) if items is None else list(items)
    if len(keys) != count:
        raise ValueError(f"{len(keys)} item keys for {count} columns")
    dispute_counts = [0] * count if disputes is None else [int(d) for d in disputes]
    if len(dispute_counts) != count or min(dispute_counts, default=0) < 0:
        raise ValueError("disputes must give a count (>= 0) per item")
    rows = seen.any(axis=1)
    matrix, seen = matrix[rows], seen[rows]
    if answers is not None:
        answer_rows = [row for row, keep in zip(answers, rows, strict=True) if keep]
        if any(len(row) != count for row in answer_rows):
            raise ValueError("answers must have the shape of scores")
    totals = np.where(seen, matrix, 0.0).sum(axis=1)
    stats = []
    for column in range(count):
        mask = seen[:, column]
        x = matrix[mask, column]
        given = ([] if answers is None else
                 [row[column] for row, keep in zip(answer_rows, mask, strict=True) if keep])
        stats.append(_item(keys[column], x, totals[mask] - x, given, dispute_counts[column],
                           min_answers))
    return Analysis(_test(matrix, seen, totals), tuple(stats))
