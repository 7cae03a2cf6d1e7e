"""What the feedback of a tracks item shows: a timeline per correct track, in words, and a still.

Pure logic: no Flask, no database, nothing scored again (which frames matched, where a track was
lost and where its identity switched come from graders.tracks' details). Frames are numbered
from 1 in everything a person reads, as the widget numbers them; the data counts from 0. The
still is the frame of the worst problem, with the correct boxes solid and the trainee's dashed,
drawn over that frame of the strip (courses/clips.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from courses.feedback import ANSWER, DASH, GOLD, MISSED, Drawing, Shape, place_captions

OUT, MATCHED, MISSED_CELL, SWITCHED = "out", "matched", "missed", "switched"
CELL_WORDS = {OUT: "out of view", MATCHED: "followed", MISSED_CELL: "missed",
              SWITCHED: "identity switched"}


@dataclass(frozen=True)
class Timeline:
    """One correct track: its name, a cell per frame, and what happened in words."""

    name: str
    label: str
    cells: list[str]  # per frame: out, matched, missed or switched
    words: list[str]
    missed: bool  # followed in fewer than half of its frames


@dataclass
class TrackView:
    """Every correct track's timeline, notes on the answer's own tracks, and the still."""

    frames: int
    timelines: list[Timeline] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # answer tracks that follow nothing
    still: Drawing | None = None
    still_frame: int = 0  # counted from 0
    still_reason: str = ""


def _boxes(track: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(frame): box for frame, box in track["boxes"].items()}


def _names(tracks: list[dict[str, Any]]) -> list[str]:
    """"the cyclist" when one track has the label, "car 1", "car 2" when several do."""
    counts = Counter(track["label"] for track in tracks)
    seen: Counter = Counter()
    names = []
    for track in tracks:
        seen[track["label"]] += 1
        names.append(f"the {track['label']}" if counts[track["label"]] == 1
                     else f"{track['label']} {seen[track['label']]}")
    return names


def _span(first: int, last: int) -> str:
    return f"frame {first + 1}" if first == last else f"frames {first + 1} to {last + 1}"


def _words(name: str, story: dict[str, Any]) -> list[str]:
    """What happened to one correct track, one sentence a fact."""
    name_cap = name[0].upper() + name[1:]
    in_view = story["frames"]
    if not in_view:
        return [f"{name_cap} is never in view."]
    if not story["matched_frames"]:
        words = [f"{name_cap} was never followed: none of its {in_view} frames in view has a "
                 "box of yours on it with the right label."]
    elif not story["missed_frames"]:
        words = [f"{name_cap} was followed in all {in_view} frames it is in view."]
    else:
        matched = sum(b - a + 1 for a, b in story["matched_frames"])
        words = [f"{name_cap} was followed in {matched} of its {in_view} frames in view."]
        words += [f"It was lost in {_span(a, b)}." for a, b in story["missed_frames"]]
    words += [f"Identity switched at frame {switch['frame'] + 1}: your track {switch['to']} "
              f"took over from your track {switch['from']}." for switch in story["switches"]]
    words += [f"Your track {other['id']} follows it for {other['frames']} frame"
              f"{'' if other['frames'] == 1 else 's'} but is labelled {other['label']}."
              for other in story["mislabelled_as"]]
    return words


def _cells(frames: int, track: dict[str, Any], story: dict[str, Any]) -> list[str]:
    cells = [OUT] * frames
    for frame in _boxes(track):
        cells[frame] = MISSED_CELL
    for first, last in story["matched_frames"]:
        cells[first:last + 1] = [MATCHED] * (last - first + 1)
    for switch in story["switches"]:
        cells[switch["frame"]] = SWITCHED
    return cells


def _worst(view: TrackView, extra: list[dict[str, Any]]) -> tuple[int, str]:
    """The frame to show, and why: the first identity switch, else the middle of the longest
    stretch a track was lost, else where an extra track starts, else the first frame."""
    for timeline in view.timelines:
        if SWITCHED in timeline.cells:
            return (timeline.cells.index(SWITCHED),
                    f"where the identity of {timeline.name} switched")
    longest: tuple[int, int, str] = (0, 0, "")
    for timeline in view.timelines:
        run = 0
        for frame, cell in enumerate(timeline.cells + [OUT]):
            if cell == MISSED_CELL:
                run += 1
            elif run:
                if run > longest[0]:
                    longest = (run, frame - run + run // 2, timeline.name)
                run = 0
    if longest[0]:
        return longest[1], f"in the middle of the longest stretch where {longest[2]} was lost"
    for track in extra:
        if track["boxes"]:
            return min(_boxes(track)), f"where your track {track['id']} starts"
    return 0, "the first frame of the clip"


def _still(spec: dict[str, Any], gold: list[dict[str, Any]], answer: list[dict[str, Any]],
           names: list[str], view: TrackView) -> Drawing:
    """The still frame's boxes: correct ones solid (green when followed there, red when
    missed), the trainee's dashed blue with their track numbers."""
    width, height = int(spec["width"]), int(spec["height"])
    drawing = Drawing(width, height, round(max(width, height) / 40, 1))
    frame = view.still_frame
    for track, name, timeline in zip(gold, names, view.timelines, strict=True):
        box = _boxes(track).get(frame)
        if box is None:
            continue
        cell = timeline.cells[frame]
        stroke = MISSED if cell == MISSED_CELL else GOLD
        caption = name.removeprefix("the ") + (", missed" if cell == MISSED_CELL else "")
        drawing.shapes.append(Shape(box["x"], box["y"], box["w"], box["h"], stroke, None,
                                    caption, f"gold-{cell}"))
    for track in answer:
        box = _boxes(track).get(frame)
        if box is not None:
            drawing.shapes.append(Shape(box["x"], box["y"], box["w"], box["h"], ANSWER, DASH,
                                        f"your {track['id']}", "answer"))
    place_captions(drawing)
    return drawing


def tracks(spec: dict[str, Any], gold: list[dict[str, Any]], answer: list[dict[str, Any]],
           details: dict[str, Any]) -> TrackView:
    """A timeline per correct track, what happened in words, and the still of the worst frame."""
    frames = int(spec["frames"])
    view = TrackView(frames)
    names = _names(gold)
    for track, name, story in zip(gold, names, details["tracks"], strict=True):
        view.timelines.append(Timeline(name, track["label"], _cells(frames, track, story),
                                       _words(name, story), story["missed"]))
    extra_ids = set(details["extra"])
    extra = [track for track in answer if track["id"] in extra_ids]
    view.notes = [f"Your track {track['id']} ({track['label']}) follows nothing in the clip: "
                  "no correct track of that label is where its boxes are."
                  for track in extra]
    view.still_frame, why = _worst(view, extra)
    view.still_reason = f"Frame {view.still_frame + 1}, {why}."
    view.still = _still(spec, gold, answer, names, view)
    return view
