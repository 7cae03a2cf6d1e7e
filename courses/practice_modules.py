"""Practice modules and mastery, as pure logic: no Flask, no database.

Modules are derived, not authored: a course has one module per section of its latest manual
that some practice item tests first (its first `sections` entry), in manual order, with the
items in bank order. Items whose first section the manual does not have (or that name none)
make a last module, "Other practice".

Mastery counts only answers that show knowledge. Practice goes in rounds: a round of a module
ends once every one of its items has been tried in it, and the next answer starts a new one.
A try counts when it is the trainee's first try at that item in the round and their previous
practice answer (in any module) was not to the same item: a retry after the correct answer
was shown never counts, and the one item of a one-item module counts again only after the
trainee has practised something else. A module is mastered when, in the latest round the
trainee finished, at least MASTERY_SHARE of its items (rounded up) were right on the first
try: every item of a module of up to 4 items, 4 of 5, 8 of 10, 10 of 12. Why a round and not
the last n answers: a round holds every item once, so the evidence grows with the module (one
answer for one item, twelve for twelve) and no single item can stand in for the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

OTHER_MODULE = "_other"  # section ids never start with "_", so this never clashes with one
OTHER_TITLE = "Other practice"
MASTERY_SHARE = Fraction(4, 5)  # of a round's items right on the first try


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


def needed(items: int) -> int:
    """Items to get right on the first try in a round of `items` items to master it."""
    return -(-items * MASTERY_SHARE.numerator // MASTERY_SHARE.denominator)


@dataclass(frozen=True)
class Round:
    """The round a trainee is in: its number (from 1) and the items tried in it so far."""

    number: int = 1
    tried: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Try:
    """How one answer counts: its round, whether it counts, and whether it ends the round."""

    round: int
    counts: bool
    ends_round: bool


def place(item_keys: Sequence[str], current: Round, key: str, previous: str | None) -> Try:
    """How a try at `key` counts, in the round `current` of a module holding `item_keys`, when
    the trainee's previous practice answer was to `previous`."""
    if set(item_keys) <= current.tried:  # the module lost items: this round is over
        current = Round(current.number + 1)
    counts = key not in current.tried and key != previous
    ends = counts and set(item_keys) <= current.tried | {key}
    return Try(current.number, counts, ends)


def round_after(current: Round, key: str, placed: Try) -> Round:
    """The round the trainee is in after the try `placed` at `key`."""
    if placed.ends_round:
        return Round(placed.round + 1)
    tried = current.tried if placed.round == current.number else frozenset()
    return Round(placed.round, tried | {key} if placed.counts else tried)


@dataclass(frozen=True)
class Standing:
    """A trainee's mastery of one module: the latest round they finished, and the one open."""

    size: int  # the module's items now
    rounds_done: int = 0
    round_items: int = 0  # first tries counted in the latest finished round
    round_correct: int = 0  # how many of those were right
    open_tried: int = 0  # items tried so far in the open round

    @property
    def needed(self) -> int:
        return needed(self.size)

    @property
    def mastered(self) -> bool:
        return self.round_items > 0 and self.round_correct >= needed(self.round_items)

    @property
    def needed_words(self) -> str:
        """Which items must be right on the first try, in plain words."""
        if self.size == 1:
            return "its item"
        if self.needed == self.size:
            return f"each of its {self.size} items"
        return f"at least {self.needed} of its {self.size} items"

    @property
    def rule(self) -> str:
        """What mastering this module takes, in plain words."""
        if self.size == 1:
            return ("To master this module, answer its item right on your first try in a "
                    "round. A try straight after seeing its answer does not count: practise "
                    "another module before you try it again.")
        return (f"To master this module, answer {self.needed_words} right on your first try "
                "in one round.")

    @property
    def status(self) -> str:
        """Where the trainee stands, in plain words."""
        round_now = (f"Round {self.rounds_done + 1}: {self.open_tried} of {self.size} "
                     f"item{'' if self.size == 1 else 's'} answered.")
        if not self.rounds_done:
            return round_now
        last = (f"Last round: {self.round_correct} of {self.round_items} right on the first "
                "try")
        return (f"Mastered. {last}." if self.mastered else f"{last}. {round_now}")


def replay(item_keys: Sequence[str], answers: Iterable[tuple[str, bool]]) -> Standing:
    """The standing after a trainee's practice answers (key, right), in time order, over the
    whole course: answers to other modules' items count for nothing here, but they separate
    two tries at one of this module's items."""
    current, previous = Round(), None
    done = Standing(len(item_keys))
    right: dict[str, bool] = {}
    for key, correct in answers:
        if key in item_keys:
            placed = place(item_keys, current, key, previous)
            if placed.round != current.number:
                right = {}
            if placed.counts:
                right[key] = correct
            if placed.ends_round:
                done = Standing(len(item_keys), placed.round, len(right), sum(right.values()))
                right = {}
            current = round_after(current, key, placed)
        previous = key
    return Standing(len(item_keys), done.rounds_done, done.round_items, done.round_correct,
                    len(current.tried))


def first_mastered(tries: Iterable[tuple[int, bool, bool, bool]]) -> int | None:
    """The position of the answer with which a module was first mastered, from its stored
    answers' (round, counts, ends_round, right) in time order; None if it never was."""
    counted: dict[int, list[bool]] = defaultdict(list)
    for position, (number, counts, ends_round, right) in enumerate(tries):
        if counts:
            counted[number].append(right)
        done = counted[number]
        if ends_round and done and sum(done) >= needed(len(done)):
            return position
    return None
