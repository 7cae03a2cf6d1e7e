"""One-to-one optimal matching (Hungarian) shared by boxes, spans and persons.

Matching favours the trainee: it pairs as many items as the rules allow, and among those
pairings takes the one with the highest total similarity. Candidate pairs are edges
(gold, answer, similarity); when no item is in two edges the edges already are the matching,
which is the usual case for a decent answer and costs no solver call. Otherwise SciPy's
assignment solver decides; it is deterministic, so the same input always gives the same pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress
from operator import eq, not_
from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

Edge = tuple[int, int, float]


class Matching(NamedTuple):
    """Edges matched with the right label or across labels, and the unmatched indices."""

    matched: list[Edge]
    mislabelled: list[Edge]
    missed: list[int]
    extra: list[int]


def edges(similarity: np.ndarray, allowed: np.ndarray) -> list[Edge]:
    """The allowed cells of a (gold x answer) matrix as edges, in row-major order."""
    rows, cols = np.nonzero(allowed)
    # A boolean mask reads its cells in the same row-major order as np.nonzero lists them.
    return list(zip(rows.tolist(), cols.tolist(), similarity[allowed].tolist(), strict=True))


def assign(candidates: list[Edge], prefer_at: float | None = None) -> list[Edge]:
    """A one-to-one subset of `candidates`, sorted by gold index.

    It has as many edges with similarity >= `prefer_at` as possible (by default: as many edges
    as possible), then the highest total similarity (similarities are in [0, 1]).
    """
    golds = {gold for gold, _, _ in candidates}
    answers = {answer for _, answer, _ in candidates}
    if len(golds) == len(answers) == len(candidates):
        return sorted(candidates)
    rows, cols = sorted(golds), sorted(answers)
    row_of = {gold: i for i, gold in enumerate(rows)}
    col_of = {answer: j for j, answer in enumerate(cols)}
    # A bonus above any possible total similarity makes the count of preferred edges come first.
    bonus = min(len(rows), len(cols)) + 1.0
    gain = np.zeros((len(rows), len(cols)))
    for gold, answer, similarity in candidates:
        preferred = prefer_at is None or similarity >= prefer_at
        gain[row_of[gold], col_of[answer]] = similarity + bonus * preferred
    picked = dict(zip(*(part.tolist() for part in linear_sum_assignment(gain, maximize=True)),
                      strict=True))
    # The solver assigns every row it can; cells that are not candidates are dropped here.
    return sorted(
        (gold, answer, similarity)
        for gold, answer, similarity in candidates
        if picked.get(row_of[gold]) == col_of[answer]
    )


def match_labelled(
    candidates: list[Edge], gold_labels: Sequence[str], answer_labels: Sequence[str]
) -> Matching:
    """Match per label first, then pair what is left across labels as label errors.

    A right box (or span) with the wrong label is then reported as mislabelled rather than as
    a miss plus an extra, which is the feedback a trainee needs.
    """
    matched = assign([e for e in candidates if gold_labels[e[0]] == answer_labels[e[1]]])
    gold_taken = {gold for gold, _, _ in matched}
    answer_taken = {answer for _, answer, _ in matched}
    mislabelled: list[Edge] = []
    if len(matched) < min(len(gold_labels), len(answer_labels)):
        # No same-label edge is left here: the first pass took it (it pairs as many as it can).
        mislabelled = assign([
            e for e in candidates if e[0] not in gold_taken and e[1] not in answer_taken
        ])
        gold_taken.update(gold for gold, _, _ in mislabelled)
        answer_taken.update(answer for _, answer, _ in mislabelled)
    return Matching(
        matched=matched,
        mislabelled=mislabelled,
        missed=[i for i in range(len(gold_labels)) if i not in gold_taken],
        extra=[j for j in range(len(answer_labels)) if j not in answer_taken],
    )


def match_cells(similarity: np.ndarray, allowed: np.ndarray, gold_labels: Sequence[str],
                answer_labels: Sequence[str]) -> Matching:
    """match_labelled over the allowed cells of a (gold x answer) similarity matrix."""
    matching = quick_match_labelled(allowed, similarity, gold_labels, answer_labels)
    if matching is None:
        matching = match_labelled(edges(similarity, allowed), gold_labels, answer_labels)
    return matching


def quick_match_labelled(
    allowed: np.ndarray, similarity: np.ndarray, gold_labels: Sequence[str],
    answer_labels: Sequence[str],
) -> Matching | None:
    """What match_labelled(edges(similarity, allowed), ...) returns, without its sets and solver
    calls, when no item is in two allowed pairs (the usual case), else None.

    Then the allowed pairs already are a matching, and so is every subset: match_labelled's
    assign returns a subset whose items each occur once as it is, sorted, which is the
    row-major order of edges. Its first pass takes the same-label pairs; its second, run
    only when fewer than min(gold, answer) matched, the pairs left, all across labels (the
    same-label ones touch no other pair). The rest are missed and extra.
    """
    found_rows, found_cols = allowed.nonzero()  # np.nonzero wraps it in Python calls
    rows, cols = found_rows.tolist(), found_cols.tolist()
    if len(set(rows)) < len(rows) or len(set(cols)) < len(cols):
        return None
    pairs = list(zip(rows, cols, similarity[allowed].tolist(), strict=True))
    same = list(map(eq, map(gold_labels.__getitem__, rows), map(answer_labels.__getitem__, cols)))
    matched = list(compress(pairs, same))
    mislabelled: list[Edge] = []
    if len(matched) < min(len(gold_labels), len(answer_labels)):
        mislabelled = list(compress(pairs, map(not_, same)))  # every pair is taken
    else:
        rows, cols = list(compress(rows, same)), list(compress(cols, same))
    return Matching(matched, mislabelled, unpaired(len(gold_labels), rows),
                    unpaired(len(answer_labels), cols))


def unpaired(count: int, paired: list[int]) -> list[int]:
    """The indices below `count` that are not in `paired` (which has no repeats), in order."""
    if len(paired) == count:
        return []
    taken = set(paired)
    return [i for i in range(count) if i not in taken]


def precision_recall_f1(hits: int, gold: int, answer: int) -> tuple[float, float, float]:
    """Precision, recall and F1; an empty side counts as perfect, so empty vs empty is 1.0."""
    precision = hits / answer if answer else 1.0
    recall = hits / gold if gold else 1.0
    f1 = 2.0 * hits / (gold + answer) if gold + answer else 1.0
    return precision, recall, f1
