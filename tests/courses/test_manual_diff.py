"""Manual diffs: section statuses and order, moves, titles, counts and word-level HTML."""

from __future__ import annotations

import random

import pytest

from courses.manual_diff import ManualDiff, diff_manuals, word_diff_html
from courses.rendering import render_manual


def manual(*sections: str | tuple[str, str]):
    """A manual with one section per argument: an id (text derived from it) or (id, text)."""
    parts = []
    for section in sections:
        sid, text = section if isinstance(section, tuple) else (section, f"Rules for {section}.")
        parts.append(f"## {sid.title()} {{#{sid}}}\n\n{text}\n")
    return render_manual("\n".join(parts))


def statuses(diff: ManualDiff) -> list[tuple[str, str, bool]]:
    return [(c.id, c.status, c.moved) for c in diff.changes]


def test_identical_manuals_are_all_unchanged():
    diff = diff_manuals(manual("a", "b", "c"), manual("a", "b", "c"))
    assert statuses(diff) == [("a", "unchanged", False), ("b", "unchanged", False),
                              ("c", "unchanged", False)]  # fmt: skip
    assert diff.changed_ids == set()
    assert [c.inline_diff_html for c in diff.changes] == ["", "", ""]
    assert all(c.old is not None and c.new is not None for c in diff.changes)


def test_added_removed_and_changed_sections():
    old = manual("shoes", ("tights", "Tights yes."), "towels", "armour")
    new = manual("shoes", ("tights", "Tights no."), "leggings", "armour")
    diff = diff_manuals(old, new)
    assert statuses(diff) == [
        ("shoes", "unchanged", False),
        ("tights", "changed", False),
        ("towels", "removed", False),  # right after the section it used to follow
        ("leggings", "added", False),
        ("armour", "unchanged", False),
    ]
    tights = diff.changes[1]
    assert tights.inline_diff_html == "<p>Tights <del>yes</del><ins>no</ins>.</p>"
    assert tights.old.text == "Tights yes." and tights.new.text == "Tights no."
    removed, added = diff.changes[2], diff.changes[3]
    assert (added.old, added.new.id) == (None, "leggings")
    assert (removed.old.id, removed.new) == ("towels", None)
    assert diff.counts() == {"added": 1, "removed": 1, "changed": 1, "moved": 0, "unchanged": 2}
    assert diff.changed_ids == {"tights", "leggings"}


def test_removed_sections_stay_where_they_used_to_be():
    diff = diff_manuals(manual("gone-first", "a", "gone-1", "gone-2", "b"), manual("a", "new", "b"))
    assert [(c.id, c.status) for c in diff.changes] == [
        ("gone-first", "removed"),
        ("a", "unchanged"),
        ("gone-1", "removed"),
        ("gone-2", "removed"),
        ("new", "added"),
        ("b", "unchanged"),
    ]


def test_moved_sections_are_those_outside_the_longest_common_order():
    diff = diff_manuals(manual("a", "b", "c", "d", "e"), manual("a", "c", "d", "b", "e"))
    assert statuses(diff) == [
        ("a", "unchanged", False),
        ("c", "unchanged", False),
        ("d", "unchanged", False),
        ("b", "moved", True),
        ("e", "unchanged", False),
    ]
    assert diff.counts()["moved"] == 1
    assert diff.changed_ids == {"b"}


def test_a_moved_section_that_also_changed_is_changed_and_moved():
    old = manual("a", ("b", "Shoes yes."), "c")
    new = manual("a", "c", ("b", "Shoes yes, flippers no."))
    diff = diff_manuals(old, new)
    assert statuses(diff) == [("a", "unchanged", False), ("c", "unchanged", False),
                              ("b", "changed", True)]  # fmt: skip
    assert diff.changes[2].inline_diff_html == "<p>Shoes yes<ins>, flippers no</ins>.</p>"
    assert diff.counts() == {"added": 0, "removed": 0, "changed": 1, "moved": 0, "unchanged": 2}


def test_reversed_order_keeps_one_section_in_place():
    diff = diff_manuals(manual("a", "b", "c"), manual("c", "b", "a"))
    assert sum(not c.moved for c in diff.changes) == 1
    assert diff.counts()["moved"] == 2


def test_a_title_change_is_a_change_with_the_title_diffed_first():
    old = render_manual("## Shoes {#footwear}\n\nShoes yes.\n")
    new = render_manual("## Shoes and flippers {#footwear}\n\nShoes yes.\n")
    (change,) = diff_manuals(old, new).changes
    assert (change.status, change.title_changed, change.moved) == ("changed", True, False)
    assert change.inline_diff_html == (
        '<p class="diff-title">Shoes<ins> and flippers</ins></p><p>Shoes yes.</p>'
    )


def test_whitespace_and_markup_only_edits_are_not_changes():
    old = render_manual("## Shoes\n\nShoes   yes,\nflippers no.\n")
    new = render_manual("## Shoes\n\nShoes **yes**, flippers no.\n")
    assert statuses(diff_manuals(old, new)) == [("shoes", "unchanged", False)]


def test_changed_rule_type_shows_in_the_diff():
    old = render_manual("## Towels\n\n::: do\nLabel towels.\n:::\n")
    new = render_manual("## Towels\n\n::: dont\nLabel towels.\n:::\n")
    (change,) = diff_manuals(old, new).changes
    assert change.inline_diff_html == "<p><del>Do</del><ins>Don't</ins>: Label towels.</p>"


def test_empty_manuals():
    assert diff_manuals(render_manual(""), render_manual("")).changes == []
    diff = diff_manuals(render_manual(""), manual("a"))
    assert diff.counts() == {"added": 1, "removed": 0, "changed": 0, "moved": 0, "unchanged": 0}


@pytest.mark.parametrize(
    ("old", "new", "html"),
    [
        ("same words", "same words", "<p>same words</p>"),
        ("", "", ""),
        ("", "New rule.", "<p><ins>New rule.</ins></p>"),
        ("Old rule.", "", "<p><del>Old rule.</del></p>"),
        (
            "Label the red dress now.",
            "Label the blue shirt now.",
            "<p>Label the <del>red dress</del><ins>blue shirt</ins> now.</p>",
        ),
        ("Shoes yes.", "Shoes yes, flippers no.", "<p>Shoes yes<ins>, flippers no</ins>.</p>"),
        ("Leggings yes, tights no.", "Leggings yes.", "<p>Leggings yes<del>, tights no</del>.</p>"),
        (
            "A towel is clothing.",
            "A towel is not clothing, even when worn.",
            "<p>A towel is <ins>not </ins>clothing<ins>, even when worn</ins>.</p>",
        ),
        ("Don't label it.", "Do label it.", "<p><del>Don't</del><ins>Do</ins> label it.</p>"),
        (
            "First.\n\nSecond.\n\nThird.",
            "First.\n\nThird.",
            "<p>First.</p><p><del>Second.</del></p><p>Third.</p>",
        ),
        (
            "First.\n\nThird.",
            "First.\n\nSecond.\n\nThird.",
            "<p>First.</p><p><ins>Second.</ins></p><p>Third.</p>",
        ),
        ("a | b\n1 | 2", "a | b\n1 | 3", "<p>a | b<br>1 | <del>2</del><ins>3</ins></p>"),
    ],
)
def test_word_diff_html(old, new, html):
    assert word_diff_html(old, new) == html


def test_word_diff_escapes_everything_and_never_splits_entities():
    html = word_diff_html("Use <script>alert(1)</script> & more", "Use <b>x</b> &amp; more")
    assert "<script" not in html and "<b>" not in html
    assert html == (
        "<p>Use &lt;<del>script</del><ins>b</ins>&gt;<del>alert(1)</del><ins>x</ins>"
        "&lt;/<del>script</del><ins>b</ins>&gt; &amp;<ins>amp;</ins> more</p>"
    )


def test_changed_section_diff_escapes_author_text():
    old = render_manual("## Code\n\n`<script>alert(1)</script>` is shown.\n")
    new = render_manual("## Code\n\n`<script>alert(2)</script>` is shown.\n")
    (change,) = diff_manuals(old, new).changes
    assert "<script" not in change.inline_diff_html
    assert "&lt;script&gt;alert(<del>1</del><ins>2</ins>)" in change.inline_diff_html


def test_large_manuals_diff_quickly():
    """The structure and timing of a big diff are covered by bench/manual_diff.py; this checks
    that many sections and a long changed section give sane results."""
    old = manual(*(f"s{n}" for n in range(400)))
    order = [f"s{n}" for n in range(400)]
    order[10], order[300] = order[300], order[10]
    new = manual(*order[:-1], ("s399", "Rules for s399. " * 300 + "Extra."))
    counts = diff_manuals(old, new).counts()
    assert counts == {"added": 0, "removed": 0, "changed": 1, "moved": 2, "unchanged": 397}


def lcs_length(a: list[str], b: list[str]) -> int:
    """Textbook dynamic programme, to check the fast longest-increasing-subsequence version."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = (
                table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
            )
    return table[-1][-1]


@pytest.mark.parametrize("seed", range(20))
def test_sections_kept_in_place_form_a_longest_common_subsequence(seed):
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not secrets
    old_ids = [f"s{n}" for n in range(rng.randint(0, 30))]
    new_ids = [sid for sid in old_ids if rng.random() > 0.2] + [f"n{n}" for n in range(3)]
    rng.shuffle(new_ids) if seed % 2 else new_ids.sort(key=lambda _: rng.random() < 0.3)
    edited = {sid for sid in new_ids if rng.random() < 0.3}
    old = manual(*old_ids)
    new = manual(*((sid, "Edited.") if sid in edited else sid for sid in new_ids))
    diff = diff_manuals(old, new)
    in_place = [c.id for c in diff.changes if c.old and c.new and not c.moved]
    assert len(in_place) == lcs_length(old_ids, new_ids)
    assert [sid for sid in old_ids if sid in in_place] == in_place  # same order in both
    assert {c.id for c in diff.changes if c.status == "removed"} == set(old_ids) - set(new_ids)
    assert [c.id for c in diff.changes if c.new] == new_ids
