"""COCO detection and keypoint files -> boxes and points items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import graders
from courses.errors import SourceInvalid
from courses.importers import dump_items, from_coco, load_items

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
MEDIA = FIXTURES / "media"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def assert_native(items: list[dict]) -> None:
    """Every item is valid for the graders and survives a native round trip unchanged."""
    for item in items:
        graders.validate(item["kind"], item["spec"], item["gold"])
    assert load_items(dump_items(items)) == items


def errors_of(text: str, **options: object) -> list[str]:
    with pytest.raises(SourceInvalid) as caught:
        from_coco(text, MEDIA, **options)
    return [str(error) for error in caught.value.errors]


def test_boxes_one_item_per_image_with_every_box_label_of_the_file():
    items, media, _ = from_coco(fixture("coco_boxes.json"), MEDIA, pools=["exam"])
    assert_native(items)
    first, second = items
    assert first == {
        "id": "street-017", "kind": "boxes",
        "prompt": "Draw a box around every car, pedestrian and cyclist.",
        "media": "media/street-017.png",
        "spec": {"width": 640, "height": 480, "labels": ["car", "pedestrian", "cyclist"]},
        "gold": [{"label": "car", "x": 12, "y": 200.5, "w": 180, "h": 96},
                 {"label": "pedestrian", "x": 400, "y": 180, "w": 40, "h": 120},
                 {"label": "cyclist", "x": 520, "y": 190, "w": 70, "h": 110}],
        "alternatives": [], "explanation": "", "sections": [], "critical": False,
        "pools": ["exam"],
    }
    assert (second["id"], second["gold"], second["media"]) == (
        "street-018", [], "media/frames/street-018.png")
    assert second["spec"] == {"width": 800, "height": 600,
                              "labels": ["car", "pedestrian", "cyclist"]}
    assert media == {"media/street-017.png": MEDIA / "street-017.png",
                     "media/frames/street-018.png": MEDIA / "frames" / "street-018.png"}


def test_keypoints_one_person_per_annotation_unlabelled_points_and_persons_left_out():
    items, media, _ = from_coco(fixture("coco_keypoints.json"), MEDIA, pools=["practice", "exam"],
                             id_prefix="crowds/")
    assert_native(items)
    (item,) = items
    assert item["id"] == "crowds-crowd-3" and item["kind"] == "points"
    assert item["prompt"] == "Mark every visible keypoint of each person."
    assert item["spec"] == {"width": 400, "height": 300, "keypoints": [
        "nose", "left_elbow", "right_elbow", "left_knee", "right_knee"]}
    assert item["gold"] == [
        {"keypoints": {"nose": [50, 40, 2], "left_elbow": [30, 80, 2],
                       "right_elbow": [70, 80, 1], "right_knee": [60, 150, 2]},
         "area": 4200.5},
        {"keypoints": {"nose": [250, 60, 2], "left_knee": [230.5, 170, 1]},
         "box": {"x": 220, "y": 50, "w": 60, "h": 140}},
    ]
    assert item["pools"] == ["practice", "exam"]
    assert media == {"media/crowd-3.png": MEDIA / "crowd-3.png"}


MIXED = """\
{
  "images": [{"id": 1, "file_name": "cat.png", "width": 200, "height": 100}],
  "categories": [
    {"id": 1, "name": "person", "keypoints": ["nose"]},
    {"id": 2, "name": "bicycle"}
  ],
  "annotations": [
    {"id": 1, "image_id": 1, "category_id": 2, "bbox": [10, 10, 50, 50]},
    {"id": 2, "image_id": 1, "category_id": 1, "keypoints": [30, 20, 2], "area": 900}
  ]
}
"""


def test_an_image_with_boxes_and_persons_gives_two_suffixed_items():
    items, _, _ = from_coco(MIXED, MEDIA)
    assert_native(items)
    assert [(item["id"], item["kind"]) for item in items] == [
        ("cat-boxes", "boxes"), ("cat-points", "points")]
    assert items[0]["spec"]["labels"] == ["bicycle"]
    assert items[0]["gold"] == [{"label": "bicycle", "x": 10, "y": 10, "w": 50, "h": 50}]
    assert items[1]["gold"] == [{"keypoints": {"nose": [30, 20, 2]}, "area": 900}]


CROWD = """\
{
  "images": [{"id": 1, "file_name": "street-017.png", "width": 640, "height": 480}],
  "categories": [{"id": 1, "name": "pedestrian"}],
  "annotations": [
    {"id": 7, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "iscrowd": 0},
    {"id": 8, "image_id": 1, "category_id": 1, "bbox": [100, 10, 300, 200], "iscrowd": 1}
  ]
}
"""


def test_crowd_regions_are_refused_unless_skipped():
    assert errors_of(CROWD) == [
        "coco.json:6: annotation 8 (image 1) is a crowd region (iscrowd 1): Bootcamp has no "
        'ignore regions; remove it, or import with crowd="skip" to leave crowd regions out'
    ]
    items, _, _ = from_coco(CROWD, MEDIA, crowd="skip")
    assert items[0]["gold"] == [{"label": "pedestrian", "x": 10, "y": 10, "w": 50, "h": 50}]


def test_every_structural_problem_is_reported_with_the_line_of_its_object():
    text = """\
{
  "images": [
    {"id": 1, "file_name": "street-017.png", "width": 640, "height": 480},
    {"id": 1, "file_name": "cat.png", "width": 200, "height": 100},
    {"id": 2, "file_name": "missing.png", "width": 200, "height": 100},
    {"id": 3, "file_name": "crowd-3.png", "width": 0, "height": 100}
  ],
  "categories": [
    {"id": 1, "name": "car"},
    {"id": 2, "name": "car"},
    {"id": 3, "name": "person", "keypoints": ["nose", "tail"]}
  ],
  "annotations": [
    {"id": 10, "image_id": 1, "category_id": 1, "bbox": [600, 10, 50, 50]},
    {"id": 11, "image_id": 1, "category_id": 1, "bbox": [10, 10, 0, 50]},
    {"id": 12, "image_id": 9, "category_id": 1, "bbox": [10, 10, 5, 5]},
    {"id": 13, "image_id": 1, "category_id": 4, "bbox": [10, 10, 5, 5]},
    {"id": 14, "image_id": 1, "category_id": 3, "keypoints": [1, 2, 2]},
    {"id": 15, "image_id": 1, "category_id": 3, "keypoints": [700, 2, 2, 0, 0, 0]},
    {"id": 16, "image_id": 1, "category_id": 3, "keypoints": [7, 2, 3, 0, 0, 0]},
    {
      "id": 17, "image_id": 1, "category_id": 1, "bbox": [10, 10, 5, 5],
      "iscrowd": 1
    }
  ]
}
"""
    assert errors_of(text) == [
        "coco.json:4: image 1: the id is already used on line 3",
        'coco.json:5: image 2 ("missing.png"): image "missing.png" is not in the media folder '
        '(looked for a file named "missing.png")',
        'coco.json:6: image 3: needs a "file_name" and whole-pixel "width" and "height" '
        "greater than 0",
        'coco.json:10: category 2 "car": the id or name is already used by category 1 "car"',
        "coco.json:14: annotation 10: box [600, 10, 50, 50] is outside image 1 (640x480 px)",
        'coco.json:15: annotation 11: "bbox" must be [x, y, width, height] with width and '
        "height greater than 0, got [10, 10, 0, 50]",
        "coco.json:16: annotation 12: image_id 9 is not an image of the file",
        "coco.json:17: annotation 13: category_id 4 is not a category of the file",
        'coco.json:18: annotation 14: "keypoints" must be 6 numbers (x, y, v for each of the '
        "2 keypoints of person)",
        "coco.json:19: annotation 15: keypoint nose (700, 2) is outside image 1 (640x480 px)",
        "coco.json:20: annotation 16: keypoint nose: visibility must be 0, 1 or 2, got 3",
        "coco.json:21: annotation 17 (image 1) is a crowd region (iscrowd 1): Bootcamp has no "
        'ignore regions; remove it, or import with crowd="skip" to leave crowd regions out',
    ]


def test_syntax_errors_and_missing_lists_are_reported_with_their_line():
    assert errors_of('{\n  "images": [\n    {"id": 1,}\n  ]\n}\n', file="frames.json") == [
        "frames.json:3: not valid JSON: Expecting property name enclosed in double quotes "
        "(column 14)"
    ]
    assert errors_of('{"images": []}') == [
        'coco.json:1: a COCO file is an object with a list "annotations"',
        'coco.json:1: a COCO file is an object with a list "categories"',
    ]
    assert errors_of('{"images": [], "annotations": [], "categories": []}') == [
        "coco.json:1: the file has no categories"
    ]


def test_items_whose_ids_clash_are_refused_naming_both_images():
    text = """\
{
  "images": [
    {"id": 1, "file_name": "day/cat.png", "width": 200, "height": 100},
    {"id": 2, "file_name": "night/cat.png", "width": 200, "height": 100}
  ],
  "categories": [{"id": 1, "name": "cat"}],
  "annotations": []
}
"""
    assert errors_of(text) == [
        'coco.json:4: image 2 ("night/cat.png"): item id "cat" is already used by '
        'image 1 ("day/cat.png") on line 3'
    ]


def test_a_compact_file_reports_line_1_and_names_the_annotation():
    data = json.loads(MIXED)
    data["annotations"][0]["bbox"] = [190, 10, 50, 50]
    assert errors_of(json.dumps(data)) == [
        "coco.json:1: annotation 1: box [190, 10, 50, 50] is outside image 1 (200x100 px)"
    ]


def test_gold_the_graders_refuse_is_reported_at_the_image():
    data = json.loads(MIXED)
    data["annotations"][1]["area"] = 10**9
    text = json.dumps(data, indent=2)
    line = text.splitlines().index('  "images": [') + 2
    assert errors_of(text) == [
        f'coco.json:{line}: image 1 ("cat.png"): item cat-points: gold[0].area: must be greater '
        "than 0 and at most the image area 20000 px², got 1000000000"
    ]


def test_persons_of_two_keypoint_categories_cannot_share_an_item():
    text = """\
{
  "images": [{"id": 1, "file_name": "cat.png", "width": 200, "height": 100}],
  "categories": [
    {"id": 1, "name": "person", "keypoints": ["nose"]},
    {"id": 2, "name": "cat", "keypoints": ["tail"]}
  ],
  "annotations": [
    {"id": 1, "image_id": 1, "category_id": 1, "keypoints": [30, 20, 2], "area": 900},
    {"id": 2, "image_id": 1, "category_id": 2, "keypoints": [90, 20, 2], "area": 900}
  ]
}
"""
    assert errors_of(text) == [
        'coco.json:2: image 1 ("cat.png"): cannot make a points item: its persons must all be '
        "of one keypoint category"
    ]
