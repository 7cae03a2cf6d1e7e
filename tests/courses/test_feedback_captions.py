"""Captions of the feedback drawings (courses/feedback.py place_captions) keep clear of each
other and stay on the image, however close or nested the boxes and keypoints are."""

from __future__ import annotations

import itertools

import graders
from courses import feedback

SPEC = {"width": 320, "height": 160, "labels": ["car", "pedestrian", "cyclist"]}


def caption_rects(drawing: feedback.Drawing, scale: float = 1.0) -> list[tuple[float, ...]]:
    """Each caption's rectangle, from where it is anchored and its estimated width."""
    font = drawing.font_size * scale
    rects = []
    for shape in drawing.shapes:
        if not shape.caption:
            continue
        x, y, end = shape.at
        width = 0.62 * font * len(shape.caption)
        left = x - width if end else x
        rects.append((left, y - font, left + width, y + font / 4))
    return rects


def assert_apart_and_on_the_image(rects: list[tuple[float, ...]], width: int, height: int) -> None:
    for a, b in itertools.combinations(rects, 2):
        apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
        assert apart, f"captions {a} and {b} overlap"
    for left, top, right, bottom in rects:
        assert 0 <= left and right <= width and 0 <= top and bottom <= height


def test_captions_of_neighbouring_and_nested_boxes_do_not_overlap() -> None:
    gold = [{"label": "car", "x": 20, "y": 40, "w": 40, "h": 40},
            {"label": "cyclist", "x": 62, "y": 40, "w": 40, "h": 40},
            {"label": "pedestrian", "x": 70, "y": 50, "w": 20, "h": 20},
            {"label": "car", "x": 290, "y": 0, "w": 30, "h": 20}]  # in the top right corner
    answer = [{"label": "pedestrian", "x": 200, "y": 120, "w": 30, "h": 30}]  # extra
    details = graders.score("boxes", SPEC, gold, answer).details
    drawing = feedback.boxes(SPEC, gold, answer, details)
    assert [s.caption for s in drawing.shapes if s.caption] == [
        "missed: car", "missed: cyclist", "missed: pedestrian", "missed: car",
        "extra: pedestrian"]
    assert_apart_and_on_the_image(caption_rects(drawing), 320, 160)


def test_a_matched_pair_keeps_its_captions_apart() -> None:
    gold = [{"label": "car", "x": 100, "y": 60, "w": 60, "h": 40}]
    answer = [{"label": "cyclist", "x": 101, "y": 61, "w": 60, "h": 40}]  # mislabelled
    details = graders.score("boxes", SPEC, gold, answer).details
    drawing = feedback.boxes(SPEC, gold, answer, details)
    assert_apart_and_on_the_image(caption_rects(drawing), 320, 160)


def test_names_of_close_keypoints_do_not_overlap() -> None:
    spec = {"width": 200, "height": 150, "keypoints": ["nose", "left_eye", "right_eye"]}
    gold = [{"keypoints": {"nose": [100, 40, 2], "left_eye": [104, 36, 2],
                           "right_eye": [96, 36, 2]}, "area": 6000}]
    details = graders.score("points", spec, gold, gold).details
    drawing = feedback.points(spec, gold, gold, details)
    assert [s.caption for s in drawing.shapes if s.caption] == ["nose", "left eye", "right eye"]
    assert_apart_and_on_the_image(caption_rects(drawing, 0.8), 200, 150)
