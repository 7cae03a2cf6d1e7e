"""Drawing an attempt's items: counts, quotas per section, shuffling, and clear refusals; a
sequential attempt's blocks, quota items first (coverage)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from exams.sampling import (
    PoolItem,
    SamplingError,
    covered_at,
    draw_block,
    known_first,
    sample,
    sampling_problems,
)

POOL = [PoolItem(1, ("shoes",)), PoolItem(2, ("shoes",)), PoolItem(3, ("shoes", "hats")),
        PoolItem(4, ("hats",)), PoolItem(5, ("towels",)), PoolItem(6, ()),
        PoolItem(7, ("towels",)), PoolItem(8, ("mirrors",))]


def sections_of(ids: list[int]) -> Counter:
    by_id = {item.id: item.sections for item in POOL}
    return Counter(section for n in ids for section in by_id[n])


@pytest.mark.parametrize("seed", range(50))
def test_quotas_are_met_and_no_item_is_drawn_twice(seed):
    ids = sample(POOL, 5, {"hats": 2, "towels": 2, "mirrors": 1}, random.Random(seed))
    assert len(ids) == len(set(ids)) == 5
    drawn = sections_of(ids)
    assert drawn["hats"] >= 2 and drawn["towels"] >= 2 and drawn["mirrors"] >= 1


def test_every_item_of_the_pool_can_be_drawn_and_the_draws_vary():
    seen = Counter()
    for seed in range(300):
        seen.update(sample(POOL, 3, {}, random.Random(seed)))
    assert set(seen) == {item.id for item in POOL}
    assert min(seen.values()) > 300 * 3 / len(POOL) / 2  # roughly uniform


def test_without_shuffle_the_items_keep_pool_order():
    for seed in range(20):
        ids = sample(POOL, 4, {"mirrors": 1}, random.Random(seed), shuffle=False)
        assert ids == sorted(ids) and 8 in ids


def test_with_shuffle_the_order_changes_between_attempts():
    orders = {tuple(sample(POOL, 8, {}, random.Random(seed))) for seed in range(20)}
    assert len(orders) > 10


@pytest.mark.parametrize(("count", "quotas", "message"), [
    (9, {}, "The exam pool has 8 active items; the exam needs 9."),
    (0, {}, "An exam needs at least one item."),
    (3, {"mirrors": 2}, "Section 'mirrors' has 1 exam items; its quota is 2."),
    (2, {"shoes": 2, "towels": 1}, "The section quotas add up to 3, more than the 2 items"),
    (4, {"gloves": 1}, "Section 'gloves' has 0 exam items; its quota is 1."),
])
def test_impossible_settings_are_refused_with_the_reason(count, quotas, message):
    assert any(message in problem for problem in sampling_problems(POOL, count, quotas))
    with pytest.raises(SamplingError, match=message.split(";")[0][:30]):
        sample(POOL, count, quotas, random.Random(1))


def test_an_item_on_two_sections_counts_for_both_quotas():
    pool = [PoolItem(1, ("a", "b")), PoolItem(2, ("c",)), PoolItem(3, ("c",))]
    for seed in range(20):
        assert sorted(sample(pool, 2, {"a": 1, "b": 1}, random.Random(seed)))[0] == 1


# --- Blocks of a sequential attempt. --------------------------------------------------------

QUOTAS = {"hats": 2, "towels": 2, "mirrors": 1}


@pytest.mark.parametrize("seed", range(50))
def test_blocks_draw_the_quotas_first_and_never_an_item_twice(seed):
    rng = random.Random(seed)
    first = draw_block(POOL, [], 3, QUOTAS, rng)
    # Three items cannot meet five quota places: all three are quota items.
    assert all(set(sections_of([n])) & set(QUOTAS) for n in first)
    second = draw_block(POOL, first, 3, QUOTAS, rng)
    drawn = first + second
    assert len(set(drawn)) == 6
    assert covered_at([sections_of([n]) for n in drawn], QUOTAS) is not None
    have = sections_of(drawn)
    assert have["hats"] >= 2 and have["towels"] >= 2 and have["mirrors"] >= 1
    rest = draw_block(POOL, drawn, 5, QUOTAS, rng)
    assert sorted(drawn + rest) == [item.id for item in POOL]  # the pool ran out: 2, not 5
    assert draw_block(POOL, drawn + rest, 5, QUOTAS, rng) == []


def test_a_block_counts_what_earlier_blocks_drew_for_the_quotas():
    # Items 3 and 4 (hats) and 5 and 7 (towels) are drawn: only the mirrors quota is short.
    for seed in range(20):
        block = draw_block(POOL, [3, 4, 5, 7], 1, QUOTAS, random.Random(seed))
        assert block == [8]


def test_without_shuffle_a_block_keeps_the_quota_order():
    block = draw_block(POOL, [], 5, {"mirrors": 1}, random.Random(1), shuffle=False)
    assert block[0] == 8


@pytest.mark.parametrize("seed", range(30))
def test_known_first_draws_unknown_items_only_when_the_known_run_out(seed):
    candidates, known = list(range(1, 11)), {2, 4, 6, 8}
    assert set(known_first(candidates, 3, random.Random(seed), known)) < known
    drawn = known_first(candidates, 6, random.Random(seed), known)
    assert len(set(drawn)) == 6 and set(drawn[:4]) == known
    # Nothing known (a new course) or no preference: the plain uniform draw, seed for seed.
    plain = random.Random(seed).sample(candidates, 5)
    assert known_first(candidates, 5, random.Random(seed), set()) == plain
    assert known_first(candidates, 5, random.Random(seed), None) == plain


@pytest.mark.parametrize("seed", range(30))
def test_a_block_prefers_known_items_for_the_quotas_and_for_the_rest(seed):
    known = {1, 2, 5, 6}
    block = draw_block(POOL, [], 3, {"towels": 1}, random.Random(seed), known=known)
    assert 5 in block and set(block) <= known  # towel 5 is known, towel 7 is not
    # The mirrors quota has only an unknown item: it is drawn all the same (quotas first).
    block = draw_block(POOL, [], 3, {"mirrors": 1}, random.Random(seed), known={1, 2})
    assert sorted(block) == [1, 2, 8]
    # The known items cannot fill the block: unknown ones make up the rest.
    block = draw_block(POOL, [1], 5, {}, random.Random(seed), known=known)
    assert known - {1} <= set(block) and len(set(block)) == 5 and 1 not in block


@pytest.mark.parametrize("seed", range(20))
def test_a_trial_takes_one_unknown_item_whatever_the_known_could_give(seed):
    known = {1, 2, 3, 4, 5, 6}
    block = draw_block(POOL, [], 4, {}, random.Random(seed), known=known, trials=1)
    assert len(set(block)) == 4 and len(set(block) - known) == 1
    # No unknown item left, or nothing known (a new course): no trial, the plain draw.
    everything = {item.id for item in POOL}
    assert set(draw_block(POOL, [], 4, {}, random.Random(seed), known=everything,
                          trials=1)) <= everything
    assert draw_block(POOL, [3], 4, QUOTAS, random.Random(seed), known=set(), trials=1) == (
        draw_block(POOL, [3], 4, QUOTAS, random.Random(seed)))
    # The trial item counts for the quotas: they are still met in the block.
    block = draw_block(POOL, [], 3, {"towels": 1}, random.Random(seed), known={1, 2, 5, 6},
                       trials=1)
    assert {5, 7} & set(block) and len(set(block) - {1, 2, 5, 6}) >= 1


def test_with_nothing_known_a_block_is_drawn_as_without_the_preference():
    for seed in range(20):
        assert draw_block(POOL, [3], 4, QUOTAS, random.Random(seed), known=set()) == (
            draw_block(POOL, [3], 4, QUOTAS, random.Random(seed)))


@pytest.mark.parametrize(("sections", "quotas", "met"), [
    ([("shoes",), ("hats",)], {}, 0),
    ([("shoes",), ("hats",), ("towels",)], {"hats": 1}, 2),
    ([("shoes", "hats"), ("hats",), ("towels",)], {"hats": 2, "shoes": 1}, 2),
    ([("shoes",), ("hats",)], {"towels": 1}, None),
    ([("hats",)], {"hats": 0}, 0),
])
def test_covered_at_is_the_item_at_which_every_quota_is_met(sections, quotas, met):
    assert covered_at(sections, quotas) == met
