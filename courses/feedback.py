"""What the feedback view draws: the gold over the trainee's answer, from Score.details.

Pure logic: no Flask, no database. Nothing is scored again here; the statuses (matched,
missed, extra, mislabelled) come from the scorer's details (docs/scoring.md) and the
coordinates from the gold and the answer. The templates in templates/courses/_feedback.html
turn these plain values into SVG and HTML; colours are SVG presentation attributes, and every
status is also written out in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from graders.boxes import LOOSE_IOU

GOLD = "#1d7a46"  # green: the correct answer
ANSWER = "#1f5fbf"  # blue: the trainee's answer
MISSED = "#b3261e"  # red: gold the trainee missed
EXTRA = "#c25e00"  # orange: answers with no gold
MISLABELLED = "#7b2cbf"  # purple: the right place with the wrong label
DASH = "6 4"


def _number(value: float) -> str:
    """A coordinate as people read it: 12, 12.5."""
    return f"{round(float(value), 1):g}"


def _where(box: dict[str, Any]) -> str:
    return f"at ({_number(box['x'])}, {_number(box['y'])}), {_number(box['w'])} × " \
           f"{_number(box['h'])}"


@dataclass(frozen=True)
class Option:
    """One option of a choice or labels item, with what the trainee and the gold said."""

    name: str
    chosen: bool
    correct: bool


def options(spec: dict[str, Any], gold: Any, answer: Any) -> list[Option]:
    """The options in spec order, marked "your answer" and "correct answer"."""
    golds = set(gold) if isinstance(gold, list) else {gold}
    given = set(answer) if isinstance(answer, list) else {answer}
    return [Option(name, name in given, name in golds) for name in spec["options"]]


@dataclass(frozen=True)
class Shape:
    """A box or keypoint drawn on the image, with its colour, dash and caption."""

    x: float
    y: float
    w: float = 0.0
    h: float = 0.0
    stroke: str = GOLD
    dash: str | None = None
    caption: str = ""
    status: str = ""
    at: tuple[float, float, bool] | None = None  # the caption's (x, y, anchored at its end)


@dataclass
class Drawing:
    """An image-sized SVG scene and the text list that says the same in words."""

    width: int
    height: int
    font_size: float  # in image pixels: captions scale with the picture
    shapes: list[Shape] = field(default_factory=list)
    lines: list[tuple[float, float, float, float, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (kind of note, text)


def _drawing(spec: dict[str, Any]) -> Drawing:
    width, height = int(spec["width"]), int(spec["height"])
    return Drawing(width, height, round(max(width, height) / 45, 1))


def boxes(spec: dict[str, Any], gold: list[dict], answer: list[dict],
          details: dict[str, Any]) -> Drawing:
    """Gold boxes solid, answer boxes dashed; missed red, extra orange, mislabelled purple."""
    drawing = _drawing(spec)
    status_of_gold = {m["gold"]: "matched" for m in details["matched"]}
    status_of_answer = {m["answer"]: "matched" for m in details["matched"]}
    for pair in details["mislabelled"]:
        status_of_gold[pair["gold"]] = status_of_answer[pair["answer"]] = "mislabelled"
    wrong = {pair["answer"]: pair["gold_label"] for pair in details["mislabelled"]}
    for index, box in enumerate(gold):
        status = status_of_gold.get(index, "missed")
        stroke = {"matched": GOLD, "missed": MISSED}.get(status, MISLABELLED)
        # A mislabelled pair is captioned once, on the trainee's box.
        caption = {"matched": box["label"], "missed": f"missed: {box['label']}"}.get(status, "")
        drawing.shapes.append(Shape(box["x"], box["y"], box["w"], box["h"], stroke, None,
                                    caption, f"gold-{status}"))
    for index, box in enumerate(answer):
        status = status_of_answer.get(index, "extra")
        stroke = {"matched": ANSWER, "extra": EXTRA}.get(status, MISLABELLED)
        caption = {"matched": "", "extra": f"extra: {box['label']}"}.get(
            status, f"{box['label']}, should be {wrong.get(index)}")
        drawing.shapes.append(Shape(box["x"], box["y"], box["w"], box["h"], stroke, DASH,
                                    caption, f"answer-{status}"))
    _box_notes(drawing, gold, answer, details)
    place_captions(drawing)
    return drawing


def _box_spots(shape: Shape, font: float) -> list[tuple[float, float, bool]]:
    """Where a box's caption may go, best first: a gold box's above it, a trainee's (dashed)
    below it (so that the two captions of a matched pair sit apart), then the other side and
    just inside the edges; at the left, then at the right."""
    gap, bottom = font / 4, shape.y + shape.h
    rows = [shape.y - gap, bottom + font, shape.y + font + gap, bottom - gap]
    if shape.dash:
        rows = [rows[1], rows[0], rows[3], rows[2]]
    return [(shape.x, y, False) for y in rows] + [(shape.x + shape.w, y, True) for y in rows]


def _point_spots(shape: Shape, font: float) -> list[tuple[float, float, bool]]:
    """Where a keypoint's name may go: right of it, left of it, then above or below."""
    side, rise = 2.5 * shape.w, font / 3
    return [(shape.x + side, shape.y + rise, False), (shape.x - side, shape.y + rise, True),
            (shape.x + side, shape.y - font, False), (shape.x + side, shape.y + font + rise, False),
            (shape.x - side, shape.y - font, True), (shape.x - side, shape.y + font + rise, True)]


def place_captions(drawing: Drawing, points: bool = False) -> None:
    """Give every caption the first of its spots where it overlaps no caption placed before
    it and stays on the image; where every spot is taken, the one that overlaps least. The
    drawing widgets place their tags the same way (static/js/widgets/common.js placeTags)."""
    font = drawing.font_size * (0.8 if points else 1)
    placed: list[tuple[float, float, float, float]] = []
    for index, shape in enumerate(drawing.shapes):
        if not shape.caption:
            continue
        width = 0.62 * font * len(shape.caption)  # bold sans-serif, about 0.6 em a letter
        options = []
        for x, y, end in (_point_spots if points else _box_spots)(shape, font):
            left = min(max(x - width if end else x, 0), max(drawing.width - width, 0))
            y = min(max(y, font), drawing.height - font / 4)
            rect = (left, y - font, left + width, y + font / 4)
            cover = sum(_overlap(rect, other) for other in placed)
            options.append((cover, (left + width if end else left, y, end), rect))
        _, at, rect = min(options, key=lambda option: option[0])  # the first of the least
        placed.append(rect)
        drawing.shapes[index] = replace(shape, at=at)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    return (max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            * max(0.0, min(a[3], b[3]) - max(a[1], b[1])))


def _box_notes(drawing: Drawing, gold: list[dict], answer: list[dict],
               details: dict[str, Any]) -> None:
    notes = drawing.notes
    notes += [("missed", f"Missed: {gold[i]['label']} {_where(gold[i])}")
              for i in details["missed"]]
    notes += [("extra", f"Extra: {answer[i]['label']} {_where(answer[i])}")
              for i in details["extra"]]
    notes += [("mislabelled", f"Wrong label: {p['answer_label']} should be {p['gold_label']} "
               f"{_where(gold[p['gold']])} ({p['iou']:.0%} overlap)")
              for p in details["mislabelled"]]
    notes += [("matched", f"Matched: {m['label']} {_where(gold[m['gold']])} "
               f"({m['iou']:.0%} overlap)") for m in details["matched"]]
    notes += [("warning", f"Low overlap: {gold[w['gold']]['label']} {_where(gold[w['gold']])}"
               f": your box overlaps it by {int(w['iou'] * 100)}%; it counts, but aim for "
               f"{LOOSE_IOU:.0%} or more") for w in details.get("warnings", [])]


def _placed(person: dict[str, Any], name: str) -> tuple[float, float] | None:
    point = person.get("keypoints", {}).get(name)
    return (point[0], point[1]) if point and point[2] > 0 else None


def _words(name: str) -> str:
    """A keypoint id as people say it: "left_knee" -> "left knee"."""
    return name.replace("_", " ")


def _swapped(names: list[str], gold: dict, given: dict) -> list[tuple[str, str]]:
    """Pairs of keypoints each placed nearer the other's correct spot than its own (a left and
    right mixed up): the rings sit on the right spots, so only words show the mistake."""
    def distance(a: tuple[float, float], b: tuple[float, float]) -> float:
        return ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5

    spots = {name: (_placed(gold, name), _placed(given, name)) for name in names}
    placed = [name for name, (here, there) in spots.items() if here and there]
    return [(a, b) for i, a in enumerate(placed) for b in placed[i + 1:]
            if distance(spots[a][1], spots[b][0]) < distance(spots[a][1], spots[a][0])
            and distance(spots[b][1], spots[a][0]) < distance(spots[b][1], spots[b][0])]


def points(spec: dict[str, Any], gold: list[dict], answer: list[dict],
           details: dict[str, Any]) -> Drawing:
    """Gold keypoints green, the trainee's blue, joined by a line; extra persons orange."""
    drawing = _drawing(spec)
    radius = max(drawing.width, drawing.height) / 120
    for pair in details["persons"]:
        person = gold[pair["gold"]]
        given = answer[pair["answer"]] if pair["answer"] is not None else {}
        for name in spec["keypoints"]:
            here, there = _placed(person, name), _placed(given, name)
            if here and there:
                drawing.lines.append((*here, *there, MISSED if not pair["matched"] else ANSWER))
            if here:
                drawing.shapes.append(Shape(*here, radius, radius, GOLD, None, _words(name),
                                            "gold"))
            if there:  # a ring around the gold dot, so that a perfect answer still shows
                drawing.shapes.append(Shape(*there, 1.8 * radius, radius, ANSWER, DASH, "",
                                            "answer"))
        drawing.notes += [
            ("mislabelled", f"Person {pair['gold'] + 1}: {_words(a)} and {_words(b)} swapped: "
                            f"your {_words(a)} is where the {_words(b)} is, and the other way "
                            "round") for a, b in _swapped(spec["keypoints"], person, given)]
    for index in details["extra"]:
        for name in spec["keypoints"]:
            if there := _placed(answer[index], name):
                drawing.shapes.append(Shape(*there, 1.8 * radius, radius, EXTRA, DASH, "",
                                            "extra"))
        drawing.notes.append(("extra", f"Extra person {index + 1}: there is no such person "
                                       "in the correct answer"))
    place_captions(drawing, points=True)
    return drawing


@dataclass(frozen=True)
class Piece:
    """A stretch of a spans item's text, with the spans that cover it."""

    text: str
    status: str | None = None  # of the first span covering it; None for plain text
    labels: tuple[str, ...] = ()  # captions of the spans that end here


def _span_statuses(details: dict[str, Any], side: str, count: int) -> list[str]:
    other = "missed" if side == "gold" else "extra"
    status = [other] * count
    for pair in details["matched"]:
        status[pair[side]] = "matched"
    for pair in details["mislabelled"]:
        status[pair[side]] = "mislabelled"
    return status


def span_pieces(text: str, spans: list[dict], details: dict[str, Any],
                side: str) -> list[Piece]:
    """The text cut at every span edge of one side ("gold" or "answer"), each piece marked."""
    statuses = _span_statuses(details, side, len(spans))
    wrong = {p[side]: p["gold_label" if side == "answer" else "answer_label"]
             for p in details["mislabelled"]}
    cuts = sorted({0, len(text), *(s["start"] for s in spans), *(s["end"] for s in spans)})
    pieces = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = [i for i, s in enumerate(spans) if s["start"] <= start and end <= s["end"]]
        ending = [i for i in covering if spans[i]["end"] == end]
        captions = tuple(_span_caption(spans[i]["label"], statuses[i], wrong.get(i), side)
                         for i in ending)
        status = statuses[covering[0]] if covering else None
        pieces.append(Piece(text[start:end], status, captions))
    return pieces


def _span_caption(label: str, status: str, other_label: str | None, side: str) -> str:
    if status == "matched":
        return label
    if status == "mislabelled":
        return (f"{label}, should be {other_label}" if side == "answer"
                else f"{label}, you said {other_label}")
    return f"{label}: {status}"


def span_notes(text: str, gold: list[dict], answer: list[dict],
               details: dict[str, Any]) -> list[tuple[str, str]]:
    """Missed, extra and mislabelled spans in words."""
    def quote(span: dict) -> str:
        return f"“{text[span['start']:span['end']]}”"

    notes = [("missed", f"Missed: {gold[i]['label']} {quote(gold[i])}")
             for i in details["missed"]]
    notes += [("extra", f"Extra: {answer[i]['label']} {quote(answer[i])}")
              for i in details["extra"]]
    notes += [("mislabelled", f"Wrong label: {quote(gold[p['gold']])} is {p['gold_label']}, "
               f"you said {p['answer_label']}") for p in details["mislabelled"]]
    return notes
