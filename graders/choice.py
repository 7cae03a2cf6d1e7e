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


def parse(options: dict[str, None], value: Any, role: str) -> str:
    """The chosen option, after checking that it is one of the spec's (`role`: answer or gold)."""
    checks.member(value, role, options, "option")
    return value


def score(spec: Any, gold: Any, answer: Any) -> Score:
    """1 point for the gold option, 0 for any other."""
    options = parse_spec(spec)
    parse(options, gold, "gold")
    parse(options, answer, "answer")
    correct = answer == gold
    return Score(float(correct), correct, {"expected": gold, "given": answer})
