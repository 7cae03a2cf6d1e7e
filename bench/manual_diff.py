"""Benchmark: render a 60-page manual and diff it against an edited version.

Run from the repository root: `python bench/manual_diff.py [--quick]`. Prints one
`metric: value` line per measurement so that tests and CI can read it.
The manuals are generated from a fixed seed, so runs are comparable over time.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from courses.manual_diff import diff_manuals  # noqa: E402
from courses.rendering import render_manual  # noqa: E402

WORDS_PER_PAGE = 500
SECTIONS_PER_PAGE = 2.5
VOCABULARY = (
    "label box garment mannequin dress shoe flipper legging tights towel armour reflection photo "
    "mirror selfie suitcase pedestrian cyclist vehicle frame lidar cuboid keypoint elbow knee "
    "head crowd transcript emotion call annotator reviewer guideline edge case occluded partly "
    "visible worn real wearable item image object person bicycle road crossing night rain blur "
    "always never only when even if the a an of in on with without is are be must should"
).split()
SUBJECTS = ("Clothing", "Mannequins", "Reflections", "Footwear", "Vehicles", "Pedestrians")
SUBJECTS += ("Cyclists", "Keypoints", "Occlusion", "Night frames", "Transcripts", "Edge cases")


@dataclass
class Part:
    """One section of a generated manual: a heading and its Markdown blocks."""

    title: str
    level: int
    blocks: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        return "\n\n".join([f"{'#' * self.level} {self.title}", *self.blocks])


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(VOCABULARY) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def block(rng: random.Random) -> str:
    """A paragraph most of the time; sometimes a list, a table or a DO/DON'T call-out."""
    roll = rng.random()
    if roll < 0.08:
        return "\n".join(f"- {sentence(rng, 5)}" for _ in range(4))
    if roll < 0.085:
        rows = [f"| {rng.choice(VOCABULARY)} | {sentence(rng, 4)} |" for _ in range(4)]
        return "\n".join(["| item | rule |", "|:--|--|", *rows])
    if roll < 0.145:
        kind = rng.choice(("do", "dont", "note"))
        image = f"![Example](media/example-{rng.randrange(99)}.png)"
        return f"::: {kind}\n{sentence(rng, 12)}\n{image}\n:::"
    return " ".join(sentence(rng, rng.randint(6, 10)) for _ in range(2))


def generate(rng: random.Random, pages: int) -> list[Part]:
    """A manual of about WORDS_PER_PAGE words per page, split into headed sections."""
    count = max(3, round(pages * SECTIONS_PER_PAGE))
    blocks_each = round(pages * WORDS_PER_PAGE / count / 17)
    parts = []
    for n in range(count):
        title = f"{rng.choice(SUBJECTS)} rule {n + 1}"
        parts.append(Part(title, 2 if n % 5 else 1, [block(rng) for _ in range(blocks_each)]))
    return parts


def edit(rng: random.Random, parts: list[Part]) -> list[Part]:
    """A new version: ~10% of sections edited, a few added, removed and moved."""
    new = [Part(p.title, p.level, list(p.blocks)) for p in parts]
    changes = max(1, len(new) // 30)
    for part in rng.sample(new, max(1, len(new) // 10)):
        spot = rng.randrange(len(part.blocks))
        part.blocks[spot] = part.blocks[spot].replace(" the ", " every ", 2)
        part.blocks.insert(spot + 1, sentence(rng, 12))
    for _ in range(changes):
        del new[rng.randrange(1, len(new))]
        new.insert(rng.randrange(1, len(new)), new.pop(rng.randrange(1, len(new))))
        added = Part(f"New clarification {rng.randrange(10**6)}", 2, [block(rng), block(rng)])
        new.insert(rng.randrange(1, len(new)), added)
    return new


def best_ms(action: Callable[[], object], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a 3-page smoke run")
    args = parser.parse_args(argv)
    rng = random.Random(20240601)  # noqa: S311 -- reproducible test data, not secrets
    parts = generate(rng, 3 if args.quick else 60)
    old_md = "\n\n".join(p.markdown() for p in parts)
    new_md = "\n\n".join(p.markdown() for p in edit(rng, parts))
    runs = 1 if args.quick else 5
    started = time.perf_counter()
    old, new = render_manual(old_md), render_manual(new_md)
    diff_manuals(old, new)
    render_and_diff = (time.perf_counter() - started) * 1000
    print(f"words: {len(old_md.split())}")
    print(f"sections: {len(old.sections)}")
    print(f"render_ms: {best_ms(lambda: render_manual(old_md), runs):.1f}")
    print(f"diff_ms: {best_ms(lambda: diff_manuals(old, new), runs):.1f}")
    print(f"render_and_diff_ms: {render_and_diff:.1f}")


if __name__ == "__main__":
    main()
