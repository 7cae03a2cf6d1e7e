"""What changed between two golds, in words (courses/gold_view.py: pure, no app)."""

from __future__ import annotations

from types import SimpleNamespace

from courses.gold_view import gold_changes, gold_drawing, history, revision_changes

CAR = {"label": "car", "x": 1, "y": 1, "w": 5, "h": 5}


def revision(number: int, gold, spec=None, alternatives=()):
    return SimpleNamespace(number=number, gold=gold, spec=spec or {"options": ["a", "b", "c"]},
                           alternatives=list(alternatives))


def test_box_moves_relabels_additions_and_removals_are_named():
    truck = {**CAR, "label": "truck"}
    moved = {**CAR, "x": 3}
    assert gold_changes("boxes", [CAR, CAR], [truck, moved, CAR]) == [
        "box 1 relabelled “car” → “truck”", "box 2 moved", "box 3 added"]
    assert gold_changes("boxes", [CAR, CAR], [CAR]) == ["box 2 removed"]
    assert gold_changes("spans", [{"start": 0, "end": 2, "label": "a"}],
                        [{"start": 0, "end": 3, "label": "b"}]) == [
        "span 1 moved and relabelled “b”"]


def test_options_say_what_was_chosen_or_ticked():
    assert gold_changes("choice", "a", "b") == ["gold changed from “a” to “b”"]
    assert gold_changes("labels", ["a", "b"], ["b", "c"]) == ["ticked “c”", "unticked “a”"]
    assert gold_changes("labels", ["a"], ["a"]) == []


def test_a_revision_names_settings_and_accepted_answers_too():
    before = revision(1, "a")
    after = revision(2, "a", {"options": ["a", "b"]}, alternatives=["b"])
    assert revision_changes("choice", before, after) == [
        "settings changed: options", "1 other answer accepted as correct"]
    assert revision_changes("choice", before, revision(2, "a")) == [
        "nothing in the gold changed"]


def test_history_draws_each_revision_and_says_why_one_cannot_be_drawn():
    views = history("choice", [revision(1, "a"), revision(2, "zzz")])
    assert [v.changes for v in views] == [["first gold"], ["gold changed from “a” to “zzz”"]]
    assert [o.name for o in views[0].view if o.correct] == ["a"] and views[0].problem is None
    assert views[1].view is None and "unknown option" in views[1].problem
    drawing, problem = gold_drawing("boxes", {"width": 10, "height": 10, "labels": ["car"]},
                                    [CAR])
    assert problem is None and [s.caption for s in drawing.shapes if not s.dash] == ["car"]
