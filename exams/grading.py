"""An attempt's result from its items' scores: pure logic, no Flask, no database.

The score is the share of the points (each item is worth one point, partial credit allowed);
an attempt passes when the score reaches the pass mark and, under the critical rule, no
critical item is wrong. An unanswered item scores nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

EPSILON = 1e-9  # 0.8 of 10 points must pass a pass mark of 0.8 despite float sums


@dataclass(frozen=True)
class Graded:
    """One item of an attempt, graded."""

    key: str
    sections: tuple[str, ...]
    critical: bool
    points: float
    correct: bool


@dataclass(frozen=True)
class SectionResult:
    """How the trainee did on the items that test one manual section."""

    section: str
    items: int
    missed: int


@dataclass(frozen=True)
class AttemptResult:
    score: float
    passed: bool
    critical_missed: tuple[str, ...]
    sections: tuple[SectionResult, ...]


def grade(graded: Sequence[Graded], pass_mark: float, critical_rule: bool) -> AttemptResult:
    """Score, pass/fail, critical misses and the per-section breakdown of one attempt."""
    score = sum(g.points for g in graded) / len(graded) if graded else 0.0
    critical_missed = tuple(g.key for g in graded if g.critical and not g.correct)
    passed = score + EPSILON >= pass_mark and not (critical_rule and critical_missed)
    return AttemptResult(round(score, 6), passed, critical_missed, by_section(graded))


def by_section(graded: Sequence[Graded]) -> tuple[SectionResult, ...]:
    """Items and misses per section, in the order sections first appear."""
    totals: dict[str, list[int]] = {}
    for g in graded:
        for section in g.sections:
            counts = totals.setdefault(section, [0, 0])
            counts[0] += 1
            counts[1] += 0 if g.correct else 1
    return tuple(SectionResult(s, items, missed) for s, (items, missed) in totals.items())
