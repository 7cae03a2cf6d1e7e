"""CSV sheets of choice and labels questions -> native items."""

from __future__ import annotations

from pathlib import Path

import pytest

import graders
from courses.errors import SourceInvalid
from courses.importers import dump_items, from_csv, load_items

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
MEDIA = FIXTURES / "media"


def errors_of(text: str, **options: object) -> list[str]:
    options.setdefault("media_dir", MEDIA)
    with pytest.raises(SourceInvalid) as caught:
        from_csv(text, **options)
    return [str(error) for error in caught.value.errors]


def test_the_fixture_sheet_converts_row_by_row():
    items, media, lines = from_csv((FIXTURES / "items.csv").read_text(encoding="utf-8"), MEDIA)
    assert lines == [2, 5, 6]  # where each row starts: the first row's explanation spans 3 lines
    for item in items:
        graders.validate(item["kind"], item["spec"], item["gold"])
    assert load_items(dump_items(items)) == items
    mirror, mannequin, flippers = items
    assert mirror == {
        "id": "mirror-01", "kind": "choice",
        "prompt": "Is the person in the mirror wearing clothing?", "media": "media/cat.png",
        "spec": {"options": ["yes", "no", "can't tell"]}, "gold": "yes", "alternatives": [],
        "explanation": "A reflection of real clothing **is** real clothing.\n\n"
                       "See the mirrors rule.",
        "sections": ["what-counts", "mirrors"], "critical": True, "pools": ["practice", "exam"],
    }
    assert mannequin["spec"] == {"options": ["dress", "hat", "wig", "towel"]}
    assert (mannequin["gold"], mannequin["media"], mannequin["critical"]) == (
        ["dress", "hat"], None, False)
    assert mannequin["pools"] == ["practice"]  # the default, as the cell is empty
    assert (flippers["gold"], flippers["pools"], flippers["sections"]) == ([], ["exam"], [])
    assert media == {"media/cat.png": MEDIA / "cat.png"}


def test_columns_in_any_order_and_case_with_a_bom_crlf_and_another_delimiter():
    text = "\ufeffGold;Options;Kind;ID;Prompt\r\nb;a|b;choice;q1;Which?\r\n"
    items, media, _ = from_csv(text, delimiter=";", pools=["exam"])
    assert items == [{"id": "q1", "kind": "choice", "prompt": "Which?", "media": None,
                      "spec": {"options": ["a", "b"]}, "gold": "b", "alternatives": [],
                      "explanation": "",
                      "sections": [], "critical": False, "pools": ["exam"]}]
    assert media == {}


def test_every_row_problem_is_reported_at_the_line_where_the_row_starts():
    text = (
        "id,kind,prompt,options,gold,explanation,critical,media\n"  # 1
        'q1,choice,Which?,a|b,a,"Two\n'  # 2
        'lines",,\n'  # 3
        "q2,multi,Which?,a|b,a,,,\n"  # 4
        "q3,choice,Which?,a|b,a|b,,,\n"  # 5
        '"q4","labels","Which?","a|b","c","""Quoted""\n'  # 6
        '\n'  # 7
        'text",maybe,\n'  # 8
        "q5,choice,Which?,a|b,a,,,bird.png\n"  # 9
        "q6,choice,Which?,a|b\n"  # 10
        "\n"  # 11
        "q1,choice,Which?,a|b,b,,,\n"  # 12
        "Q 7,choice,Which?,a,a,,,\n"  # 13
    )
    assert errors_of(text) == [
        'items.csv:4: kind must be "choice" or "labels", got "multi"',
        'items.csv:5: a choice item has exactly one gold option, got 2 (use kind "labels" for '
        "several)",
        'items.csv:6: critical must be true or false (or empty), got "maybe"',
        'items.csv:9: image "bird.png" is not in the media folder (looked for a file named '
        '"bird.png")',
        "items.csv:10: has 4 cells, but the header has 8",
        'items.csv:12: item id "q1" is already used by the item on line 2',
        "items.csv:13: item Q 7: id: must be 1 to 100 characters: lowercase letters a-z, "
        """digits, '.', '_' or '-', starting with a letter or digit; got "Q 7\"""",
        "items.csv:13: item Q 7: spec.options: needs at least 2 elements",
    ]


def test_gold_outside_the_options_is_reported_by_the_graders_check():
    text = "id,kind,prompt,options,gold\nq1,labels,Which?,a|b,a|c\n"
    assert errors_of(text) == ["items.csv:2: item q1: gold[1]: unknown option 'c' "
                               "(allowed: 'a', 'b')"]


def test_header_problems_stop_before_the_rows():
    assert errors_of("id,kind,question,options,options\nq1,x,y,z,w\n") == [
        'items.csv:1: unknown column "question" (columns: id, kind, prompt, media, options, '
        "gold, explanation, sections, critical, pools)",
        'items.csv:1: column "options" appears 2 times',
        "items.csv:1: missing columns: prompt, gold",
    ]


def test_media_needs_a_media_folder_and_bad_quoting_is_reported():
    text = "id,kind,prompt,options,gold,media\nq1,choice,Which?,a|b,a,cat.png\n"
    assert errors_of(text, media_dir=None) == [
        'items.csv:2: media "cat.png": no media folder was given to find it in'
    ]
    broken = 'id,kind,prompt,options,gold\nq1,choice,"Which?" now,a|b,a\n'
    assert errors_of(broken) == [
        "items.csv:2: not valid CSV: ',' expected after '\"'"
    ]
