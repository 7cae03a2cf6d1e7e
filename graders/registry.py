"""The registry of item kinds and the public entry points: score, validate, validate_answer.

Each kind is a module with parse_spec(spec) (the checked spec), parse(checked_spec, value,
role) (a checked gold or answer; role "gold" or "answer" names the path in errors and turns on
gold-only rules) and score(spec, gold, answer). This is the scoring layer of a kind; its widget,
feedback and the rest are in its courses/kinds.py entry (docs/scoring.md, "Adding a kind").
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType, ModuleType
from typing import Any

from graders import boxes, checks, choice, cuboids, labels, points, spans, tracks
from graders.result import Score

KINDS: Mapping[str, ModuleType] = MappingProxyType({
    "choice": choice,
    "labels": labels,
    "boxes": boxes,
    "points": points,
    "spans": spans,
    "cuboids": cuboids,
    "tracks": tracks,
})


def kind_module(kind: Any) -> ModuleType:
    """The module for `kind`, or a ScoringError at path "kind" naming the known kinds."""
    if type(kind) is str and kind in KINDS:
        return KINDS[kind]
    checks.fail("kind", f"unknown kind {checks.show(kind)} (known: {', '.join(KINDS)})")


def score(kind: str, spec: Any, gold: Any, answer: Any) -> Score:
    """Validate spec, gold and answer, then score the answer against the gold."""
    return kind_module(kind).score(spec, gold, answer)


def validate(kind: str, spec: Any, gold: Any) -> None:
    """Raise ScoringError unless `spec` and `gold` make a valid item of `kind` (for importers)."""
    module = kind_module(kind)
    module.parse(module.parse_spec(spec), gold, "gold")


def validate_answer(kind: str, spec: Any, answer: Any) -> None:
    """Raise ScoringError unless `answer` is well formed for this item (e.g. before storing it)."""
    module = kind_module(kind)
    module.parse(module.parse_spec(spec), answer, "answer")
