"""An attempt's result from its items' scores: pure logic, no Flask, no database.

The score is the share of the points (each item is worth one point, partial credit allowed);
an attempt passes when the score reaches the pass mark and, under the critical rule, no
critical item is wrong. An unanswered item scores nothing.

What a trainee may see of a result (`disclose`) never lets them work out an item's own right
or wrong: with two-option items answered all the same way, a count of one item's misses is
its gold. So a trainee's result reports groups that partition the attempt (every item in
exactly one group, so no two counts can be subtracted to isolate an item), each of at least
MIN_GROUP items; it names or counts nothing smaller, and shows nothing but pass or fail for
an attempt of fewer than MIN_GROUP items (its score is a count too).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

EPSILON = 1e-9  # 0.8 of 10 points must pass a pass mark of 0.8 despite float sums
MIN_GROUP = 3  # no count or name a trainee sees stands for fewer items of the attempt


class ResultDetail(enum.StrEnum):
    """How much a trainee's result shows, as instructors choose it."""

    SCORE = "score"  # the score and pass/fail only
    SECTIONS = "sections"  # and the sections to re-read, without counts
    COUNTS = "counts"  # and the sections to re-read with "k of n items missed"


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
class SectionGroup:
    """Items of an attempt reported together; "" among the sections: items on no section."""

    sections: tuple[str, ...]
    items: int
    missed: int


@dataclass(frozen=True)
class AttemptResult:
    score: float
    passed: bool
    critical_missed: tuple[str, ...]
    sections: tuple[SectionResult, ...]  # every section with its counts: for staff only
    items: int = 0
    groups: tuple[SectionGroup, ...] = ()  # what a trainee may see: see partition()


def grade(graded: Sequence[Graded], pass_mark: float, critical_rule: bool,
          order: Sequence[str] = ()) -> AttemptResult:
    """Score, pass/fail, critical misses and the breakdowns of one attempt (`order`: the
    manual's section ids, to list groups in manual order)."""
    score = sum(g.points for g in graded) / len(graded) if graded else 0.0
    critical_missed = tuple(g.key for g in graded if g.critical and not g.correct)
    passed = score + EPSILON >= pass_mark and not (critical_rule and critical_missed)
    return AttemptResult(round(score, 6), passed, critical_missed, by_section(graded),
                         len(graded), partition(graded, order))


def by_section(graded: Sequence[Graded]) -> tuple[SectionResult, ...]:
    """Items and misses per section, in the order sections first appear."""
    totals: dict[str, list[int]] = {}
    for g in graded:
        for section in g.sections:
            counts = totals.setdefault(section, [0, 0])
            counts[0] += 1
            counts[1] += 0 if g.correct else 1
    return tuple(SectionResult(s, items, missed) for s, (items, missed) in totals.items())


def partition(graded: Sequence[Graded], order: Sequence[str] = ()) -> tuple[SectionGroup, ...]:
    """Groups of at least MIN_GROUP items that partition the attempt; () under MIN_GROUP items.

    Each item counts in its first section only (as practice modules group items), so that no
    two groups overlap and no count can be subtracted from another. Sections with fewer items
    are merged into one group that names them all; if that group is still too small, it joins
    the smallest other group. Grouping depends on the items' sections only, never on answers.
    """
    if len(graded) < MIN_GROUP:
        return ()
    counts: dict[str, list[int]] = {}
    for g in graded:
        tally = counts.setdefault(g.sections[0] if g.sections else "", [0, 0])
        tally[0] += 1
        tally[1] += 0 if g.correct else 1
    rank = {section: n for n, section in enumerate(order)}
    ordered = sorted(counts, key=lambda s: rank.get(s, len(rank)))  # stable: then as met
    groups = [SectionGroup((s,), *counts[s]) for s in ordered if counts[s][0] >= MIN_GROUP]
    small = [s for s in ordered if counts[s][0] < MIN_GROUP]
    if not small:
        return tuple(groups)
    other = SectionGroup(tuple(small), sum(counts[s][0] for s in small),
                         sum(counts[s][1] for s in small))
    if other.items >= MIN_GROUP or not groups:
        return (*groups, other)
    smallest = min(range(len(groups)), key=lambda n: groups[n].items)
    host = groups[smallest]
    groups[smallest] = SectionGroup(host.sections + other.sections, host.items + other.items,
                                    host.missed + other.missed)
    return tuple(groups)


@dataclass(frozen=True)
class Disclosure:
    """What the trainee who took an attempt sees of its result."""

    passed: bool
    score: float | None  # None: the attempt had fewer than MIN_GROUP items
    critical_failed: bool  # the score reached the pass mark, but a critical miss failed it
    groups: tuple[SectionGroup, ...]  # the groups with a miss (none at ResultDetail.SCORE)
    counts: bool  # whether their counts may be shown
    detail: ResultDetail


def disclose(result: AttemptResult, pass_mark: float, detail: ResultDetail) -> Disclosure:
    """The trainee's view of a result at the detail the instructors chose.

    A count of critical misses is never shown: critical items cut across the groups, so it
    could be subtracted from a group's count. That a critical miss failed the attempt is
    shown only when the score reached the pass mark, where "not passed" says it already.
    """
    if result.items < MIN_GROUP:
        return Disclosure(result.passed, None, False, (), False, detail)
    critical_failed = not result.passed and result.score + EPSILON >= pass_mark
    groups = () if detail == ResultDetail.SCORE else tuple(g for g in result.groups if g.missed)
    return Disclosure(result.passed, result.score, critical_failed, groups,
                      detail == ResultDetail.COUNTS, detail)


def disclose_sequential(passed: bool, drawn: Sequence[Graded], detail: ResultDetail,
                        order: Sequence[str] = ()) -> Disclosure:
    """A sequential attempt's view for its trainee: pass or fail and, at SECTIONS or COUNTS,
    the sections to re-read, grouped over every item drawn, without counts.

    The test's result depends on the items up to the one where it became certain: that item's
    answer is what carried the ratio over a boundary, and a score or count over the items it
    used is its number of right answers. So neither the score, nor counts, nor that a
    critical item decided it is shown; grouping over all the items drawn (the trainee saw
    them all) says nothing about where the test stopped.
    """
    groups = () if detail == ResultDetail.SCORE else tuple(
        g for g in partition(drawn, order) if g.missed)
    return Disclosure(passed, None, False, groups, False, detail)
