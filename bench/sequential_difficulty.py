"""Benchmark: what unequal item difficulty does to a sequential exam's error rates, simulated with
the demo's item statistics (docs/exams.md, "Unequal difficulty").

Run from the repository root: `python bench/sequential_difficulty.py [--quick] [--from-demo URL]`.
Prints one `metric: value` line per measurement: the share of simulated trainees who pass at
the fail level p0 (the test promises at most alpha) and at the pass level p1 (at least
1 - beta), with the issue's test (p0 0.70, p1 0.85, 5% each way, 10 to 123 items).

The model (Rasch's): a trainee answers item i right with chance sigmoid(theta + delta_i), where
delta_i = logit(f_i) - the mean logit of the known items' facilities f_i, and theta is set so
that the trainee's mean chance over the known items is exactly p0 or p1: the accuracy the
levels speak of. The pool repeats the demo's facilities (DEMO_FACILITIES: the clothing course's
exam items with enough answers after `bootcamp demo`; --from-demo reads them again from a demo
database) to POOL items. Scenarios:

- exact: equal difficulty, the exact characteristics (exams/sequential.py): the nominal rates;
- equal: equal difficulty, simulated: the simulation's check against `exact`;
- demo: the demo's facilities, items drawn uniformly without replacement;
- hard_quota: the same, but the first QUOTA items are of the hardest kind, as a quota on a hard
  section drawn first (exams.sampling.draw_block) puts them;
- new_uniform: NEW items of unknown facility (as hard as the hardest known item) join the
  pool, drawn alike with the known ones;
- new_known_first: the same pool as sequential exams draw it: one new item as the attempt's
  trial in its first block, then the known items first (exams.sampling.draw_block; block by
  block that is a uniform order of the known items followed by one of the new ones);
- easy_new_uniform: as new_uniform, but the new items are as easy as the demo's easiest.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exams.sequential import SequentialRules, boundaries, characteristics  # noqa: E402

# Facility (share right, as (right + 1/2) / (answers + 1)) of the demo clothing course's 27
# exam items, each with at least 5 answers after a fresh `bootcamp demo` (facilities from 30%,
# the wrong-gold item, to 90%); --from-demo reads them again.
DEMO_FACILITIES = (0.3, 0.726, 0.674, 0.618, 0.5, 0.682, 0.5, 0.5, 0.682, 0.82, 0.844, 0.661,
                   0.69, 0.735, 0.617, 0.66, 0.9, 0.735, 0.518, 0.674, 0.713, 0.794, 0.738,
                   0.833, 0.712, 0.595, 0.5)
POOL = 130  # items in the simulated pool: more than the test's 123
QUOTA = 5  # hardest items drawn first in `hard_quota`
NEW = 30  # items of unknown facility in the `new_*` scenarios
CHUNK = 20_000


def ability(p: float, offsets: np.ndarray) -> float:
    """theta at which the mean chance over items with these offsets is p."""
    return brentq(lambda theta: float(expit(theta + offsets).mean()) - p, -30, 30)


def pass_rate(rules: SequentialRules, chances: np.ndarray, orders: np.ndarray,
              rng: np.random.Generator) -> float:
    """The share of trainees who pass: row t answers pool items orders[t] in that order, item j
    right with chance chances[j]; the test decides at the first boundary crossed."""
    bounds = boundaries(rules)
    n = rules.max_items
    right = rng.random((orders.shape[0], n)) < chances[orders[:, :n]]
    counts = np.cumsum(right, axis=1)
    steps = np.arange(1, n + 1)
    passes = counts >= bounds.pass_at[steps]
    decided = passes | (counts <= bounds.fail_at[steps])
    first = decided.argmax(axis=1)  # at max_items every count decides
    return float(passes[np.arange(len(first)), first].mean())


def orders_of(rng: np.random.Generator, trainees: int, first: Sequence[int],
              then: Sequence[int]) -> np.ndarray:
    """Each row: the items `first` in a random order, then `then` in a random order."""
    head = rng.permuted(np.tile(np.asarray(first, dtype=int), (trainees, 1)), axis=1)
    if not len(then):
        return head
    tail = rng.permuted(np.tile(np.asarray(then, dtype=int), (trainees, 1)), axis=1)
    return np.hstack([head, tail])


def with_trial(rng: np.random.Generator, orders: np.ndarray) -> np.ndarray:
    """The orders with one new item (of the columns after POOL) moved into the first block,
    as an attempt's trial item (exams.services.attempts.TRIAL_ITEMS) is drawn."""
    rows = np.arange(len(orders))
    trial = orders[rows, POOL + rng.integers(0, NEW, len(orders))]
    kept = orders[orders != trial[:, None]].reshape(len(orders), -1)
    return np.hstack([kept[:, :2], trial[:, None], kept[:, 2:]])


def simulate(rules: SequentialRules, facilities: Sequence[float], trainees: int,
             seed: int = 0) -> dict[str, float]:
    """Pass rates at p0 and p1 in each scenario of the module docstring."""
    rng = np.random.default_rng(seed)
    known = np.resize(np.asarray(facilities, dtype=float), POOL)
    centre = logit(known).mean()
    hardest = np.flatnonzero(known == known.min())
    pools = {  # scenario -> (offsets of the pool's items, how each trainee's order is drawn)
        "equal": (np.zeros(POOL), lambda t: orders_of(rng, t, range(POOL), [])),
        "demo": (logit(known) - centre, lambda t: orders_of(rng, t, range(POOL), [])),
        "hard_quota": (logit(known) - centre, lambda t: orders_of(
            rng, t, hardest[:QUOTA], np.setdiff1d(range(POOL), hardest[:QUOTA]))),
    }
    with_new = np.concatenate([logit(known), np.full(NEW, logit(known.min()))]) - centre
    pools["new_uniform"] = (with_new, lambda t: orders_of(rng, t, range(POOL + NEW), []))
    pools["new_known_first"] = (with_new, lambda t: with_trial(
        rng, orders_of(rng, t, range(POOL), range(POOL, POOL + NEW))))
    easy_new = np.concatenate([logit(known), np.full(NEW, logit(known.max()))]) - centre
    pools["easy_new_uniform"] = (easy_new, lambda t: orders_of(rng, t, range(POOL + NEW), []))
    exact = characteristics(rules, [rules.p0, rules.p1])
    found = {"exact_pass_rate_p0": exact[0].pass_probability,
             "exact_pass_rate_p1": exact[1].pass_probability}
    for name, (offsets, order) in pools.items():
        for level, p in (("p0", rules.p0), ("p1", rules.p1)):
            # The level is the accuracy on the known items (the first POOL offsets).
            chances = expit(ability(p, offsets[:POOL]) + offsets)
            passed, done = 0.0, 0
            while done < trainees:
                size = min(CHUNK, trainees - done)
                passed += pass_rate(rules, chances, order(size), rng) * size
                done += size
            found[f"{name}_pass_rate_{level}"] = passed / trainees
    return found


def demo_facilities(database_url: str) -> tuple[float, ...]:
    """The facilities of the demo clothing course's exam items with enough answers, read from a
    database `bootcamp demo` made."""
    import os

    os.environ["DATABASE_URL"] = database_url
    from bootcamp import create_app
    from courses.services import catalog
    from exams.services import item_stats

    with create_app().app_context():
        report = item_stats.item_report(catalog.find_course("clothing-tagging"))
        # (right + 1/2) / (answers + 1): an item every answer got right (or wrong) has a
        # facility short of 1 (or above 0), so that its Rasch offset is finite.
        return tuple(round((row.stats.facility / 100 * row.stats.answers + 0.5)
                           / (row.stats.answers + 1), 3)
                     for row in report.rows if row.enough)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer trainees")
    parser.add_argument("--from-demo", metavar="DATABASE_URL",
                        help="read the facilities from a demo database instead")
    args = parser.parse_args()
    facilities = demo_facilities(args.from_demo) if args.from_demo else DEMO_FACILITIES
    trainees = 2_000 if args.quick else 200_000
    for name, value in simulate(SequentialRules(), facilities, trainees).items():
        print(f"{name}: {value:.4f}")


if __name__ == "__main__":
    main()
