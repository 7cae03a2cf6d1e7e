"""The exam rules a course sets: one table of their bounds, units and texts.

Pure logic: no Flask, no database. The course bundle's `exam:` block (exams/bundle_block.py),
the settings form (exams/forms.py), the settings check (`problems`) and the stored settings
(exams/models.py) all read their bounds and defaults here. The defaults are those of
courses.bundles.ExamSpec, the plain data bundles carry (courses never import exams), which
exams uses as its ExamRules.
"""

from __future__ import annotations

from dataclasses import dataclass

from courses.bundles.model import ExamSpec
from exams.grading import ResultDetail

ExamRules = ExamSpec
DEFAULTS = ExamRules()
RESULT_DETAILS = tuple(detail.value for detail in ResultDetail)


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
}


def in_units(value: int | float, scale: int | float) -> int | float:
    """A stored value in written units; a whole number stays an int (1440, not 1440.0)."""
    written = value / scale
    return int(written) if float(written).is_integer() else written


# The form asks for the pass mark (a share of the points) as a percentage, from 1% up.
PASS_MARK_PERCENT = (1, in_units(BOUNDS["pass_mark"].high * 100, 1))


def problems(rules: ExamRules) -> list[str]:
    """What is wrong with the rules themselves, whatever the pool holds."""
    found = [bound.problem for name, bound in BOUNDS.items()
             if not bound.holds(getattr(rules, name))]
    if rules.result_detail not in RESULT_DETAILS:
        found.append(f"What a result shows must be one of: {', '.join(RESULT_DETAILS)}.")
    for section, count in rules.quotas.items():
        if type(count) is not int or count < 1:
            found.append(f"The quota for section {section!r} must be a whole number above 0.")
    return found
