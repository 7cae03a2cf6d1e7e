"""Choice items: pick one of N options; 1 point when it is the gold option, else 0.

spec: {"options": [str, ...]} (2..50 unique names); gold and answer: one option.
"""

from __future__ import annotations

from typing import Any

from graders import checks
from graders.result import Score

MIN_OPTIONS = 2
MAX_OPTIONS = 50


def parse_spec(spec: Any) -> dict[str, None]:
    """The spec's options as an ordered set (a dict), after checking them."""
    checks.obj(spec, "spec", ("options",))
    return dict.fromkeys(checks.names(spec["options"], "spec.options", MIN_OPTIONS, MAX_OPTIONS))


def validate_spec(spec: Any) -> None:
    """Raise ScoringError unless `spec` is a valid choice spec."""
    parse_spec(spec)


def validate_answer(spec: Any, value: Any, role: str = "answer") -> None:
    """Raise ScoringError unless `value` is one of the spec's options (`role`: answer or gold)."""
    checks.member(value, checks.role(role), parse_spec(spec), "option")


def score(spec: Any, gold: Any, answer: Any) -> Score:
    """1 point for the gold option, 0 for any other."""
    options = parse_spec(spec)
    checks.member(gold, "gold", options, "option")
    checks.member(answer, "answer", options, "option")
    correct = answer == gold
    return Score(float(correct), correct, {"expected": gold, "given": answer})
