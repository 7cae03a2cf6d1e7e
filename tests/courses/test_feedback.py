"""The feedback view's plain data (courses/feedback.py), from real scorer details."""

from __future__ import annotations

import graders
from courses import feedback

BOXES_SPEC = {"width": 320, "height": 160, "labels": ["car", "pedestrian", "cyclist"]}
GOLD_BOXES = [{"label": "car", "x": 0, "y": 0, "w": 40, "h": 40},
              {"label": "cyclist", "x": 100, "y": 0, "w": 40, "h": 40},
              {"label": "pedestrian", "x": 200, "y": 0, "w": 40, "h": 40}]


def test_options_mark_the_answer_and_the_gold() -> None:
    spec = {"options": ["shirt", "shoe", "towel"]}
    assert feedback.options(spec, ["shirt", "shoe"], ["shoe", "towel"]) == [
        feedback.Option("shirt", chosen=False, correct=True),
        feedback.Option("shoe", chosen=True, correct=True),
        feedback.Option("towel", chosen=True, correct=False),
    ]
    assert feedback.options({"options": ["yes", "no"]}, "no", "yes") == [
        feedback.Option("yes", True, False), feedback.Option("no", False, True)]


def test_boxes_take_their_status_from_the_details() -> None:
    answer = [{"label": "car", "x": 0, "y": 0, "w": 40, "h": 40},
              {"label": "pedestrian", "x": 100, "y": 0, "w": 40, "h": 40},
              {"label": "car", "x": 280, "y": 100, "w": 20, "h": 20}]
    details = graders.score("boxes", BOXES_SPEC, GOLD_BOXES, answer).details
    drawing = feedback.boxes(BOXES_SPEC, GOLD_BOXES, answer, details)
    assert (drawing.width, drawing.height, drawing.font_size) == (320, 160, 7.1)
    assert [(s.status, s.stroke, s.dash, s.caption) for s in drawing.shapes] == [
        ("gold-matched", feedback.GOLD, None, "car"),
        ("gold-mislabelled", feedback.MISLABELLED, None, ""),  # captioned on the answer
        ("gold-missed", feedback.MISSED, None, "missed: pedestrian"),
        ("answer-matched", feedback.ANSWER, feedback.DASH, ""),
        ("answer-mislabelled", feedback.MISLABELLED, feedback.DASH,
         "pedestrian, should be cyclist"),
        ("answer-extra", feedback.EXTRA, feedback.DASH, "extra: car"),
    ]
    assert drawing.notes == [
        ("missed", "Missed: pedestrian at (200, 0), 40 × 40"),
        ("extra", "Extra: car at (280, 100), 20 × 20"),
        ("mislabelled", "Wrong label: pedestrian should be cyclist at (100, 0), 40 × 40 "
                        "(100% overlap)"),
        ("matched", "Matched: car at (0, 0), 40 × 40 (100% overlap)"),
    ]


def test_points_join_each_gold_keypoint_to_the_answer_and_mark_extra_persons() -> None:
    spec = {"width": 240, "height": 120, "keypoints": ["nose", "left_wrist"]}
    gold = [{"keypoints": {"nose": [50, 20, 2], "left_wrist": [30, 80, 1]}, "area": 3000}]
    answer = [{"keypoints": {"nose": [52, 20, 2], "left_wrist": [0, 0, 0]}},
              {"keypoints": {"nose": [200, 20, 2]}}]
    details = graders.score("points", spec, gold, answer).details
    drawing = feedback.points(spec, gold, answer, details)
    assert [(s.x, s.y, s.status) for s in drawing.shapes] == [
        (50, 20, "gold"), (52, 20, "answer"), (30, 80, "gold"), (200, 20, "extra")]
    assert [line[:4] for line in drawing.lines] == [(50, 20, 52, 20)]
    assert drawing.notes == [("extra", "Extra person 2: there is no such person in the "
                                       "correct answer")]


def test_span_pieces_cut_the_text_at_every_edge_of_one_side() -> None:
    spec = {"text": "cancel my contract", "labels": ["intent", "object"]}
    gold = [{"start": 0, "end": 6, "label": "intent"}, {"start": 10, "end": 18,
                                                        "label": "object"}]
    answer = [{"start": 0, "end": 6, "label": "object"}, {"start": 7, "end": 9,
                                                          "label": "object"}]
    details = graders.score("spans", spec, gold, answer).details
    assert feedback.span_pieces(spec["text"], gold, details, "gold") == [
        feedback.Piece("cancel", "mislabelled", ("intent, you said object",)),
        feedback.Piece(" my "),
        feedback.Piece("contract", "missed", ("object: missed",)),
    ]
    assert feedback.span_pieces(spec["text"], answer, details, "answer") == [
        feedback.Piece("cancel", "mislabelled", ("object, should be intent",)),
        feedback.Piece(" "),
        feedback.Piece("my", "extra", ("object: extra",)),
        feedback.Piece(" contract"),
    ]
    assert feedback.span_notes(spec["text"], gold, answer, details) == [
        ("missed", "Missed: object “contract”"),
        ("extra", "Extra: object “my”"),
        ("mislabelled", "Wrong label: “cancel” is intent, you said object"),
    ]


def test_overlapping_spans_keep_every_label_where_each_ends() -> None:
    text = "new york city"
    spans = [{"start": 0, "end": 8, "label": "place"}, {"start": 4, "end": 13,
                                                        "label": "city"}]
    details = graders.score("spans", {"text": text, "labels": ["place", "city"]}, spans,
                            spans).details
    pieces = feedback.span_pieces(text, spans, details, "answer")
    assert [(p.text, p.status, p.labels) for p in pieces] == [
        ("new ", "matched", ()), ("york", "matched", ("place",)),
        (" city", "matched", ("city",))]
    assert "".join(p.text for p in pieces) == text


def test_emoji_offsets_are_code_points() -> None:
    text = "hi 👋 there"
    spans = [{"start": 3, "end": 4, "label": "emoji"}]
    details = graders.score("spans", {"text": text, "labels": ["emoji"]}, spans, []).details
    pieces = feedback.span_pieces(text, spans, details, "gold")
    assert [p.text for p in pieces] == ["hi ", "👋", " there"]


def test_points_name_a_left_and_right_swapped_in_words() -> None:
    spec = {"width": 240, "height": 120, "keypoints": ["nose", "left_knee", "right_knee"]}
    gold = [{"keypoints": {"nose": [120, 20, 2], "left_knee": [100, 90, 2],
                           "right_knee": [140, 90, 2]}, "area": 3000}]
    swapped = [{"keypoints": {"nose": [121, 20, 2], "left_knee": [139, 91, 2],
                              "right_knee": [101, 89, 2]}}]
    details = graders.score("points", spec, gold, swapped).details
    assert ("mislabelled", "Person 1: left knee and right knee swapped: your left knee is "
                           "where the right knee is, and the other way round") in \
        feedback.points(spec, gold, swapped, details).notes
    right = [{"keypoints": {"nose": [121, 20, 2], "left_knee": [103, 92, 2],
                            "right_knee": [138, 88, 2]}}]
    details = graders.score("points", spec, gold, right).details
    assert feedback.points(spec, gold, right, details).notes == []
