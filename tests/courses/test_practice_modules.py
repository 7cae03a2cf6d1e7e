"""Practice modules and mastery as pure logic: grouping items by section, the mastery rule."""

from __future__ import annotations

import pytest

from courses.practice_modules import (
    MASTERY_SHARE,
    MASTERY_WINDOW,
    OTHER_MODULE,
    OTHER_TITLE,
    Mastery,
    Module,
    group_into_modules,
    module_of,
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


def test_the_default_rule_is_eight_of_the_last_ten() -> None:
    assert (MASTERY_WINDOW, MASTERY_SHARE) == (10, 0.8)
    assert Mastery(0, 0).needed == 8


@pytest.mark.parametrize(("recent", "correct", "mastered", "summary"), [
    (0, 0, False, "0 of 10 answers so far"),
    (9, 9, False, "9 of 10 answers so far"),
    (10, 7, False, "7 of your last 10 answers were correct; 8 are needed"),
    (10, 8, True, "Mastered: 8 of your last 10 answers were correct"),
    (10, 10, True, "Mastered: 10 of your last 10 answers were correct"),
])
def test_mastery_needs_a_full_window_and_the_share_correct(recent, correct, mastered,
                                                           summary) -> None:
    mastery = Mastery(recent=recent, correct=correct)
    assert mastery.mastered is mastered
    assert mastery.summary == summary


@pytest.mark.parametrize(("window", "share", "needed"), [
    (10, 0.8, 8), (5, 0.8, 4), (10, 0.7, 7), (3, 0.5, 2), (20, 0.85, 17), (10, 1.0, 10),
])
def test_needed_rounds_up_without_float_noise(window, share, needed) -> None:
    assert Mastery(0, 0, window=window, share=share).needed == needed
