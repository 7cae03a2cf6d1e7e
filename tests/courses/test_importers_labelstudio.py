"""Label Studio JSON exports (with or without the labeling config) -> native items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import graders
from courses.errors import SourceInvalid
from courses.importers import (
    dump_items,
    from_label_studio,
    load_items,
    parse_config,
)

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
MEDIA = FIXTURES / "media"
TEXT = "Olá 👋 pizza"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def assert_native(items: list[dict]) -> None:
    """Every item is valid for the graders and survives a native round trip unchanged."""
    for item in items:
        graders.validate(item["kind"], item["spec"], item["gold"])
    assert load_items(dump_items(items)) == items


def errors_of(text: str, **options: object) -> list[str]:
    options.setdefault("media_dir", MEDIA)
    with pytest.raises(SourceInvalid) as caught:
        from_label_studio(text, **options)
    return [str(error) for error in caught.value.errors]


def export(*tasks: dict) -> str:
    """An export as Label Studio writes it: indented, one key per line."""
    return json.dumps(list(tasks), indent=2, ensure_ascii=False)


def task(task_id: int, data: dict, *annotations: dict) -> dict:
    return {"id": task_id, "data": data, "annotations": list(annotations)}


def annotation(annotation_id: int, *results: dict, **fields: object) -> dict:
    return {"id": annotation_id, "was_cancelled": False, "ground_truth": False,
            "result": list(results), **fields}


def rectangle(x: float, y: float, w: float, h: float, label: str = "Car", **value: object):
    return {"from_name": "label", "to_name": "image", "type": "rectanglelabels",
            "original_width": 640, "original_height": 480,
            "value": {"x": x, "y": y, "width": w, "height": h, "rotation": 0,
                      "rectanglelabels": [label], **value}}


def span(start: int, end: int, quoted: str, label: str = "FOOD") -> dict:
    return {"from_name": "entities", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": quoted, "labels": [label]}}


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th line containing `needle`."""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[occurrence - 1]


def result_line(text: str, occurrence: int = 1) -> int:
    """The line where the n-th result of an export() begins (its "{", above "from_name")."""
    return line_of(text, '"from_name"', occurrence) - 1


IMAGE = {"image": "/data/upload/3/1a2b3c4d-street-017.png"}
SPANS_CONFIG = """\
<View>
  <Text name="text" value="$text"/>
  <Labels name="entities" toName="text"><Label value="FOOD"/><Label value="EMOJI"/></Labels>
</View>
"""


def test_boxes_ground_truth_percent_to_pixels_and_the_config_label_set():
    items, media, _ = from_label_studio(fixture("labelstudio_boxes.json"), MEDIA,
                                     config=fixture("labelstudio_boxes.xml"), pools="exam")
    assert_native(items)
    first, second = items
    assert first == {
        "id": "task-1", "kind": "boxes",
        "prompt": "Draw a box around every Car, Pedestrian, Cyclist and Truck.",
        "media": "media/street-017.png",
        "spec": {"width": 640, "height": 480,
                 "labels": ["Car", "Pedestrian", "Cyclist", "Truck"]},
        # annotation 12 (ground truth), not 11 (an annotator's) nor 13 (cancelled)
        "gold": [{"label": "Car", "x": 100, "y": 160, "w": 160, "h": 100},
                 {"label": "Pedestrian", "x": 400, "y": 150, "w": 40, "h": 120}],
        "alternatives": [], "explanation": "", "sections": [], "critical": False,
        "pools": ["exam"],
    }
    # no regions, so no original size in the results: the size comes from the PNG header
    assert (second["id"], second["media"], second["gold"]) == (
        "task-2", "media/frames/street-018.png", [])
    assert (second["spec"]["width"], second["spec"]["height"]) == (800, 600)
    assert media == {"media/street-017.png": MEDIA / "street-017.png",
                     "media/frames/street-018.png": MEDIA / "frames" / "street-018.png"}


def test_percentages_become_exact_pixels():
    # 100/3 % of 300 px is 100.00000000000001 in floating point; gold says 100
    text = export(task(1, {"image": "cat.png"}, annotation(1, {
        "from_name": "label", "to_name": "image", "type": "rectanglelabels",
        "original_width": 300, "original_height": 100,
        "value": {"x": 100 / 3, "y": 12.5, "width": 100 / 3, "height": 37.5,
                  "rectanglelabels": ["Car"]}})))
    (item,) = from_label_studio(text, MEDIA).items
    assert item["gold"] == [{"label": "Car", "x": 100, "y": 12.5, "w": 100, "h": 37.5}]
    assert [type(item["gold"][0][key]) for key in "xywh"] == [int, float, int, float]
    assert '"x": 100, "y": 12.5, "w": 100, "h": 37.5' in dump_items([item])


def test_without_a_config_the_labels_seen_in_the_export_are_used_sorted():
    items, _, _ = from_label_studio(fixture("labelstudio_boxes.json"), MEDIA)
    assert [item["spec"]["labels"] for item in items] == [["Car", "Cyclist", "Pedestrian"]] * 2


def test_text_spans_count_code_points_and_choices_follow_the_config():
    items, media, _ = from_label_studio(fixture("labelstudio_text.json"),
                                     config=fixture("labelstudio_text.xml"))
    assert_native(items)
    spans, sentiment, topics = items
    assert spans["id"] == "task-7-entities" and spans["media"] is None
    assert spans["spec"] == {"text": TEXT, "labels": ["GREETING", "EMOJI", "FOOD"],
                             "match": "exact"}
    assert spans["gold"] == [{"start": 0, "end": 3, "label": "GREETING"},
                             {"start": 4, "end": 5, "label": "EMOJI"},
                             {"start": 6, "end": 11, "label": "FOOD"}]
    assert [TEXT[s["start"]:s["end"]] for s in spans["gold"]] == ["Olá", "👋", "pizza"]
    assert (sentiment["kind"], sentiment["gold"]) == ("choice", "Positive")
    assert sentiment["spec"] == {"options": ["Positive", "Neutral", "Negative"]}
    assert sentiment["prompt"] == f"Choose the option that fits.\n\n{TEXT}"
    assert (topics["kind"], topics["gold"]) == ("labels", ["Food", "complaint"])
    assert topics["spec"] == {"options": ["Food", "Travel", "complaint"]}
    assert media == {}


def test_a_span_whose_text_does_not_match_is_refused_naming_task_and_span():
    text = export(
        task(8, {"text": f"{TEXT}!"}, annotation(80, span(7, 12, "pizza"), span(6, 11, "pasta"))),
        task(10, {"text": TEXT}, annotation(100, span(8, 14, "pizza"))),
    )
    assert errors_of(text, config=SPANS_CONFIG) == [
        f"export.json:{result_line(text, 1)}: task 8: \"entities\": the FOOD span 7..12 "
        "selects 'izza!', but its text is 'pizza' (its offsets count UTF-16 units, as old Label "
        "Studio versions did around emoji; Bootcamp counts code points: re-save the annotation "
        "in Label Studio)",
        f"export.json:{result_line(text, 2)}: task 8: \"entities\": the FOOD span 6..11 "
        "selects 'pizza', but its text is 'pasta'",
        f"export.json:{result_line(text, 3)}: task 10: \"entities\": the FOOD span 8..14 "
        "is not inside the text (11 characters)",
    ]


def test_decomposed_accents_count_as_two_code_points():
    # "a" + U+0301 is two code points, so "pizza" starts at 5, not 4
    text = export(task(9, {"text": "Ola\u0301 pizza"}, annotation(90, span(5, 10, "pizza"))))
    (item,) = from_label_studio(text, config=SPANS_CONFIG).items
    assert item["gold"] == [{"start": 5, "end": 10, "label": "FOOD"}]


def test_without_a_config_a_single_seen_choice_cannot_make_a_choice_item():
    text = fixture("labelstudio_text.json")
    at = line_of(text, '"id": 7') - 1
    assert errors_of(text) == [
        f"export.json:{at}: task 7: item task-7-sentiment: "
        "spec.options: needs at least 2 elements",
    ]


def test_keypoints_are_one_person_per_task_or_per_parent_region():
    items, media, _ = from_label_studio(fixture("labelstudio_keypoints.json"), MEDIA)
    assert_native(items)
    assert [item["id"] for item in items] == [
        "task-5-joints", "task-5-people", "task-6-joints", "task-6-people"]
    alone, no_boxes, grouped, boxes = items
    assert alone["spec"] == {"width": 400, "height": 300,
                             "keypoints": ["left_elbow", "nose", "right_elbow"]}
    assert alone["gold"] == [{"keypoints": {"nose": [50, 30, 2], "left_elbow": [30, 80, 2]}}]
    assert no_boxes["gold"] == []
    assert grouped["gold"] == [
        {"keypoints": {"nose": [50, 45, 2]}, "box": {"x": 20, "y": 30, "w": 60, "h": 120}},
        {"keypoints": {"nose": [250, 45, 2], "right_elbow": [240, 90, 2]},
         "box": {"x": 220, "y": 30, "w": 60, "h": 120}},
    ]
    assert [box["label"] for box in boxes["gold"]] == ["person", "person"]
    assert media == {"media/crowd-3.png": MEDIA / "crowd-3.png"}


def test_a_keypoint_placed_twice_for_one_person_is_refused():
    point = {"from_name": "joints", "to_name": "image", "type": "keypointlabels",
             "original_width": 400, "original_height": 300,
             "value": {"x": 10, "y": 10, "width": 1, "keypointlabels": ["nose"]}}
    text = export(task(4, {"image": "crowd-3.png"}, annotation(40, point, point)))
    assert errors_of(text) == [
        f"export.json:{result_line(text, 2)}: task 4: \"joints\": keypoint \"nose\" is placed "
        "twice for the same person (group keypoints by parentID for several persons)"
    ]


def test_rotated_rectangles_are_refused_naming_the_task():
    text = export(task(3, IMAGE, annotation(30, rectangle(10, 10, 20, 20, rotation=15))))
    at = result_line(text)
    assert errors_of(text) == [
        f"export.json:{at}: task 3: \"label\": the Car box is "
        "rotated by 15°, but Bootcamp's boxes are axis-aligned; straighten it in Label Studio"
    ]
    turned = export(task(3, IMAGE, annotation(30, rectangle(10, 10, 20, 20, rotation=360))))
    assert from_label_studio(turned, MEDIA).items[0]["gold"][0]["x"] == 64


OLDER = {"updated_at": "2024-05-01T09:00:00Z"}
NEWER = {"updated_at": "2024-05-03T09:00:00.123456+00:00"}


def test_several_annotations_need_one_ground_truth_or_latest():
    older = annotation(31, rectangle(10, 10, 10, 10, "Car"), **OLDER)
    newer = annotation(32, rectangle(10, 10, 10, 10, "Pedestrian"), **NEWER)
    text = export(task(3, IMAGE, older, newer))
    assert errors_of(text) == [
        "export.json:2: task 3: has 2 annotations (ids 31, 32), none marked ground truth; mark "
        'one as ground truth in Label Studio or import with annotation="latest"'
    ]
    (item,) = from_label_studio(text, MEDIA, annotation="latest").items
    assert [box["label"] for box in item["gold"]] == ["Pedestrian"]
    (item,) = from_label_studio(export(task(3, IMAGE, newer, older)), MEDIA,
                                annotation="latest").items
    assert [box["label"] for box in item["gold"]] == ["Pedestrian"]


def test_several_ground_truths_are_refused_and_latest_picks_among_them():
    first = annotation(41, rectangle(1, 1, 5, 5, "Car"), ground_truth=True, **NEWER)
    second = annotation(42, rectangle(1, 1, 5, 5, "Cyclist"), ground_truth=True, **OLDER)
    plain = annotation(43, rectangle(1, 1, 5, 5, "Pedestrian"),
                       updated_at="2025-01-01T00:00:00Z")
    text = export(task(4, IMAGE, first, second, plain))
    assert errors_of(text) == [
        "export.json:2: task 4: has 2 annotations (ids 41, 42), all marked ground truth; mark "
        'one as ground truth in Label Studio or import with annotation="latest"'
    ]
    (item,) = from_label_studio(text, MEDIA, annotation="latest").items
    assert [box["label"] for box in item["gold"]] == ["Car"]


def test_tasks_without_usable_annotations_or_images_are_refused():
    cancelled = annotation(51, rectangle(1, 1, 5, 5), was_cancelled=True)
    text = export(
        task(5, IMAGE, cancelled),
        task(6, {"image": "/data/upload/3/0badc0de-bird.png"}, annotation(61)),
        {"id": 7, "annotations": []},
    )
    six, seven = line_of(text, '"id": 6') - 1, line_of(text, '"id": 7') - 1
    assert errors_of(text, config=fixture("labelstudio_boxes.xml")) == [
        "export.json:2: task 5: has no annotation (apart from cancelled ones) to use as gold",
        f"export.json:{six}: task 6: image "
        '"/data/upload/3/0badc0de-bird.png" is not in the media folder (looked for a file '
        'named "0badc0de-bird.png" or "bird.png")',
        f"export.json:{seven}: a task needs an \"id\" and a \"data\" "
        "object",
    ]
    assert errors_of(export(task(6, IMAGE, annotation(61))), media_dir=None,
                     config=fixture("labelstudio_boxes.xml")) == [
        'export.json:2: task 6: image "/data/upload/3/1a2b3c4d-street-017.png": no media folder '
        "was given to find it in"
    ]


def test_unsupported_results_are_refused_and_comments_skipped():
    polygon = {"from_name": "outline", "to_name": "image", "type": "polygonlabels",
               "value": {"points": [[1, 1], [2, 2], [1, 2]], "polygonlabels": ["Car"]}}
    comment = {"from_name": "notes", "to_name": "image", "type": "textarea",
               "value": {"text": ["blurry"]}}
    text = export(task(8, IMAGE, annotation(81, rectangle(1, 1, 5, 5), polygon, comment)))
    at = line_of(text, '"outline"') - 1
    assert errors_of(text, config=fixture("labelstudio_boxes.xml")) == [
        f"export.json:{at}: task 8: a polygonlabels result from "
        '"outline", which is not a control Bootcamp can import (Choices, RectangleLabels, '
        "KeyPointLabels, Labels)"
    ]


def test_not_a_list_of_tasks_or_not_json():
    assert errors_of('{"id": 1}') == ["export.json:1: a Label Studio JSON export is a list of "
                                      "tasks"]
    assert errors_of("[\n  {\"id\": 1\n]", file="gold.json") == [
        "gold.json:3: not valid JSON: Expecting ',' delimiter (column 1)"
    ]
    assert errors_of("[]") == ["export.json:1: no Choices, RectangleLabels, KeyPointLabels or "
                               "Labels to import"]


def test_config_gives_controls_with_options_in_order_and_their_data():
    controls = parse_config(fixture("labelstudio_text.xml"))
    assert {name: (c.type, c.options, c.multiple, c.data_key, c.data_kind)
            for name, c in controls.items()} == {
        "entities": ("labels", ["GREETING", "EMOJI", "FOOD"], False, "text", "text"),
        "sentiment": ("choices", ["Positive", "Neutral", "Negative"], False, "text", "text"),
        "topics": ("choices", ["Food", "Travel", "complaint"], True, "text", "text"),
    }
    (boxes,) = parse_config(fixture("labelstudio_boxes.xml")).values()
    assert (boxes.type, boxes.data_key, boxes.data_kind) == ("rectanglelabels", "image", "image")


def test_config_problems_are_reported_with_their_line():
    config = """\
<View>
  <Image name="image" value="$image"/>
  <Choices name="kind" toName="image">
  </Choices>
  <RectangleLabels toName="image"><Label value="Car"/></RectangleLabels>
  <KeyPointLabels name="joints" toName="photo">
    <Label value="nose"/><Label value="nose"/>
  </KeyPointLabels>
</View>
"""
    with pytest.raises(SourceInvalid) as caught:
        parse_config(config, "project.xml")
    assert [str(e) for e in caught.value.errors] == [
        'project.xml:3: <Choices name="kind"> has no options',
        "project.xml:5: <RectangleLabels> needs a name",
        'project.xml:6: "joints" labels "photo", which is not an object of the config',
        'project.xml:7: "joints" lists the option "nose" twice',
    ]
    with pytest.raises(SourceInvalid) as caught:
        parse_config("<View>\n  <Choices name='a'>\n</View>")
    assert [str(e) for e in caught.value.errors] == [
        "config.xml:3: not valid XML: mismatched tag (column 3)"
    ]
    entity = '<?xml version="1.0"?>\n<!DOCTYPE v [<!ENTITY e "x">]>\n<View/>'
    with pytest.raises(SourceInvalid) as caught:
        parse_config(entity)
    assert [str(e) for e in caught.value.errors] == [
        "config.xml:2: a labeling config must not have a DOCTYPE"
    ]
