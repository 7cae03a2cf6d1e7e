"""Item and test analysis against Moodle's formulas worked by hand, and against numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from graders.item_analysis import (
    Flag,
    analyse,
    discrimination_band,
    facility_band,
    needs_checking,
    surely_negative,
)

NAN = math.nan

# Five attempts (A-E) x four items; item 3 gives half credit.
#
#        i1   i2   i3   i4  | total T
#   A     1    1    1    1  |  4
#   B     1    1   1/2   0  |  5/2
#   C     1    0   1/2   1  |  5/2
#   D     1    0    0    0  |  1
#   E     0    0    0    0  |  0        mean T = 10/5 = 2
HAND = [
    [1, 1, 1, 1],
    [1, 1, 0.5, 0],
    [1, 0, 0.5, 1],
    [1, 0, 0, 0],
    [0, 0, 0, 0],
]


def test_facility_sd_discrimination_and_efficiency_worked_by_hand():
    result = analyse(HAND, items=["i1", "i2", "i3", "i4"])
    i1, i2, i3, i4 = result.items

    # Facility = mean score / max: i1 4/5 = 80%, i2 2/5, i3 (1 + 1/2 + 1/2)/5 = 2/5, i4 2/5.
    assert [item.facility for item in result.items] == pytest.approx([80, 40, 40, 40])

    # i2: x = (1, 1, 0, 0, 0), mean 2/5, deviations (3/5, 3/5, -2/5, -2/5, -2/5),
    #     sum of squares 2 * 9/25 + 3 * 4/25 = 6/5, V(x) = 6/5 / (5 - 1) = 3/10, SD = 54.77%.
    #     Rest of test X = T - x = (3, 3/2, 5/2, 1, 0), mean 8/5,
    #     deviations (7/5, -1/10, 9/10, -3/5, -8/5), sum of squares 570/100, V(X) = 57/40.
    #     Cross products: 21/25 - 3/50 - 18/50 + 6/25 + 16/25 = 13/10, C = 13/40.
    #     D = 100 * (13/40) / sqrt(3/10 * 57/40) = 49.7067...
    #     Sorted deviations paired: (-2/5)(-8/5) + (-2/5)(-3/5) + (-2/5)(-1/10) + (3/5)(9/10)
    #     + (3/5)(7/5) = 23/10, C_max = 23/40, DE = 100 * 13/23 = 56.52%.
    assert i2.sd == pytest.approx(100 * math.sqrt(3 / 10))
    assert i2.discrimination == pytest.approx(100 * (13 / 40) / math.sqrt(3 / 10 * 57 / 40))
    assert i2.discrimination == pytest.approx(49.7067, abs=1e-4)
    assert i2.efficiency == pytest.approx(100 * 13 / 23)

    # i1: x = (1, 1, 1, 1, 0), V(x) = 1/5; X = (3, 3/2, 3/2, 0, 0), V(X) = 63/40, C = 3/10:
    #     D = 100 * (3/10) / sqrt(1/5 * 63/40) = 53.45; sorting changes nothing, DE = 100%.
    assert i1.sd == pytest.approx(100 * math.sqrt(1 / 5))
    assert i1.discrimination == pytest.approx(100 * 0.3 / math.sqrt(0.2 * 63 / 40))
    assert i1.efficiency == pytest.approx(100)
    # i3: x = (1, 1/2, 1/2, 0, 0), V(x) = 7/40; X = (3, 2, 2, 1, 0), V(X) = 13/10, C = 9/20.
    assert i3.discrimination == pytest.approx(100 * (9 / 20) / math.sqrt(7 / 40 * 13 / 10))
    # i4 mirrors i2 (same scores, rest of test (3, 5/2, 3/2, 1, 0)).
    assert i4.discrimination == pytest.approx(i2.discrimination)
    assert i4.efficiency == pytest.approx(i2.efficiency)

    # Missed = less than full credit: i3 missed by B, C, D, E.
    assert [item.miss_rate for item in result.items] == pytest.approx([0.2, 0.6, 0.8, 0.6])
    assert all(item.answers == 5 and item.flags == () for item in result.items)


def test_coefficient_of_internal_consistency_error_ratio_and_standard_error_by_hand():
    test = analyse(HAND).test
    # Sum of item variances: 1/5 + 3/10 + 7/40 + 3/10 = 39/40.
    # Totals T = (4, 5/2, 5/2, 1, 0), mean 2, deviations (2, 1/2, 1/2, -1, -2),
    # sum of squares 19/2, V(T) = 19/8, SD(T) = 1.5411.
    # CIC = 100 * 4/3 * (1 - (39/40) / (19/8)) = 100 * 4/3 * 56/95 = 100 * 224/285 = 78.60%.
    # ER = 100 * sqrt(1 - 224/285) = 100 * sqrt(61/285) = 46.26%; SE = ER/100 * SD(T) = 0.7130.
    assert (test.attempts, test.items_per_attempt, test.sampled) == (5, 4, False)
    assert test.mean == pytest.approx(2) and test.median == pytest.approx(2.5)
    assert test.sd == pytest.approx(math.sqrt(19 / 8))
    assert test.cic == pytest.approx(100 * 224 / 285)
    assert test.error_ratio == pytest.approx(100 * math.sqrt(61 / 285))
    assert test.standard_error == pytest.approx(math.sqrt(61 / 285) * math.sqrt(19 / 8))


def test_cic_matches_cronbachs_alpha_from_the_covariance_matrix():
    rng = np.random.default_rng(12)
    ability = rng.normal(size=200)
    scores = (ability[:, None] + rng.normal(size=(200, 8)) > 0).astype(float)
    covariance = np.cov(scores, rowvar=False)
    k = scores.shape[1]
    alpha = k / (k - 1) * (1 - np.trace(covariance) / covariance.sum())
    assert analyse(scores).test.cic == pytest.approx(100 * alpha)


def test_each_item_is_analysed_over_the_attempts_that_drew_it():
    rng = np.random.default_rng(7)
    attempts, pool, drawn = 120, 10, 4
    ability = rng.normal(size=attempts)
    scores = np.full((attempts, pool), NAN)
    for row in range(attempts):
        columns = rng.choice(pool, size=drawn, replace=False)
        scores[row, columns] = (ability[row] + rng.normal(size=drawn) > 0).astype(float)
    result = analyse(scores)
    totals = np.nansum(scores, axis=1)
    for column, item in enumerate(result.items):
        seen = ~np.isnan(scores[:, column])
        x = scores[seen, column]
        rest = totals[seen] - x
        assert item.answers == seen.sum()
        assert item.facility == pytest.approx(100 * x.mean())
        assert item.discrimination == pytest.approx(100 * np.corrcoef(x, rest)[0, 1])
    # CIC of a sampled exam: P = 4 items per attempt, each position's variance estimated by the
    # variance of all drawn scores pooled.
    test = result.test
    assert (test.sampled, test.items_per_attempt) == (True, drawn)
    pooled = np.var(scores[~np.isnan(scores)], ddof=1)
    expected = 100 * drawn / (drawn - 1) * (1 - drawn * pooled / np.var(totals, ddof=1))
    assert test.cic == pytest.approx(expected)


def test_no_cic_when_attempts_drew_different_numbers_of_items_or_too_few_attempts():
    uneven = [[1, 0, NAN], [1, 1, 1], [0, 0, 1], [1, NAN, 0]]
    assert analyse(uneven).test.cic is None
    assert analyse(uneven).test.items_per_attempt is None
    assert analyse(HAND[:2]).test.cic is None  # Moodle needs 3 attempts
    single = analyse([[1], [0], [1], [0]])
    assert single.test.cic is None and single.items[0].discrimination is None


def test_attempts_without_any_item_and_items_nobody_drew():
    result = analyse([[1, NAN], [NAN, NAN], [0, NAN]], items=["a", "b"])
    assert result.test.attempts == 2
    b = result.items[1]
    assert (b.answers, b.facility, b.discrimination, b.miss_rate, b.flags) == (
        0, None, None, None, ())


def _cohort(rng: np.random.Generator, attempts: int = 60) -> np.ndarray:
    ability = rng.normal(size=attempts)
    good = (ability[:, None] + rng.normal(scale=0.5, size=(attempts, 6)) > 0).astype(float)
    wrong_gold = (ability < -0.3).astype(float)  # only the weak "get it right"
    easy = np.ones(attempts)
    hard = np.zeros(attempts)
    return np.column_stack([good, wrong_gold, easy, hard])


def test_flags_use_moodles_thresholds_and_a_wrong_gold_is_suspicious():
    scores = _cohort(np.random.default_rng(3))
    keys = ["g1", "g2", "g3", "g4", "g5", "g6", "gold", "easy", "hard"]
    disputes = [0, 0, 0, 0, 0, 0, 9, 0, 0]
    result = analyse(scores, items=keys, disputes=disputes)
    by_key = {item.item: item for item in result.items}
    wrong = by_key["gold"]
    assert wrong.discrimination < 0
    assert wrong.miss_rate > 0.5 and wrong.contested_rate == pytest.approx(9 / 60)
    assert Flag.SUSPICIOUS in wrong.flags and Flag.NEEDS_CHECKING in wrong.flags
    assert wrong.discrimination_band == "Question probably invalid"
    assert by_key["easy"].flags == (Flag.TOO_EASY,)
    assert by_key["easy"].discrimination is None  # no spread, no correlation
    assert by_key["hard"].flags == (Flag.TOO_HARD,)
    for key in keys[:6]:
        assert by_key[key].discrimination > 30
        assert Flag.SUSPICIOUS not in by_key[key].flags


def test_missed_and_contested_often_is_suspicious_even_with_positive_discrimination():
    # Six of ten miss the item (> 50%) and one disputes it (10%): suspicious.
    scores = np.array([[1, 1], [1, 1], [1, 1], [1, 0], [0, 0], [0, 0], [0, 0], [0, 0],
                       [1, 0], [0, 0]], dtype=float)
    flagged = analyse(scores, disputes=[0, 1]).items[1]
    assert flagged.miss_rate == pytest.approx(0.7) and flagged.contested_rate == pytest.approx(0.1)
    assert flagged.discrimination > 0 and Flag.SUSPICIOUS in flagged.flags
    assert Flag.SUSPICIOUS not in analyse(scores, disputes=[0, 0]).items[1].flags


def test_flags_wait_for_enough_answers():
    assert analyse([[1], [1], [1]]).items[0].flags == ()
    assert analyse([[1], [1], [1]], min_answers=3).items[0].flags == (Flag.TOO_EASY,)


def test_answer_distribution_counts_each_value_most_frequent_first():
    scores = [[1, NAN], [0, 1], [0, 0], [0, 1]]
    answers = [["cat", None], ["dog", "yes"], ["dog", "no"], [None, "yes"]]
    items = analyse(scores, answers=answers).items
    assert items[0].distribution == (("dog", 2), ("cat", 1))
    assert items[1].distribution == (("yes", 2), ("no", 1))


def test_moodle_bands():
    assert facility_band(5.4) == "Extremely difficult or something wrong with the question"
    assert facility_band(50) == "About right for the average student"
    assert facility_band(94.4) == "Very easy"
    assert facility_band(94.6) == "Extremely easy"
    assert facility_band(None) is None
    assert discrimination_band(50) == "Very good discrimination"
    assert discrimination_band(29.9) == "Weak discrimination"
    assert discrimination_band(0) == "Very weak discrimination"
    assert discrimination_band(-0.1) == "Question probably invalid"
    assert [needs_checking(v) for v in (29.9, 30, 49.9, 50, None)] == [
        "very likely", "likely", "likely", "unlikely", None]


@pytest.mark.parametrize("bad", [[[1.5]], [[-0.1]], [[math.inf]]])
def test_scores_outside_zero_to_one_are_refused(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        analyse(bad)


def test_shapes_must_agree():
    with pytest.raises(ValueError, match="item keys"):
        analyse([[1, 0]], items=["a"])
    with pytest.raises(ValueError, match="disputes"):
        analyse([[1, 0]], disputes=[1])
    with pytest.raises(ValueError, match="shape"):
        analyse([[1, 0]], answers=[["a"]])


def test_a_slightly_negative_discrimination_over_few_answers_is_not_suspicious():
    # 13 answers where the item's correlation with the rest is about -0.28: chance can do that.
    rest = np.array([9, 8, 8, 7, 7, 6, 6, 5, 5, 4, 4, 3, 3], dtype=float)
    item = np.array([1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1], dtype=float)
    scores = np.column_stack([item, *(rest[:, None] > np.arange(9)).T.astype(float)])
    noisy = analyse(scores).items[0]
    assert -47.6 < noisy.discrimination < 0 and Flag.SUSPICIOUS not in noisy.flags
    # The same trainees where only the weakest get it right: far beyond chance.
    scores[:, 0] = (rest < 5).astype(float)
    assert Flag.SUSPICIOUS in analyse(scores).items[0].flags


@pytest.mark.parametrize(("n", "critical"), [(13, -0.476), (20, -0.378), (50, -0.235)])
def test_negative_discrimination_must_pass_a_one_sided_t_test(n, critical):
    assert surely_negative(critical - 0.002, n)
    assert not surely_negative(critical + 0.002, n)
    assert not surely_negative(-0.99, 2) and surely_negative(-1.0, 3)
