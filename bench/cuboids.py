"""Benchmark: score cuboids items (20 gold and 20 answer cuboids) end to end.

Run from the repository root: `python bench/cuboids.py [--quick]`. Prints
`cuboids_20x20_per_s`, the best of several rounds, on an item generated from a fixed seed;
issue 15's target is 5,000 items per second. The kind is not registered yet, so this calls
graders.cuboids.score directly.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graders import cuboids  # noqa: E402

LABELS = ["car", "motorcycle", "pedestrian", "cyclist"]
RANGE = {"x": [-40.0, 40.0], "y": [-40.0, 40.0], "z": [-3.0, 3.0]}


def random_cuboid(rng: random.Random) -> dict[str, Any]:
    """A road user's box somewhere in an 80 m square around the sensor."""
    return {"label": rng.choice(LABELS), "x": rng.uniform(-38, 38), "y": rng.uniform(-38, 38),
            "z": rng.uniform(-1.5, 0.5), "l": rng.uniform(0.5, 5), "w": rng.uniform(0.5, 2.2),
            "h": rng.uniform(1, 2), "yaw": rng.uniform(-math.pi, math.pi)}


def nudged(rng: random.Random, box: dict[str, Any]) -> dict[str, Any]:
    """A trainee's version of a gold cuboid: a few centimetres and degrees off."""
    return dict(box, x=box["x"] + rng.uniform(-0.2, 0.2), y=box["y"] + rng.uniform(-0.2, 0.2),
                yaw=box["yaw"] + rng.uniform(-0.1, 0.1))


def cuboids_item(rng: random.Random, count: int = 20) -> tuple[dict, list, list]:
    """A cuboids item with `count` gold cuboids and an answer with label errors, misses, extras."""
    gold = [random_cuboid(rng) for _ in range(count)]
    answer = [nudged(rng, box) for box in gold]
    for box in answer[:2]:
        box["label"] = next(label for label in LABELS if label != box["label"])
    answer[2:4] = [random_cuboid(rng), random_cuboid(rng)]  # two misses and two extras
    rng.shuffle(answer)
    return {"labels": LABELS, "range": RANGE}, gold, answer


def per_second(quick: bool) -> float:
    """Items scored per second in the fastest round."""
    calls, rounds = (200, 3) if quick else (2_000, 7)
    spec, gold, answer = cuboids_item(random.Random(20261207))  # noqa: S311 - test data
    best = math.inf
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            cuboids.score(spec, gold, answer)
        best = min(best, (time.perf_counter() - start) / calls)
    return 1 / best


def main() -> None:
    """Print the metric."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    print(f"cuboids_20x20_per_s: {per_second(parser.parse_args().quick):.0f}")


if __name__ == "__main__":
    main()
