"""Practice modules and mastery as pure logic: grouping items by section, the mastery rule
(rounds, first tries, the share of a round's items right, by the module's size)."""

from __future__ import annotations

import pytest

from courses.practice_modules import (
    OTHER_MODULE,
    OTHER_TITLE,
    Module,
    Round,
    Standing,
    Try,
    first_mastered,
    group_into_modules,
    module_of,
    needed,
    place,
    replay,
)

SECTIONS = [("intro", "Introduction"), ("shoes", "Shoes"), ("towels", "Towels"),
            ("armour", "Armour")]


def test_one_module_per_section_in_manual_order_with_items_in_bank_order() -> None:
    items = [("t1", ["towels"]), ("s1", ["shoes", "towels"]), ("t2", ["towels", "shoes"]),
             ("s2", ["shoes"])]
    assert group_into_modules(SECTIONS, items) == [
        Module("shoes", "Shoes", ("s1", "s2")),
        Module("towels", "Towels", ("t1", "t2")),
    ]


def test_only_the_first_section_places_an_item() -> None:
    modules = group_into_modules(SECTIONS, [("a", ["armour", "shoes"])])
    assert [m.id for m in modules] == ["armour"]


def test_items_with_an_unknown_or_no_section_make_a_last_other_module() -> None:
    items = [("x", ["gone", "shoes"]), ("s", ["shoes"]), ("y", []), ("z", ["intro"])]
    assert group_into_modules(SECTIONS, items) == [
        Module("intro", "Introduction", ("z",)),
        Module("shoes", "Shoes", ("s",)),
        Module(OTHER_MODULE, OTHER_TITLE, ("x", "y")),
    ]


def test_the_other_module_never_clashes_with_a_section_id() -> None:
    assert OTHER_MODULE.startswith("_")  # section ids are [a-z0-9-]


def test_no_items_no_modules_and_no_manual_means_one_other_module() -> None:
    assert group_into_modules(SECTIONS, []) == []
    assert group_into_modules([], [("a", ["shoes"])]) == [Module(OTHER_MODULE, OTHER_TITLE,
                                                                 ("a",))]


def test_a_module_knows_positions_and_what_comes_next() -> None:
    module = Module("shoes", "Shoes", ("a", "b", "c"))
    assert [module.position_of(k) for k in "abc"] == [0, 1, 2]
    assert [module.key_after(k) for k in "abc"] == ["b", "c", None]
    modules = [module, Module("towels", "Towels", ("d",))]
    assert module_of(modules, "d").id == "towels"
    assert module_of(modules, "zzz") is None


ABC = ("a", "b", "c")
TWELVE = tuple(f"i{n}" for n in range(12))


def right(*keys: str) -> list[tuple[str, bool]]:
    return [(key, True) for key in keys]


def test_one_item_answered_again_and_again_after_seeing_its_answer_never_masters() -> None:
    given = [("a", False), *right("a") * 20]
    assert not replay(ABC, given).mastered
    assert replay(ABC, given) == Standing(3, open_tried=1)
    lone = replay(("a",), given)  # a module of one item: only the very first try counted
    assert (lone.mastered, lone.rounds_done, lone.round_items, lone.round_correct) == (
        False, 1, 1, 0)


def test_a_one_item_module_counts_again_after_another_module_was_practised() -> None:
    given = [("a", False), ("a", True), ("x", False), ("a", True)]
    assert replay(("a",), given) == Standing(1, rounds_done=2, round_items=1, round_correct=1)
    assert replay(("a",), given).mastered
    assert not replay(("a",), given[:2]).mastered


def test_a_round_needs_every_item_and_only_first_tries_count() -> None:
    given = [("a", False), ("a", True), ("b", True), ("a", True)]  # retries of a do not count
    assert replay(ABC, given) == Standing(3, open_tried=2)
    finished = replay(ABC, [*given, ("c", True)])
    assert finished == Standing(3, rounds_done=1, round_items=3, round_correct=2)
    assert not finished.mastered  # a was wrong on its first try
    again = replay(ABC, [*given, ("c", True), *right("a", "b", "c")])
    assert again == Standing(3, rounds_done=2, round_items=3, round_correct=3)
    assert again.mastered


def test_a_new_round_cannot_start_with_the_item_whose_answer_was_just_shown() -> None:
    given = [*right("a", "b", "c"), ("c", True)]  # c straight after c: practice only
    assert replay(ABC, given) == Standing(3, rounds_done=1, round_items=3, round_correct=3,
                                          open_tried=0)
    assert place(ABC, Round(2), "c", "c") == Try(2, False, False)
    assert place(ABC, Round(2), "a", "c") == Try(2, True, False)


def test_the_latest_finished_round_decides_and_an_open_round_does_not() -> None:
    mastered = right("a", "b", "c")
    assert replay(ABC, [*mastered, ("a", False)]).mastered  # round 2 is still open
    assert not replay(ABC, [*mastered, ("a", False), ("b", True), ("c", True)]).mastered


@pytest.mark.parametrize(("size", "needed_right"), [
    (1, 1), (2, 2), (3, 3), (4, 4), (5, 4), (10, 8), (12, 10)])
def test_the_share_needed_grows_with_the_module(size, needed_right) -> None:
    assert needed(size) == needed_right


def test_a_twelve_item_module_takes_ten_first_tries_right_in_one_round() -> None:
    two_wrong = [(key, n >= 2) for n, key in enumerate(TWELVE)]
    three_wrong = [(key, n >= 3) for n, key in enumerate(TWELVE)]
    assert replay(TWELVE, two_wrong) == Standing(12, 1, 12, 10)
    assert replay(TWELVE, two_wrong).mastered
    assert not replay(TWELVE, three_wrong).mastered
    assert not replay(TWELVE, right(*TWELVE[:11]) * 3).mastered  # i11 never tried: no round


def test_the_rule_is_said_in_plain_words() -> None:
    assert Standing(3).rule == ("To master this module, answer each of its 3 items right on "
                                "your first try in one round.")
    assert Standing(12).rule == ("To master this module, answer at least 10 of its 12 items "
                                 "right on your first try in one round.")
    assert "practise another module" in Standing(1).rule
    assert Standing(3, open_tried=1).status == "Round 1: 1 of 3 items answered."
    assert Standing(3, 1, 3, 2, 1).status == ("Last round: 2 of 3 right on the first try. "
                                              "Round 2: 1 of 3 items answered.")
    assert Standing(3, 1, 3, 3).status == "Mastered. Last round: 3 of 3 right on the first try."


def test_items_that_left_the_module_end_the_round() -> None:
    assert place(("a",), Round(1, frozenset({"a", "b"})), "a", None) == Try(2, True, True)


def test_first_mastered_finds_the_answer_that_finished_the_round() -> None:
    tries = [(1, True, False, False), (1, True, True, True), (2, False, False, True),
             (2, True, False, True), (2, True, True, True)]
    assert first_mastered(tries) == 4
    assert first_mastered(tries[:4]) is None
