"""Native items.jsonl: reading with every problem as file:line, and canonical writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import graders
from courses.errors import SourceInvalid
from courses.importers import ITEM_KEYS, dump_items, load_items

FIXTURES = Path(__file__).parent / "fixtures" / "importers"

BOX = {"width": 640, "height": 480, "labels": ["car"]}


def line(**fields: object) -> str:
    """One item as a JSONL line, with required fields filled in unless given."""
    item = {"id": "q1", "kind": "choice", "prompt": "Which?", "spec": {"options": ["a", "b"]},
            "gold": "a", "pools": ["practice"]}
    item.update(fields)
    return json.dumps({k: v for k, v in item.items() if v is not ...}, ensure_ascii=False)


def errors_of(text: str, **options: object) -> list[str]:
    with pytest.raises(SourceInvalid) as caught:
        load_items(text, **options)
    return [str(error) for error in caught.value.errors]


def test_the_fixture_loads_validates_and_dumps_byte_identical():
    text = (FIXTURES / "items.jsonl").read_text(encoding="utf-8")
    items = load_items(text)
    assert [item["kind"] for item in items] == ["choice", "labels", "boxes", "points", "spans"]
    for item in items:
        graders.validate(item["kind"], item["spec"], item["gold"])
        assert tuple(item) == ITEM_KEYS
    assert dump_items(items) == text
    assert dump_items(load_items(dump_items(items))) == text


def test_optional_keys_get_defaults_and_the_writer_orders_every_level():
    scrambled = {
        "pools": ["exam", "practice"], "gold": [{"h": 10, "w": 20, "label": "car", "y": 1,
                                                 "x": 2}],
        "spec": {"labels": ["car"], "height": 480, "width": 640}, "media": "media/a.png",
        "prompt": "Box the car.", "kind": "boxes", "id": "a",
    }
    dumped = dump_items(load_items(json.dumps(scrambled)))
    assert dumped == (
        '{"id": "a", "kind": "boxes", "prompt": "Box the car.", "media": "media/a.png", '
        '"spec": {"width": 640, "height": 480, "labels": ["car"]}, '
        '"gold": [{"label": "car", "x": 2, "y": 1, "w": 20, "h": 10}], "explanation": "", '
        '"sections": [], "critical": false, "pools": ["practice", "exam"]}\n'
    )
    assert dump_items(load_items(dumped)) == dumped


def test_keypoints_and_sigmas_follow_the_spec_order_whatever_order_they_were_stored_in():
    spec = {"sigmas": {"knee": 0.08, "nose": 0.02}, "keypoints": ["nose", "knee"],
            "width": 10, "height": 10}
    gold = [{"area": 20, "keypoints": {"knee": [5, 8, 2], "nose": [5, 1, 2]}}]
    text = line(id="p", kind="points", media="media/p.png", spec=spec, gold=gold)
    dumped = dump_items(load_items(text))
    assert ('"spec": {"width": 10, "height": 10, "keypoints": ["nose", "knee"], '
            '"sigmas": {"nose": 0.02, "knee": 0.08}}') in dumped
    assert '"gold": [{"keypoints": {"nose": [5, 1, 2], "knee": [5, 8, 2]}, "area": 20}]' in dumped


def test_text_is_kept_as_utf8_and_line_separators_are_escaped():
    spec = {"text": "Olá 👋\u2028pizza", "labels": ["FOOD"], "match": "exact"}
    text = line(kind="spans", spec=spec, gold=[{"start": 6, "end": 11, "label": "FOOD"}])
    dumped = dump_items(load_items(text))
    assert "Olá 👋\\u2028pizza" in dumped and "\u2028" not in dumped
    assert len(dumped.split("\n")) == 2
    assert load_items(dumped)[0]["spec"]["text"] == "Olá 👋\u2028pizza"
    assert dump_items(load_items(dumped)) == dumped


def test_blank_lines_crlf_and_a_bom_are_accepted_and_lines_still_count():
    text = "\ufeff" + line(id="a") + "\r\n\r\n" + line(id="a") + "\r\n"
    assert errors_of(text) == ['items.jsonl:3: id: "a" is already used on line 1']
    assert load_items("") == [] and load_items("\n\n") == []
    assert dump_items([]) == ""


def test_every_problem_of_every_line_is_reported_at_once():
    text = "\n".join([
        line(),
        '{"id": "q2", "kind": ',
        "[1, 2]",
        line(id="Street 17", pools=[], critical="yes", colour="red"),
        line(id="q5", prompt=..., sections=["a", "a"]),
        line(id="q6", kind="box"),
        line(id="q7", kind="boxes", media=None, spec=BOX,
             gold=[{"label": "car", "x": 1, "y": 1, "w": 5, "h": 5},
                   {"label": "car", "x": 1, "y": 1, "w": 5, "h": 5},
                   {"label": "car", "x": 1, "y": 1, "w": 0, "h": 5}]),
        line(id="q8", gold="c", pools=["practice", "training"]),
        line(id="q1", explanation=3, media="pictures/a.png"),
    ])
    assert errors_of(text) == [
        "items.jsonl:2: not valid JSON: Expecting value (column 22)",
        "items.jsonl:3: each line must be one JSON object (an item), got a list",
        "items.jsonl:4: colour: unknown key (allowed: id, kind, prompt, media, spec, gold, "
        "alternatives, explanation, sections, critical, pools)",
        "items.jsonl:4: id: must be 1 to 100 characters: lowercase letters a-z, digits, '.', "
        """'_' or '-', starting with a letter or digit; got "Street 17\"""",
        "items.jsonl:4: critical: must be true or false, got \"yes\"",
        'items.jsonl:4: pools: must be ["practice"], ["exam"] or ["practice", "exam"], got []',
        "items.jsonl:5: prompt: is required",
        'items.jsonl:5: sections[1]: "a" is listed twice',
        "items.jsonl:6: kind: unknown kind 'box' (known: choice, labels, boxes, points, spans, "
        "cuboids, tracks)",
        "items.jsonl:7: media: a boxes item needs an image (media/<file>)",
        "items.jsonl:7: gold[2].w: must be a positive number, got 0",
        'items.jsonl:8: pools: must be ["practice"], ["exam"] or ["practice", "exam"], '
        'got ["practice", "training"]',
        "items.jsonl:8: gold: unknown option 'c' (allowed: 'a', 'b')",
        "items.jsonl:9: explanation: must be a string of Markdown (may be empty), got a number",
        'items.jsonl:9: media: must be null or a path media/<file>, got "pictures/a.png"',
        'items.jsonl:9: id: "q1" is already used on line 1',
    ]


def test_media_and_sections_can_be_checked_against_the_bundle():
    text = line(media="media/b.png", sections=["what-counts", "mirrors"])
    assert errors_of(text, media={"media/a.png"}, sections={"what-counts"}) == [
        'items.jsonl:1: media: "media/b.png" is not a file in media/',
        'items.jsonl:1: sections[1]: "mirrors" is not a section of the manual',
    ]
    assert load_items(text, media={"media/b.png"}, sections={"what-counts", "mirrors"})


def test_errors_name_the_file_given():
    assert errors_of("{", file="bundle/items.jsonl") == [
        "bundle/items.jsonl:1: not valid JSON: Expecting property name enclosed in double "
        "quotes (column 2)"
    ]


def test_alternatives_are_golds_too_and_round_trip():
    text = line(alternatives=["b"]) + "\n"
    (item,) = load_items(text)
    assert item["alternatives"] == ["b"]
    assert '"gold": "a", "alternatives": ["b"], ' in dump_items([item])
    assert load_items(dump_items([item])) == [item]
    assert '"alternatives"' not in dump_items(load_items(line() + "\n"))  # none: left out


@pytest.mark.parametrize(("alternatives", "message"), [
    ("b", "items.jsonl:1: alternatives: must be a list of golds, got a string"),
    (["c"], "items.jsonl:1: alternatives[0]"),
    ([["a"]], "items.jsonl:1: alternatives[0]"),
])
def test_a_bad_alternative_is_reported_with_its_index(alternatives, message):
    (error,) = errors_of(line(alternatives=alternatives) + "\n")
    assert error.startswith(message), error
