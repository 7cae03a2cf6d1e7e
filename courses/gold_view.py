"""An item's gold as the feedback draws it, and what changed between two revisions, in words.

Pure logic: no Flask, no database. The drawing is the kind's own feedback view of the gold
answered with itself (every part matched); the kind's feedback partial has a `gold` macro that
draws only the gold side of it. The changes are cheap and plain: "box 2 moved", "span 1
relabelled", "gold changed from “yes” to “no”", "settings changed: labels".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import graders
from courses.kinds import kind_of

MAX_CHANGES = 12


@dataclass
class GoldView:
    """One revision as the history shows it."""

    number: int
    view: Any  # the kind's feedback view of the gold, or None when it cannot be drawn
    problem: str | None  # why it cannot be drawn
    changes: list[str] = field(default_factory=list)


def gold_drawing(kind: str, spec: dict, gold: Any) -> tuple[Any, str | None]:
    """(the kind's feedback view of `gold` answered with itself, None) or (None, why not)."""
    try:
        details = graders.score(kind, spec, gold, gold).details
    except graders.ScoringError as error:
        return None, str(error)
    return kind_of(kind).feedback_view(spec, gold, gold, details), None


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return f"“{text if len(text) <= 40 else text[:37] + '...'}”"


def _entry_change(part: str, number: int, old: Any, new: Any) -> str:
    """How one entry of a list gold (a box, a person, a span) changed."""
    if isinstance(old, dict) and isinstance(new, dict):
        moved = {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
        if moved == {"label"}:
            return f"{part} {number} relabelled {_show(old['label'])} → {_show(new['label'])}"
        if "label" in moved:
            return f"{part} {number} moved and relabelled {_show(new['label'])}"
        return f"{part} {number} moved"
    return f"{part} {number} changed from {_show(old)} to {_show(new)}"


def gold_changes(kind: str, old: Any, new: Any) -> list[str]:
    """What changed between two golds of an item, one short phrase per change."""
    if old == new:
        return []
    if not (isinstance(old, list) and isinstance(new, list)):
        return [f"gold changed from {_show(old)} to {_show(new)}"]
    if all(isinstance(entry, str) for entry in old + new):  # a set of ticked options
        found = [f"ticked {_show(o)}" for o in new if o not in old]
        return found + [f"unticked {_show(o)}" for o in old if o not in new]
    part = kind_of(kind).part
    found = [_entry_change(part, i + 1, a, b)
             for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b]
    found += [f"{part} {i + 1} added" for i in range(len(old), len(new))]
    found += [f"{part} {i + 1} removed" for i in range(len(new), len(old))]
    return found


def revision_changes(kind: str, before: Any, after: Any) -> list[str]:
    """What one revision changed from the one before it: gold, accepted answers, settings."""
    found = gold_changes(kind, before.gold, after.gold)
    if before.spec != after.spec:
        keys = sorted(k for k in before.spec.keys() | after.spec.keys()
                      if before.spec.get(k) != after.spec.get(k))
        found.append(f"settings changed: {', '.join(keys)}")
    added = len(after.alternatives or []) - len(before.alternatives or [])
    if added > 0:
        found.append(f"{added} other answer{'s' if added > 1 else ''} accepted as correct")
    elif before.alternatives != after.alternatives:
        found.append("accepted answers changed")
    if len(found) > MAX_CHANGES:
        found = [*found[:MAX_CHANGES], f"and {len(found) - MAX_CHANGES} more changes"]
    return found or ["nothing in the gold changed"]


def history(kind: str, revisions: list[Any]) -> list[GoldView]:
    """Each revision (oldest first) drawn, with what it changed from the one before."""
    views = []
    for index, revision in enumerate(revisions):
        view, problem = gold_drawing(kind, revision.spec, revision.gold)
        changes = (revision_changes(kind, revisions[index - 1], revision) if index
                   else ["first gold"])
        views.append(GoldView(revision.number, view, problem, changes))
    return views
