"""Benchmark: the sequential exam of issue 16 (p0 0.70, p1 0.85, 5% error each way) against the
shortest fixed-length exam with the same error rates, and the cost of its exact characteristics.

Run from the repository root: `python bench/sequential_exam.py [--quick]`. Prints one
`metric: value` line per measurement. The numbers are exact (exams/sequential.py), not
simulated; only the timings vary. `items_saved_share` is 1 - the larger of the two expected
numbers of items over the fixed test's items; `characteristics_ms` times the chart a settings
page draws (101 accuracies from 0 to 1) and `truncation_ms` the choice of max_items; each is
the best of several rounds, which is the least disturbed by other processes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exams.sequential import (  # noqa: E402
    SequentialRules,
    characteristics,
    choose_max_items,
    fixed_equivalent,
)


def best_ms(work: Callable[[], object], rounds: int) -> float:
    """The fastest of `rounds` runs of `work`, in milliseconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer rounds")
    rounds = 2 if parser.parse_args().quick else 20
    truncation = choose_max_items(SequentialRules(max_items=500))
    rules = truncation.rules
    at_p0, at_p1 = characteristics(rules, [rules.p0, rules.p1])
    fixed = fixed_equivalent(rules)
    grid = np.linspace(0, 1, 101)
    metrics = {
        "asn_p0": at_p0.expected_items,
        "asn_p1": at_p1.expected_items,
        "items_p95_p0": at_p0.items_p95,
        "items_p95_p1": at_p1.items_p95,
        "max_items": rules.max_items,
        "fixed_equivalent_items": fixed.items,
        "items_saved_share": 1 - max(at_p0.expected_items, at_p1.expected_items) / fixed.items,
        "pass_rate_p0": at_p0.pass_probability,
        "pass_rate_p1": at_p1.pass_probability,
        "characteristics_ms": best_ms(lambda: characteristics(rules, grid), rounds),
        "truncation_ms": best_ms(lambda: choose_max_items(rules), rounds),
    }
    for name, value in metrics.items():
        print(f"{name}: {value:.4f}" if isinstance(value, float) else f"{name}: {value}")


if __name__ == "__main__":
    main()
