"""One-to-one matching: optimal (most pairs, then highest similarity), deterministic, safe."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from graders.matching import (
    assign,
    edges,
    match_cells,
    match_labelled,
    precision_recall_f1,
    quick_match_labelled,
)


def brute_force(candidates, prefer_at=None):
    """The best (preferred count, similarity sum) over every one-to-one subset."""
    best = (0, 0.0)
    for size in range(1, len(candidates) + 1):
        for subset in itertools.combinations(candidates, size):
            golds = {g for g, _, _ in subset}
            answers = {a for _, a, _ in subset}
            if len(golds) == len(answers) == size:
                preferred = sum(prefer_at is None or s >= prefer_at for _, _, s in subset)
                best = max(best, (preferred, sum(s for _, _, s in subset)))
    return best


def random_candidates(rng, ties=False):
    gold, answer = rng.randint(1, 4), rng.randint(1, 4)
    cells = [(i, j) for i in range(gold) for j in range(answer) if rng.random() < 0.6]
    values = [0.5, 0.75, 1.0]
    return [(i, j, rng.choice(values) if ties else rng.uniform(0.3, 1.0)) for i, j in cells]


@pytest.mark.parametrize("ties", [False, True])
def test_assign_is_optimal_on_random_small_graphs(ties):
    rng = random.Random(7)
    for _ in range(300):
        candidates = random_candidates(rng, ties)
        prefer_at = rng.choice([None, 0.6])
        pairs = assign(candidates, prefer_at)
        assert set(pairs) <= set(candidates)
        assert len({g for g, _, _ in pairs}) == len({a for _, a, _ in pairs}) == len(pairs)
        assert pairs == sorted(pairs)
        preferred = sum(prefer_at is None or s >= prefer_at for _, _, s in pairs)
        best = brute_force(candidates, prefer_at)
        assert preferred == best[0]
        assert sum(s for _, _, s in pairs) == pytest.approx(best[1], abs=1e-9)


def test_assign_never_returns_a_pair_that_was_not_a_candidate():
    # The solver must fill a full assignment of the 3 x 3 block, with forbidden cells.
    candidates = [(0, 0, 0.9), (0, 1, 0.9), (1, 0, 0.9), (2, 0, 0.9), (2, 2, 0.9)]
    assert assign(candidates) == [(0, 1, 0.9), (1, 0, 0.9), (2, 2, 0.9)]
    assert assign([(0, 0, 0.9), (1, 0, 0.8), (2, 0, 0.7)]) == [(0, 0, 0.9)]


def test_ties_go_to_the_lower_index_and_never_vary():
    assert assign([(0, 0, 0.9), (0, 1, 0.9)]) == [(0, 0, 0.9)]
    assert assign([(0, 0, 0.9), (1, 0, 0.9)]) == [(0, 0, 0.9)]
    square = [(i, j, 0.9) for i in range(3) for j in range(3)]
    assert assign(square) == [(0, 0, 0.9), (1, 1, 0.9), (2, 2, 0.9)]
    rng = random.Random(3)
    for _ in range(50):
        candidates = random_candidates(rng, ties=True)
        assert all(assign(list(candidates)) == assign(candidates) for _ in range(3))


def test_assign_of_nothing_is_nothing():
    assert assign([]) == []


def test_edges_lists_allowed_cells_row_by_row():
    similarity = np.array([[0.9, 0.2], [0.6, 0.7]])
    assert edges(similarity, similarity >= 0.5) == [(0, 0, 0.9), (1, 0, 0.6), (1, 1, 0.7)]
    empty = np.zeros((0, 3))
    assert edges(empty, empty > 0) == []


def test_match_labelled_matches_labels_first_then_reports_label_errors():
    candidates = [(0, 0, 0.9), (0, 1, 0.8), (1, 1, 0.95), (2, 2, 0.6)]
    matching = match_labelled(candidates, ["car", "car", "bus"], ["car", "bus", "car", "car"])
    assert matching.matched == [(0, 0, 0.9)]
    assert matching.mislabelled == [(1, 1, 0.95), (2, 2, 0.6)]
    assert (matching.missed, matching.extra) == ([], [3])


def test_match_labelled_does_not_turn_a_match_into_a_label_error():
    # Gold 0 matches answer 1 with the right label; answer 0 (wrong label, better overlap)
    # must then stay an extra, not steal gold 0.
    matching = match_labelled([(0, 0, 0.99), (0, 1, 0.6)], ["car"], ["bus", "car"])
    assert (matching.matched, matching.mislabelled, matching.extra) == ([(0, 1, 0.6)], [], [0])


@pytest.mark.parametrize(
    ("hits", "gold", "answer", "expected"),
    [
        (0, 0, 0, (1.0, 1.0, 1.0)),
        (0, 3, 0, (1.0, 0.0, 0.0)),
        (0, 0, 2, (0.0, 1.0, 0.0)),
        (2, 4, 2, (1.0, 0.5, 2 / 3)),
        (3, 3, 3, (1.0, 1.0, 1.0)),
    ],
)
def test_precision_recall_f1(hits, gold, answer, expected):
    assert precision_recall_f1(hits, gold, answer) == pytest.approx(expected)


def random_cells(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list, list]:
    """A random similarity matrix, its allowed cells, and two labels per side at random."""
    shape = tuple(rng.integers(0, 7, size=2))
    allowed = rng.random(shape) < rng.choice([0.1, 0.3, 0.6])
    similarity = np.where(allowed, rng.random(shape), 0.0)
    return (similarity, allowed, list(rng.choice(["car", "bike"], size=shape[0])),
            list(rng.choice(["car", "bike"], size=shape[1])))


def test_quick_match_labelled_is_what_match_labelled_gives():
    """Random allowed matrices and labels: whenever quick_match_labelled answers, its answer is
    match_labelled's, and it answers for every matrix with at most one pair per row and
    column."""
    rng = np.random.default_rng(11)
    answered = 0
    for _ in range(3000):
        overlap, allowed, gold_labels, answer_labels = random_cells(rng)
        quick = quick_match_labelled(allowed, overlap, gold_labels, answer_labels)
        one_each = not allowed.size or allowed.sum(axis=0).max() <= 1 >= allowed.sum(axis=1).max()
        assert (quick is not None) == one_each
        if quick is not None:
            answered += 1
            assert quick == match_labelled(edges(overlap, allowed), gold_labels, answer_labels)
    assert answered > 500


def test_match_cells_is_match_labelled_over_the_allowed_cells():
    rng = np.random.default_rng(12)
    for _ in range(1000):
        overlap, allowed, gold_labels, answer_labels = random_cells(rng)
        assert match_cells(overlap, allowed, gold_labels, answer_labels) == match_labelled(
            edges(overlap, allowed), gold_labels, answer_labels)
