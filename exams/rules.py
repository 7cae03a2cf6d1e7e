"""The exam rules a course sets: one table of their bounds, units and texts.

Pure logic: no Flask, no database. The course bundle's `exam:` block (exams/bundle_block.py
reads it, `ExamRules.bundle_block` writes it), the settings form (exams/forms.py), the settings
check (`problems`) and the stored settings (exams/models.py) all read their bounds, units and
defaults here, and check section quotas with `quota_problems`. Course bundles carry an
ExamRules without looking inside (courses never import exams): courses know it only as a
courses.bundles.ExamBlock, which gives the block to write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Literal, TypeGuard

from exams import sequential
from exams.grading import ResultDetail
from exams.operating import truncation_problem

RESULT_DETAILS = tuple(detail.value for detail in ResultDetail)
# How an attempt runs: a fixed number of items, or a sequential test that stops as soon as the
# result is certain (exams.sequential; delivered in blocks by exams.blocks, docs/exams.md).
MODES = ("fixed", "sequential")
_SEQUENTIAL = sequential.SequentialRules()  # the sequential defaults: the example


@dataclass(frozen=True)
class ExamRules:
    """A course's exam rules, in the units exams store them (seconds, days); the defaults are
    every rule's default. Course bundles carry them as course.yaml's `exam:` block."""

    item_count: int = 10
    quotas: dict[str, int] = field(default_factory=dict)  # section id -> at least N items
    shuffle: bool = True
    pass_mark: float = 0.8
    critical_rule: bool = True
    time_limit_seconds: int | None = 1800
    attempts_allowed: int | None = 3
    retry_delay_seconds: int = 24 * 3600
    validity_days: int | None = None
    refresh_item_count: int = 5
    refresh_grace_days: int = 14
    result_detail: str = "sections"  # what a trainee's result shows: score, sections or counts
    mode: str = "fixed"  # one of MODES
    # The sequential test (exams.sequential.SequentialRules), used when mode is "sequential";
    # kept whatever the mode, so switching back and forth loses nothing.
    sequential_p0: float = _SEQUENTIAL.p0
    sequential_p1: float = _SEQUENTIAL.p1
    sequential_alpha: float = _SEQUENTIAL.alpha
    sequential_beta: float = _SEQUENTIAL.beta
    sequential_min_items: int = _SEQUENTIAL.min_items
    sequential_max_items: int = _SEQUENTIAL.max_items
    sequential_cut: float | None = _SEQUENTIAL.cut  # None: where the likelihood ratio is even

    @property
    def is_sequential(self) -> bool:
        return self.mode == "sequential"

    def sequential_rules(self) -> sequential.SequentialRules:
        """The sequential test these rules set; RulesError when they are out of bounds."""
        return sequential.SequentialRules(
            **{name: getattr(self, f"sequential_{name}") for name in SEQUENTIAL_NAMES})

    def bundle_block(self) -> dict[str, object]:
        """The rules as course.yaml's `exam:` block writes them: every key in the documented
        order (docs/course-bundles.md), numbers in the units instructors write (BOUNDS), quotas
        sorted. exams/bundle_block.py reads it back; courses.bundles writes it as YAML."""
        block: dict[str, object] = {}
        # A fixed exam with the default sequential test writes neither, as bundles did before.
        plain = not self.is_sequential and all(
            getattr(self, name) == getattr(DEFAULTS, name) for name in SEQUENTIAL_FIELDS)
        for name in BLOCK_ORDER:
            if plain and (name == "mode" or name in SEQUENTIAL_FIELDS):
                continue
            value = getattr(self, name)
            bound = BOUNDS.get(name)
            if name == "quotas":
                value = {section: int(count) for section, count in sorted(value.items())}
            elif bound is not None and value is not None:
                value = (in_units(value, bound.scale) if bound.scale != 1  # 30 (min), 0.5 (h)
                         else int(value) if bound.whole else float(value))  # 3; 0.8, 1.0
            key = bound.key if bound is not None else name
            parent, _, leaf = key.rpartition(".")
            into = block.setdefault(parent, {}) if parent else block
            into[leaf] = value  # type: ignore[index]
        return block


DEFAULTS = ExamRules()
SEQUENTIAL_NAMES = tuple(f.name for f in fields(sequential.SequentialRules))
SEQUENTIAL_FIELDS = tuple(f"sequential_{name}" for name in SEQUENTIAL_NAMES)


@dataclass(frozen=True)
class Bound:
    """One number's range, stored in `scale`-times smaller units than instructors write."""

    low: int | float
    high: int | float
    key: str  # its key in the bundle's `exam:` block (refresh.* nested under refresh:)
    example: str  # a value in the written units, for the bundle's messages
    problem: str  # what the settings check says when the stored value is out of range
    scale: int = 1  # stored units per written unit: 60 for minutes kept as seconds
    nullable: bool = False  # None is allowed (no limit)
    whole: bool = True  # written as a whole number (else a decimal, like 0.5)
    note: str = ""  # the range in plainer words, for the bundle's messages
    open_low: bool = False  # `low` itself is out of range
    bundle_range: str = ""  # the bundle's whole message on a value out of range, if not the usual

    def written(self) -> tuple[int | float, int | float]:
        """(low, high) in the units instructors write (the form's and the bundle's)."""
        return in_units(self.low, self.scale), in_units(self.high, self.scale)

    def holds(self, value: int | float | None, *, written: bool = False) -> bool:
        """Whether the value (stored, or in written units) is in range."""
        if value is None:
            return self.nullable
        low, high = self.written() if written else (self.low, self.high)
        return (low < value if self.open_low else low <= value) and value <= high


# Every numeric rule, in the order the settings check reports them.
BOUNDS: dict[str, Bound] = {
    "item_count": Bound(1, 500, "items", "10",
                        "The number of items must be between 1 and 500."),
    "pass_mark": Bound(0, 1, "pass_mark", "0.8",
                       "The pass mark must be more than 0% and at most 100%.",
                       whole=False, open_low=True,
                       bundle_range="must be a share of the points above 0 and at most 1, "
                                    "like 0.8 for 80%"),
    "time_limit_seconds": Bound(60, 86400, "time_limit_minutes", "30",
                                "The time limit must be between 1 minute and 24 hours.",
                                scale=60, nullable=True, whole=False, note=" (24 hours)"),
    "attempts_allowed": Bound(1, 100, "attempts", "3",
                              "Attempts allowed must be between 1 and 100.", nullable=True),
    "retry_delay_seconds": Bound(0, 365 * 86400, "retry_delay_hours", "24",
                                 "The retry delay must be between 0 and 365 days.",
                                 scale=3600, whole=False, note=" (365 days)"),
    "validity_days": Bound(1, 3650, "validity_days", "365",
                           "Validity must be between 1 and 3650 days.", nullable=True),
    "refresh_item_count": Bound(1, 500, "refresh.items", "5",
                                "The refresh exam needs between 1 and 500 items."),
    "refresh_grace_days": Bound(0, 365, "refresh.grace_days", "14",
                                "The grace period must be between 0 and 365 days."),
    # The sequential test: accuracies and error rates are shares (the form asks for %).
    "sequential_p0": Bound(0.01, 0.99, "sequential.p0", "0.7",
                           "The fail level must be between 1% and 99% accuracy.", whole=False),
    "sequential_p1": Bound(0.01, 0.99, "sequential.p1", "0.85",
                           "The pass level must be between 1% and 99% accuracy.", whole=False),
    "sequential_alpha": Bound(0.001, 0.25, "sequential.alpha", "0.05",
                              "The chance of passing a trainee at the fail level must be "
                              "between 0.1% and 25%.", whole=False),
    "sequential_beta": Bound(0.001, 0.25, "sequential.beta", "0.05",
                             "The chance of failing a trainee at the pass level must be "
                             "between 0.1% and 25%.", whole=False),
    "sequential_min_items": Bound(1, sequential.MAX_ITEMS_CAP, "sequential.min_items", "10",
                                  f"The fewest items of a sequential exam must be "
                                  f"between 1 and {sequential.MAX_ITEMS_CAP}."),
    "sequential_max_items": Bound(1, sequential.MAX_ITEMS_CAP, "sequential.max_items", "123",
                                  f"The most items of a sequential exam must be between 1 and "
                                  f"{sequential.MAX_ITEMS_CAP}."),
    "sequential_cut": Bound(0.01, 0.99, "sequential.cut", "0.78",
                            "The share right that passes at the most items must be between "
                            "1% and 99%.", nullable=True, whole=False),
}


# The rules in the order course.yaml's `exam:` block lists them (refresh.* and sequential.*
# nested; mode and sequential.* left out for a fixed exam with the default sequential test).
BLOCK_ORDER = ("item_count", "quotas", "shuffle", "pass_mark", "critical_rule", "result_detail",
               "time_limit_seconds", "attempts_allowed", "retry_delay_seconds", "validity_days",
               "refresh_item_count", "refresh_grace_days", "mode", *SEQUENTIAL_FIELDS)


def in_units(value: int | float, scale: int | float) -> int | float:
    """A stored value in written units; a whole number stays an int (1440, not 1440.0)."""
    written = value / scale
    return int(written) if float(written).is_integer() else written


# The form asks for the pass mark (a share of the points) as a percentage, from 1% up.
PASS_MARK_PERCENT = (1, in_units(BOUNDS["pass_mark"].high * 100, 1))


@dataclass(frozen=True)
class QuotaProblem:
    """One thing wrong with section quotas: one section's quota, or (section None) their sum.

    Each is worded for where it is shown: `line` follows the settings form's "Line 3: " (and,
    capitalised, is the settings check's sentence), `key` follows course.yaml's "exam.quotas"
    and reads like the bundle's other messages (docs/course-bundles.md).
    """

    section: str | None
    check: Literal["count", "section", "sum"]
    line: str
    key: str


def is_quota(count: object) -> TypeGuard[int]:
    """A quota is a whole number of items above 0."""
    return type(count) is int and count >= 1


def quota_problems(quotas: Mapping[str, object], *, sections: Sequence[str] | None = None,
                   item_count: int | None = None) -> list[QuotaProblem]:
    """What is wrong with quotas (section id -> the least number of items on it).

    A count is an int where it was written as a whole number, else the text written (None
    when it was not text). Checked: each count is a whole number above 0; each section with a
    good count is one of `sections`, the latest manual version's (listed in this order), when
    given; the good counts add up to no more than `item_count`, when given.
    """
    found: list[QuotaProblem] = []
    listing = ", ".join(sections or ())
    for section, count in quotas.items():
        if not is_quota(count):
            written = "" if count is None else f", not “{count}”"
            found.append(QuotaProblem(
                section, "count",
                f"the number of items for “{section}” must be a whole number above 0{written}.",
                f': the quota of section "{section}" must be a whole number above 0, like 2'))
        elif sections is not None and section not in sections:
            where = (f"The latest manual's sections are: {listing}." if listing
                     else "The course has no published manual yet.")
            found.append(QuotaProblem(
                section, "section", f"there is no section “{section}”. {where}",
                f': "{section}" is not a section of the latest manual version '
                f"(its sections: {listing or 'none'})"))
    total = sum(count for count in quotas.values() if is_quota(count))
    if item_count is not None and item_count >= 1 and total > item_count:
        found.append(QuotaProblem(
            None, "sum",
            f"the section quotas add up to {total} items, more than the {item_count} items "
            "of the exam.",
            f" add up to {total} items, more than the {item_count} items of the exam"))
    return found


def problems(rules: ExamRules) -> list[str]:
    """What is wrong with the rules themselves, whatever the pool holds."""
    found = [bound.problem for name, bound in BOUNDS.items()
             if not bound.holds(getattr(rules, name))]
    if rules.result_detail not in RESULT_DETAILS:
        found.append(f"What a result shows must be one of: {', '.join(RESULT_DETAILS)}.")
    if rules.mode not in MODES:
        found.append(f"The exam mode must be one of: {', '.join(MODES)}.")
    length = rules.sequential_max_items if rules.is_sequential else None
    found += [problem.line[0].upper() + problem.line[1:]
              for problem in quota_problems(rules.quotas, item_count=length)]
    if rules.is_sequential and all(BOUNDS[name].holds(getattr(rules, name))
                                   for name in SEQUENTIAL_FIELDS):
        found += sequential_problems(rules)
    return found


def sequential_problems(rules: ExamRules) -> list[str]:
    """What is wrong with a sequential test whose every number is in bounds: its levels and
    item counts against each other (as exams.sequential.rules_problems checks them), then
    whether stopping at the most items keeps the error rates (computed exactly by
    exams.operating.truncation_problem)."""
    p0, p1, cut = rules.sequential_p0, rules.sequential_p1, rules.sequential_cut
    least, most = rules.sequential_min_items, rules.sequential_max_items
    found = []
    if p0 >= p1:
        found.append(f"The pass level ({percent(p1)}) must be above the fail level "
                     f"({percent(p0)}).")
    if least > most:
        found.append(f"The fewest items ({least}) must be at most the most items "
                     f"({most}).")
    if cut is not None and not p0 <= cut <= p1:
        found.append(f"The share right that passes at the most items ({percent(cut)}) must lie "
                     f"between the fail level ({percent(p0)}) and the pass level ({percent(p1)}).")
    if found:
        return found
    problem = truncation_problem(rules.sequential_rules())
    return [problem] if problem else []


def percent(share: float) -> str:
    """A share as instructors write it on the form: 0.705 -> "70.5%", 0.7 -> "70%"."""
    return f"{round(share * 100, 2):g}%"
