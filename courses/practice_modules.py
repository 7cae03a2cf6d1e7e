"""Practice modules and mastery, as pure logic: no Flask, no database.

Modules are derived, not authored: a course has one module per section of its latest manual
that some practice item tests first (its first `sections` entry), in manual order, with the
items in bank order. Items whose first section the manual does not have (or that name none)
make a last module, "Other practice".

A trainee masters a module when at least MASTERY_WINDOW answers exist and at least
MASTERY_SHARE of the last MASTERY_WINDOW are correct.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

OTHER_MODULE = "_other"  # section ids never start with "_", so this never clashes with one
OTHER_TITLE = "Other practice"
MASTERY_WINDOW = 10
MASTERY_SHARE = 0.8


@dataclass(frozen=True)
class Module:
    """A practice module: a manual section (or "Other practice") and its item keys in order."""

    id: str
    title: str
    item_keys: tuple[str, ...]

    def position_of(self, key: str) -> int:
        """0-based position of an item of this module."""
        return self.item_keys.index(key)

    def key_after(self, key: str) -> str | None:
        """The item that follows `key`, or None at the end of the module."""
        position = self.position_of(key) + 1
        return self.item_keys[position] if position < len(self.item_keys) else None


def group_into_modules(sections: Sequence[tuple[str, str]],
                       items: Iterable[tuple[str, Sequence[str]]]) -> list[Module]:
    """Modules from the manual's (id, title) sections and the (key, sections) practice items."""
    titles = dict(sections)
    by_section: dict[str, list[str]] = {}
    other: list[str] = []
    for key, item_sections in items:
        first = item_sections[0] if item_sections else None
        if first is not None and first in titles:
            by_section.setdefault(first, []).append(key)
        else:
            other.append(key)
    modules = [Module(sid, title, tuple(by_section.pop(sid)))
               for sid, title in sections if sid in by_section]
    if other:
        modules.append(Module(OTHER_MODULE, OTHER_TITLE, tuple(other)))
    return modules


def module_of(modules: Iterable[Module], key: str) -> Module | None:
    """The module that holds the item `key`."""
    return next((module for module in modules if key in module.item_keys), None)


@dataclass(frozen=True)
class Mastery:
    """How a trainee did over the last answers of one module."""

    recent: int  # answers counted: all of them, up to the window
    correct: int  # how many of those were correct
    window: int = MASTERY_WINDOW
    share: float = MASTERY_SHARE

    @property
    def needed(self) -> int:
        """Correct answers needed among the last `window` (8 of 10)."""
        return math.ceil(round(self.share * self.window, 9))

    @property
    def mastered(self) -> bool:
        return self.recent >= self.window and self.correct >= self.needed

    @property
    def summary(self) -> str:
        """One line for the trainee: how far they are and what mastery takes."""
        if self.recent < self.window:
            return f"{self.recent} of {self.window} answers so far"
        if self.mastered:
            return f"Mastered: {self.correct} of your last {self.window} answers were correct"
        return (f"{self.correct} of your last {self.window} answers were correct; "
                f"{self.needed} are needed")
