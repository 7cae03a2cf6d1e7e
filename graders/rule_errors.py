"""Which rules of the manual confuse trainees: error rates per section, and common mistakes.

Each item tests one or more sections of the manual. Per section, and separately for practice
and exams, the share of wrong answers on the items that test it, with a Wilson score interval;
and the wrong answers given most often. docs/statistics.md, "Rules that cause errors".
"""

from __future__ import annotations

import enum
import json
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scipy import stats

CONFIDENCE = 0.95
TOP_MISTAKES = 5


class Source(enum.StrEnum):
    """Where an answer was given: practice and exams are reported apart."""

    PRACTICE = "practice"
    EXAM = "exam"


@dataclass(frozen=True, slots=True)
class GivenAnswer:
    """One scored answer: the sections its item tests, whether it was right, and for common
    mistakes the item and the answer as a hashable key (see `answer_key`)."""

    sections: tuple[str, ...]
    correct: bool
    source: Source
    item: Hashable = None
    answer: Hashable = None


@dataclass(frozen=True, slots=True)
class SectionErrors:
    """Wrong answers on the items that test one section, from one source.

    rate = wrong / answers; low and high: the Wilson score interval at `confidence`.
    """

    section: str
    source: Source
    answers: int
    wrong: int
    rate: float
    low: float
    high: float
    confidence: float


@dataclass(frozen=True, slots=True)
class Mistake:
    """A wrong answer given `count` times to `item`; share: of the section's wrong answers."""

    item: Hashable
    answer: Hashable
    count: int
    share: float


def wilson_interval(wrong: int, answers: int, confidence: float = CONFIDENCE
                    ) -> tuple[float, float]:
    """The Wilson score interval of a proportion (Wilson, JASA 22, 1927), computed by
    `scipy.stats.binomtest(...).proportion_ci(method="wilson")`.

    Why Wilson and not p +- z sqrt(p(1-p)/n): with a handful of answers, or none wrong, the
    normal interval collapses to a point or leaves [0, 1]; Wilson's keeps honest width and
    bounds (Brown, Cai & DasGupta, Statistical Science 16, 2001).
    """
    if answers < 1 or not 0 <= wrong <= answers:
        raise ValueError("need answers >= 1 and 0 <= wrong <= answers")
    interval = stats.binomtest(wrong, answers).proportion_ci(confidence, method="wilson")
    return float(interval.low), float(interval.high)


def section_errors(answers: Iterable[GivenAnswer], *, confidence: float = CONFIDENCE
                   ) -> tuple[SectionErrors, ...]:
    """Error rate per (section, source), the most confidently confusing first.

    An answer to an item that tests two sections counts for both. Rows are sorted by the
    interval's lower bound, highest first (a section wrong 3 times out of 4 is less sure to be
    confusing than one wrong 300 times out of 600; Evan Miller, "How not to sort by average
    rating", 2009), then by section and source.
    """
    totals: dict[tuple[str, Source], list[int]] = defaultdict(lambda: [0, 0])
    for given in answers:
        for section in dict.fromkeys(given.sections):
            counts = totals[section, Source(given.source)]
            counts[0] += 1
            counts[1] += not given.correct
    rows = []
    for (section, source), (count, wrong) in totals.items():
        low, high = wilson_interval(wrong, count, confidence)
        rows.append(SectionErrors(section, source, count, wrong, wrong / count, low, high,
                                  confidence))
    rows.sort(key=lambda row: (-row.low, row.section, row.source))
    return tuple(rows)


def common_mistakes(answers: Iterable[GivenAnswer], *, top: int = TOP_MISTAKES,
                    source: Source | None = None) -> Mapping[str, tuple[Mistake, ...]]:
    """The `top` most frequent wrong (item, answer) pairs per section, most frequent first.

    Counted per item, since the same answer means different mistakes on different items.
    Unanswered items (answer None) are not mistakes to call out. `source` keeps only practice
    or only exam answers. Ties are broken by item and answer (as text) to keep pages stable.
    """
    if top < 1:
        raise ValueError("top must be at least 1")
    wrong: dict[str, Counter[tuple[Hashable, Hashable]]] = defaultdict(Counter)
    for given in answers:
        if given.correct or given.answer is None:
            continue
        if source is not None and Source(given.source) is not source:
            continue
        for section in dict.fromkeys(given.sections):
            wrong[section][given.item, given.answer] += 1
    result = {}
    for section in sorted(wrong):
        counts = wrong[section]
        total = sum(counts.values())
        ranked = sorted(counts.items(), key=lambda pair: (-pair[1], repr(pair[0])))
        result[section] = tuple(Mistake(item, answer, count, count / total)
                                for (item, answer), count in ranked[:top])
    return result


def answer_key(answer: Any, *, unordered: bool = True) -> str:
    """A stored JSON answer as a hashable key: canonical JSON, object keys sorted, and with
    `unordered` lists sorted too (a set of labels, or boxes, has no order), so that equal
    answers count together."""

    def canonical(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(key): canonical(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            items = [canonical(item) for item in value]
            if unordered:
                items.sort(key=lambda item: json.dumps(item, sort_keys=True))
            return items
        return value

    return json.dumps(canonical(answer), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
