"""What the feedback of a cuboids item draws: the gold and the answer seen from above, in words.

Pure logic: no Flask, no database, nothing scored again (the statuses and measures come from
graders.cuboids' details). The bird's-eye view is an SVG in drawing units (SCALE a metre) of the
part of the street around the cuboids: +x (the sensor's forward) to the right, +y (its left)
up, so the picture reads like the widget's. Trainees read overlaps and turns in words ("the
motorcycle's box overlaps the correct one by 62%"), never "IoU".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from courses.feedback import (
    ANSWER,
    DASH,
    EXTRA,
    GOLD,
    MISLABELLED,
    MISSED,
    Drawing,
    Shape,
    place_captions,
)
from graders.boxes import LOOSE_IOU
from graders.cuboids import TURNED_DEGREES

SCALE = 20  # drawing units a metre
MARGIN = 3.0  # metres shown around the cuboids
MIN_SPAN = 16.0  # metres: a lone motorcycle is still seen in its street
TURNED = 10.0  # degrees off the heading that the words mention
OFF_HEIGHT = 0.2  # metres a bottom or top may be off before the words mention it


@dataclass(frozen=True)
class Footprint:
    """One cuboid from above: its outline, the line to its front, and its caption."""

    outline: str  # SVG polygon points
    heading: tuple[float, float, float, float]  # centre to a little past the front
    shape: Shape  # the outline's bounding box, colour, dash, status and placed caption


@dataclass
class CuboidDrawing:
    """The bird's-eye view, its grid, and the notes that say the same in words."""

    drawing: Drawing
    footprints: list[Footprint] = field(default_factory=list)
    grid: list[tuple[float, float, float, float]] = field(default_factory=list)
    step: int = 5  # metres between grid lines
    sensor: tuple[float, float] | None = None  # where the lidar is, when in view
    gold_words: list[str] = field(default_factory=list)  # each gold cuboid in words


@dataclass(frozen=True)
class _View:
    """The part of the ground shown: x0..x1 and y0..y1 in metres."""

    x0: float
    x1: float
    y0: float
    y1: float

    def at(self, x: float, y: float) -> tuple[float, float]:
        return round((x - self.x0) * SCALE, 2), round((self.y1 - y) * SCALE, 2)


def corners(cuboid: dict[str, Any]) -> list[tuple[float, float]]:
    """The footprint's corners in metres, counter-clockwise from the front left."""
    cos, sin = math.cos(cuboid["yaw"]), math.sin(cuboid["yaw"])
    half_l, half_w = cuboid["l"] / 2, cuboid["w"] / 2
    return [(cuboid["x"] + a * cos - b * sin, cuboid["y"] + a * sin + b * cos)
            for a, b in ((half_l, half_w), (-half_l, half_w), (-half_l, -half_w),
                         (half_l, -half_w))]


def _view(spec: dict[str, Any], cuboids: list[dict[str, Any]]) -> _View:
    points = [corner for cuboid in cuboids for corner in corners(cuboid)]
    if not points:
        (x0, x1), (y0, y1) = spec["range"]["x"], spec["range"]["y"]
        points = [(max(x0, -MIN_SPAN), max(y0, -MIN_SPAN)), (min(x1, MIN_SPAN),
                                                             min(y1, MIN_SPAN))]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    bounds = []
    for low, high in ((min(xs), max(xs)), (min(ys), max(ys))):
        grow = max(MARGIN, (MIN_SPAN - (high - low)) / 2)
        bounds += [math.floor(low - grow), math.ceil(high + grow)]
    return _View(*bounds)


def _footprint(view: _View, cuboid: dict[str, Any], stroke: str, dash: str | None,
               caption: str, status: str) -> Footprint:
    outline = [view.at(*corner) for corner in corners(cuboid)]
    reach = cuboid["l"] / 2 + 0.8
    front = view.at(cuboid["x"] + reach * math.cos(cuboid["yaw"]),
                    cuboid["y"] + reach * math.sin(cuboid["yaw"]))
    us, vs = [p[0] for p in outline], [p[1] for p in outline]
    box = Shape(min(us), min(vs), max(us) - min(us), max(vs) - min(vs), stroke, dash, caption,
                status)
    return Footprint(" ".join(f"{u},{v}" for u, v in outline),
                     (*view.at(cuboid["x"], cuboid["y"]), *front), box)


def where(cuboid: dict[str, Any]) -> str:
    """A place as a driver says it: "12.0 m ahead, 3.5 m to the left"."""
    ahead = f"{abs(cuboid['x']):.1f} m {'ahead' if cuboid['x'] >= 0 else 'behind'}"
    if abs(cuboid["y"]) < 0.05:
        return ahead
    return f"{ahead}, {abs(cuboid['y']):.1f} m to the {'left' if cuboid['y'] > 0 else 'right'}"


def cuboids(spec: dict[str, Any], gold: list[dict], answer: list[dict],
            details: dict[str, Any]) -> CuboidDrawing:
    """Gold outlines solid, the answer's dashed, each with a line to its front; missed red,
    extra orange, mislabelled purple; and a note per cuboid."""
    view = _view(spec, [*gold, *answer])
    width, height = round((view.x1 - view.x0) * SCALE), round((view.y1 - view.y0) * SCALE)
    scene = CuboidDrawing(Drawing(width, height, round(max(width, height) / 45, 1)))
    scene.step = 5 if max(view.x1 - view.x0, view.y1 - view.y0) <= 60 else 10
    scene.grid = _grid(view, scene.step, width, height)
    if view.x0 < 0 < view.x1 and view.y0 < 0 < view.y1:
        scene.sensor = view.at(0, 0)
    gold_status = {m["gold"]: "matched" for m in details["matched"]}
    answer_status = {m["answer"]: "matched" for m in details["matched"]}
    for pair in details["mislabelled"]:
        gold_status[pair["gold"]] = answer_status[pair["answer"]] = "mislabelled"
    turned = {m["answer"]: m["heading_error"] for m in details["matched"]}
    wrong = {pair["answer"]: pair["gold_label"] for pair in details["mislabelled"]}
    for index, cuboid in enumerate(gold):
        status = gold_status.get(index, "missed")
        stroke = {"matched": GOLD, "missed": MISSED}.get(status, MISLABELLED)
        caption = {"matched": cuboid["label"], "missed": f"missed: {cuboid['label']}"}.get(
            status, "")
        scene.footprints.append(_footprint(view, cuboid, stroke, None, caption,
                                           f"gold-{status}"))
    for index, cuboid in enumerate(answer):
        status = answer_status.get(index, "extra")
        stroke = {"matched": ANSWER, "extra": EXTRA}.get(status, MISLABELLED)
        caption = {"extra": f"extra: {cuboid['label']}",
                   "mislabelled": f"{cuboid['label']}, should be {wrong.get(index)}"}.get(
            status, f"turned {turned.get(index, 0):.0f}°" if turned.get(index, 0) >= TURNED
            else "")
        scene.footprints.append(_footprint(view, cuboid, stroke, DASH, caption,
                                           f"answer-{status}"))
    scene.drawing.shapes = [footprint.shape for footprint in scene.footprints]
    place_captions(scene.drawing)
    scene.footprints = [replace(footprint, shape=shape)
                        for footprint, shape in zip(scene.footprints, scene.drawing.shapes,
                                                    strict=True)]
    scene.drawing.notes = notes(gold, answer, details)
    scene.gold_words = [f"{c['label']}, {where(c)}, {c['l']:.1f} × {c['w']:.1f} × {c['h']:.1f} m "
                        f"(length × width × height), facing {_facing(c['yaw'])}" for c in gold]
    return scene


def _facing(yaw: float) -> str:
    """A heading in degrees counter-clockwise from the lidar's forward direction."""
    degrees = round(math.degrees(math.remainder(yaw, math.tau)))
    if degrees == 0:
        return "forward"
    return f"{abs(degrees)}° to the {'left' if degrees > 0 else 'right'}"


def _grid(view: _View, step: int, width: int, height: int) -> list[tuple[float, ...]]:
    lines = []
    for x in range(math.ceil(view.x0 / step) * step, math.floor(view.x1) + 1, step):
        u = view.at(x, 0)[0]
        lines.append((u, 0, u, height))
    for y in range(math.ceil(view.y0 / step) * step, math.floor(view.y1) + 1, step):
        v = view.at(0, y)[1]
        lines.append((0, v, width, v))
    return lines


def notes(gold: list[dict], answer: list[dict], details: dict[str, Any]) -> list[tuple[str, str]]:
    """Each cuboid in words, in gold order: how it was matched, missed, mislabelled or extra."""
    found: list[tuple[str, str]] = []
    for pair in sorted(details["matched"], key=lambda m: m["gold"]):
        truth, given = gold[pair["gold"]], answer[pair["answer"]]
        words = [f"your box overlaps the correct one by {_percent(pair['iou'])}%"]
        if pair["heading_error"] >= TURNED:
            words.append(f"is turned {pair['heading_error']:.0f}° from the correct heading")
        words += _heights(truth, given)
        loose = pair["iou"] < LOOSE_IOU
        advice = f"; it counts, but aim for {LOOSE_IOU:.0%} or more" if loose else ""
        warn = loose or pair["heading_error"] > TURNED_DEGREES
        found.append(("warning" if warn else "matched",
                      f"The {truth['label']}'s box ({where(truth)}): {_joined(words)}{advice}."))
    found += [("missed", f"Missed: the {gold[i]['label']} {where(gold[i])}.")
              for i in details["missed"]]
    found += [("mislabelled", f"Wrong label: the {p['gold_label']} {where(gold[p['gold']])} "
               f"is a {p['answer_label']} in your answer (your box overlaps it by "
               f"{_percent(p['iou'])}%).") for p in details["mislabelled"]]
    found += [("extra", f"Extra: your {answer[i]['label']} box {where(answer[i])} matches no "
               "object.") for i in details["extra"]]
    return found


def _percent(iou: float) -> int:
    """An overlap in whole percent, rounded down (79.9% is not "80%", the aim) but not below
    what it is by a rounding error (a turned copy of a box overlaps it by 100%)."""
    return int(iou * 100 + 1e-9)


def _heights(truth: dict[str, Any], given: dict[str, Any]) -> list[str]:
    """Whether the bottom and the top of a box are off, in centimetres people can act on."""
    words = []
    for name, sign in (("bottom", -1), ("top", 1)):
        off = (given["z"] + sign * given["h"] / 2) - (truth["z"] + sign * truth["h"] / 2)
        if abs(off) >= OFF_HEIGHT:
            words.append(f"its {name} is {abs(off):.1f} m too {'high' if off > 0 else 'low'}")
    return words


def _joined(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
