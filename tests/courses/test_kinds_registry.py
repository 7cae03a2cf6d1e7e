"""The registry of item kinds (courses/kinds.py): every kind has every layer, and nothing else
branches on a kind's name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import graders
from courses import kinds

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "bootcamp" / "static"
TEMPLATES = ROOT / "templates"
NAMES = "|".join(kinds.KINDS)
# `kind == "boxes"`, `kind != 'labels'`, `kind === "choice"`, `kind in ("choice", ...)`.
BRANCH = re.compile(
    rf"""kind\s*(?:===?|!==?)\s*["'](?:{NAMES})["']"""
    rf"""|kind\s+(?:not\s+)?in\s*[(\[{{][^)\]}}]*["'](?:{NAMES})["']""")
# The registry, and the kinds' own modules (graders/ is not searched; a feedback partial and a
# widget are found through the registry).
OWN = {ROOT / "courses" / "kinds.py"}
SEARCHED = ("bootcamp", "courses", "exams", "templates")


def test_the_registry_has_every_scored_kind_and_no_other():
    assert list(kinds.KINDS) == list(graders.KINDS)


@pytest.mark.parametrize("kind", list(kinds.KINDS.values()), ids=list(kinds.KINDS))
def test_every_kind_has_every_layer(kind: kinds.ItemKind):
    assert kind.grader is graders.KINDS[kind.name]
    assert callable(kind.grader.score)
    assert callable(kind.grader.parse_spec) and callable(kind.grader.parse)  # the schema
    assert kind.media in (None, "image", "text", "cloud", "clip")
    assert kind.media in (None, "text") or kind.media in kinds.MEDIA_NEEDED
    assert kind.reader in ("one", "many", "json")
    if kind.reader == "json":  # a drawn answer: the widget module draws it
        assert kind.widget and (STATIC / kind.widget).is_file()
    else:  # plain form controls
        assert kind.widget is None and kind.media is None
    assert (TEMPLATES / kind.feedback_partial).is_file()
    assert "{% macro feedback(item, score, " in (TEMPLATES / kind.feedback_partial).read_text()
    assert callable(kind.feedback_view)
    assert kind.part


@pytest.mark.parametrize("kind", list(kinds.KINDS.values()), ids=list(kinds.KINDS))
def test_every_kind_summarises_an_answer_and_has_a_default_prompt(kind: kinds.ItemKind):
    spec = {"options": ["a", "b"], "labels": ["car"], "text": "hello", "keypoints": ["nose"]}
    empty = kinds.answer_summary(kind.name, spec, [] if kind.reader != "one" else "a")
    assert isinstance(empty, str) and empty
    assert kinds.answer_summary(kind.name, spec, None) == "Not answered"
    assert kind.default_prompt(spec, "person").endswith(".")


def test_image_kinds_are_the_kinds_drawn_on_an_image():
    assert kinds.IMAGE_KINDS == {"boxes", "points"}


def test_cloud_and_clip_kinds_are_drawn_in_their_files_and_imported():
    assert kinds.CLOUD_KINDS == {"cuboids"}
    assert kinds.CLIP_KINDS == {"tracks"}
    assert [name for name, kind in kinds.KINDS.items() if not kind.made_in_browser] == [
        "cuboids", "tracks"]


def test_summaries_read_as_before():
    spans = {"text": "I am furious.", "labels": ["anger"]}
    assert kinds.answer_summary("choice", {}, "yes") == "yes"
    assert kinds.answer_summary("labels", {}, ["a", "b"]) == "a, b"
    assert kinds.answer_summary("labels", {}, []) == "Nothing ticked"
    assert kinds.answer_summary("boxes", {}, [{}]) == "1 box drawn"
    assert kinds.answer_summary("boxes", {}, [{}, {}]) == "2 boxes drawn"
    assert kinds.answer_summary("points", {}, [{}]) == "1 person marked"
    assert kinds.answer_summary("points", {}, [{}, {}]) == "2 people marked"
    assert kinds.answer_summary("points", {}, []) == "Nothing marked"
    assert (kinds.answer_summary("spans", spans, [{"start": 5, "end": 12, "label": "anger"}])
            == "anger: “furious”")
    assert kinds.answer_summary("spans", spans, ["junk"]) == "Nothing marked"
    assert kinds.answer_summary("cuboids", {}, []) == "Nothing marked"
    assert (kinds.answer_summary("cuboids", {}, [{"label": "car"}, {"label": "motorcycle"},
                                                 {"label": "car"}])
            == "3 cuboids drawn (2 car, 1 motorcycle)")
    assert kinds.answer_summary("tracks", {}, []) == "Nothing marked"
    assert (kinds.answer_summary("tracks", {}, [{"id": 1, "label": "car", "boxes": {}}])
            == "1 track drawn (1 car)")


def _searched_files() -> list[Path]:
    return sorted(path for folder in SEARCHED for path in (ROOT / folder).rglob("*")
                  if path.suffix in (".py", ".html", ".js") and path.is_file()
                  and path not in OWN)


def test_the_pattern_finds_the_branches_it_is_meant_to_find():
    for line in ('if kind == "boxes":', "{% if item.kind in ('choice', 'labels') %}",
                 'if (kind === "choice") {', "item.kind != 'labels'",
                 'kind not in ("boxes", "points")'):
        assert BRANCH.search(line), line
    for line in ('if attempt.kind == AttemptKind.REFRESH:', 'kind == "equal"',
                 'Event.kind == "manual_opened"'):
        assert not BRANCH.search(line), line


def test_nothing_but_the_registry_branches_on_a_kind_name():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in _searched_files()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if BRANCH.search(line)]
    assert found == []


def _kinds_own_files() -> set[Path]:
    """The registry and each kind's own widget module and feedback partial."""
    return (OWN | {STATIC / kind.widget for kind in kinds.KINDS.values() if kind.widget}
            | {TEMPLATES / kind.feedback_partial for kind in kinds.KINDS.values()})


def test_no_other_code_compares_a_kind_at_all():
    """`grep -rn 'kind ==' bootcamp courses exams templates` finds only the registry and the
    kinds' own modules: attempt kinds, event kinds and diff operations say what they test
    (`attempt.is_refresh`, `Attempt.of_kind(...)`, `Event.of_kind(...)`, `op`, `tag`), so a
    branch on an item kind's name cannot hide among them."""
    own = _kinds_own_files()
    found = []
    for path in sorted(p for folder in SEARCHED for p in (ROOT / folder).rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts and p not in own):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # images, fonts: grep reports no line of them either
            continue
        found += [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
                  for number, line in enumerate(text.splitlines(), 1) if "kind ==" in line]
    assert found == []
