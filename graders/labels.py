"""Labels items: tick any of N options; points are the Jaccard index, correct only when exact.

spec: {"options": [str, ...]} (2..50 unique names); gold and answer: a list of unique options,
possibly empty. An empty gold with an empty answer is a perfect answer (Jaccard 1.0).
"""

from __future__ import annotations

from typing import Any

from graders import checks
from graders.choice import MAX_OPTIONS, MIN_OPTIONS
from graders.result import Score


def parse_spec(spec: Any) -> tuple[str, ...]:
    """The spec's options in order, after checking them."""
    checks.obj(spec, "spec", ("options",))
    return checks.names(spec["options"], "spec.options", MIN_OPTIONS, MAX_OPTIONS)


def parse(options: tuple[str, ...], value: Any, role: str) -> frozenset[str]:
    """A list of unique options as a set."""
    allowed = dict.fromkeys(options)
    items = checks.array(value, role, len(options))
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        checks.member(item, f"{role}[{index}]", allowed, "option")
        if item in seen:
            checks.fail(f"{role}[{index}]", f"duplicate of {role}[{seen[item]}] {item!r}")
        seen[item] = index
    return frozenset(items)


def score(spec: Any, gold: Any, answer: Any) -> Score:
    """Jaccard index of the two sets of options; correct only when they are equal."""
    options = parse_spec(spec)
    expected = parse(options, gold, "gold")
    given = parse(options, answer, "answer")
    union = expected | given
    jaccard = len(expected & given) / len(union) if union else 1.0
    details = {
        "missing": [option for option in options if option in expected - given],
        "extra": [option for option in options if option in given - expected],
        "jaccard": jaccard,
    }
    return Score(float(jaccard), expected == given, details)
