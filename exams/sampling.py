"""Drawing an attempt's items from an exam pool, with optional quotas per manual section.

Pure logic: no Flask, no database. Quotas are filled first (each quota's section from items
not drawn yet), then the rest of the count from every item not drawn yet, each draw uniform.
A quota asks for at least that many items on its section; an item that tests two sections
counts for both. A sequential exam draws in blocks (draw_block), quota items first, and may
not stop before its quotas are met (covered_at); within the quotas and the rest alike it
prefers items whose difficulty is known (known_first), so that a new item of unmeasured
difficulty enters only where the measured ones run out, or as an attempt's one trial item
(`trials`): without it a new item would never be answered, so never measured.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PoolItem:
    """What sampling needs to know about an item of the pool."""

    id: int
    sections: tuple[str, ...]


class SamplingError(ValueError):
    """The pool cannot give what the settings ask; the message says what is missing."""


def sampling_problems(pool: Sequence[PoolItem], count: int,
                      quotas: Mapping[str, int]) -> list[str]:
    """Why `count` items with these quotas cannot be drawn from `pool` (empty when they can)."""
    problems = []
    if count < 1:
        problems.append("An exam needs at least one item.")
    if len(pool) < count:
        problems.append(f"The exam pool has {len(pool)} active items; the exam needs {count}.")
    if sum(quotas.values()) > count:
        problems.append(f"The section quotas add up to {sum(quotas.values())}, more than the "
                        f"{count} items of the exam.")
    for section, wanted in quotas.items():
        have = sum(1 for item in pool if section in item.sections)
        if wanted < 0:
            problems.append(f"The quota for section {section!r} is negative.")
        elif have < wanted:
            problems.append(f"Section {section!r} has {have} exam items; its quota is {wanted}.")
    return problems


def sample(pool: Sequence[PoolItem], count: int, quotas: Mapping[str, int],
           rng: random.Random, *, shuffle: bool = True) -> list[int]:
    """Item ids for one attempt: `count` items meeting every quota, shuffled or in pool order."""
    problems = sampling_problems(pool, count, quotas)
    if problems:
        raise SamplingError(" ".join(problems))
    chosen = _draw(pool, count, quotas, rng)
    if shuffle:
        rng.shuffle(chosen)
        return chosen
    order = {item.id: n for n, item in enumerate(pool)}
    return sorted(chosen, key=order.__getitem__)


def draw_block(pool: Sequence[PoolItem], drawn: Sequence[int], size: int,
               quotas: Mapping[str, int], rng: random.Random, *,
               shuffle: bool = True, known: Collection[int] | None = None,
               trials: int = 0) -> list[int]:
    """The next block of a sequential attempt: up to `size` items of `pool` not in `drawn`,
    the quotas' shortfall (what `drawn` does not cover yet) first, so that coverage is met as
    early as possible, then uniform draws. Fewer than `size` only when the pool runs out.
    `known`: the ids of items whose difficulty is known; each draw (a quota's, the rest's)
    takes them first (known_first). None (or an empty set): every item alike. `trials`: up to
    that many items of unknown difficulty drawn uniformly before the rest (fewer when fewer
    are left, none without `known`), so that new items get answered and become known."""
    taken = set(drawn)
    unknown = [item.id for item in pool if item.id not in taken
               and known and item.id not in known]
    trial = rng.sample(unknown, min(trials, len(unknown), size)) if known else []
    taken.update(trial)
    rest = [item for item in pool if item.id not in taken]
    chosen = trial + _draw(rest, min(size - len(trial), len(rest)), quotas, rng,
                           drawn=_covered(pool, taken), known=known)
    if shuffle:
        rng.shuffle(chosen)
    return chosen


def covered_at(sections: Sequence[Sequence[str]], quotas: Mapping[str, int]) -> int | None:
    """After how many items (the items' sections in the order drawn) every quota is met:
    0 without quotas, None when these items never meet them."""
    need = {section: wanted for section, wanted in quotas.items() if wanted > 0}
    for n, item_sections in enumerate(sections, start=1):
        if not need:
            return n - 1
        for section in item_sections:
            if section in need:
                need[section] -= 1
                if need[section] <= 0:
                    del need[section]
    return len(sections) if not need else None


def _covered(pool: Sequence[PoolItem], ids: set[int]) -> dict[str, int]:
    """How many of the items `ids` test each section."""
    counts: dict[str, int] = {}
    for item in pool:
        if item.id in ids:
            for section in item.sections:
                counts[section] = counts.get(section, 0) + 1
    return counts


def known_first(candidates: Sequence[int], count: int, rng: random.Random,
                known: Collection[int] | None) -> list[int]:
    """`count` of `candidates` drawn uniformly, those in `known` first: an item outside it is
    drawn only when the known ones cannot give `count`. Without `known` (None) or with none
    known, the same draw as rng.sample(candidates, count)."""
    if known is None:
        return rng.sample(candidates, count)
    first = [item for item in candidates if item in known]
    took = rng.sample(first, min(count, len(first)))
    return took + rng.sample([item for item in candidates if item not in known],
                             count - len(took))


def _draw(pool: Sequence[PoolItem], count: int, quotas: Mapping[str, int],
          rng: random.Random, drawn: Mapping[str, int] | None = None,
          known: Collection[int] | None = None) -> list[int]:
    """`count` ids of `pool`, quota items first (only what `drawn`, the items each section
    already has from earlier draws, leaves short), then the rest uniformly; each draw takes
    the `known` items first (known_first)."""
    chosen: list[int] = []
    taken: set[int] = set()
    drawn = drawn or {}
    # Scarcest sections first, so a section with few items is not starved by a broader one.
    for section, wanted in sorted(quotas.items(), key=lambda kv: _supply(pool, kv[0])):
        have = drawn.get(section, 0) + sum(1 for n in chosen
                                           if section in _sections_of(pool, n))
        candidates = [item.id for item in pool
                      if section in item.sections and item.id not in taken]
        if wanted <= have or len(chosen) >= count:
            continue
        # Never short: items taken so far that test this section count in `have`.
        picked = known_first(candidates, min(wanted - have, len(candidates),
                                             count - len(chosen)), rng, known)
        chosen += picked
        taken.update(picked)
    rest = [item.id for item in pool if item.id not in taken]
    chosen += known_first(rest, count - len(chosen), rng, known)
    return chosen


def _supply(pool: Sequence[PoolItem], section: str) -> int:
    return sum(1 for item in pool if section in item.sections)


def _sections_of(pool: Sequence[PoolItem], item_id: int) -> tuple[str, ...]:
    return next(item.sections for item in pool if item.id == item_id)
