"""The registry of item kinds: everything the app knows about a kind, in one entry per kind.

graders.KINDS holds each kind's pure scorer and schema; an entry here adds what pages and
importers need: what the kind draws on, how a posted form becomes an answer, the browser widget,
the feedback partial and its data, an answer in a few words, the default prompt and what one
part of an answer is called. Nothing outside this module and a kind's own modules branches on a
kind's name. Adding a kind: a grader module, a widget module, a feedback partial and one entry
(docs/scoring.md, "Adding a kind").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import Any, Literal

import graders
from courses import cuboid_feedback, feedback, track_feedback

Media = Literal["image", "text", "cloud", "clip"] | None
Reader = Literal["one", "many", "json"]


@dataclass(frozen=True)
class ItemKind:
    """One item kind as the pages and importers see it (the scorer is graders.KINDS[name])."""

    name: str
    media: Media  # what the answer is drawn on: the item's image, its spec's text, the item's
    # lidar point cloud (a .pcd or KITTI .bin file), its clip (a frame strip, courses/clips.py),
    # or nothing
    reader: Reader  # a form posts one value, every ticked value, or a widget's JSON
    widget: str | None  # the widget module under bootcamp/static/ (None: plain form controls)
    feedback_partial: str  # a template whose macro feedback(item, score, view, media_url) draws
    feedback_view: Callable[[dict, Any, Any, dict], Any]  # (spec, gold, answer, details) -> view
    summary: Callable[[dict, Any], str]  # (spec, answer that is not None) -> a few words
    default_prompt: Callable[[dict, str], str]  # (spec, subject of points) -> the instruction
    part: str  # what one entry of a list answer is called in messages
    names: str = "labels"  # the spec key listing the kind's names (options, labels, keypoints)
    names_label: str = "Labels"  # what the item form calls those names
    settings: str = ""  # the spec's optional keys, as the item form explains them

    @property
    def grader(self) -> ModuleType:
        """The kind's scorer module: parse_spec, parse and score."""
        return graders.KINDS[self.name]

    @property
    def made_in_browser(self) -> bool:
        """Whether the New item page can make one: it uploads images and takes text, but a
        point cloud's spec (its range) comes with the cloud and a clip's (its frames) with its
        strip, so such items are imported."""
        return self.media not in ("cloud", "clip")


def words(names: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _some(labels: Sequence[str], fallback: str) -> str:
    return words(labels) if 0 < len(labels) <= 6 else fallback


def _counted(one: str, many: str) -> Callable[[dict, Any], str]:
    """A summary that counts the entries of a drawn answer."""
    def summary(spec: dict, answer: Any) -> str:
        return f"{len(answer)} {one if len(answer) == 1 else many}" if answer else "Nothing marked"
    return summary


def _spans_summary(spec: dict, answer: Any) -> str:
    text = (spec or {}).get("text", "")
    parts = [f"{span.get('label')}: “{text[span.get('start', 0):span.get('end', 0)]}”"
             for span in answer or [] if isinstance(span, dict)]
    return "; ".join(parts) or "Nothing marked"


def _spans_view(spec: dict, gold: Any, answer: Any, details: dict) -> dict[str, Any]:
    return {
        "gold": feedback.span_pieces(spec["text"], gold, details, "gold"),
        "answer": feedback.span_pieces(spec["text"], answer, details, "answer"),
        "notes": feedback.span_notes(spec["text"], gold, answer, details),
    }


def _labelled(one: str, many: str) -> Callable[[dict, Any], str]:
    """A summary that counts the drawn entries and their labels: "3 cuboids drawn (2 car, 1
    motorcycle)"."""
    def summary(spec: dict, answer: Any) -> str:
        counts: dict[str, int] = {}
        for entry in answer or []:
            label = entry.get("label") if isinstance(entry, dict) else None
            counts[str(label)] = counts.get(str(label), 0) + 1
        parts = [f"{count} {label}" for label, count in counts.items()]
        drawn = one if len(answer or []) == 1 else many
        return f"{len(answer)} {drawn} ({', '.join(parts)})" if answer else "Nothing marked"
    return summary


def _options_view(spec: dict, gold: Any, answer: Any, details: dict) -> Any:
    return feedback.options(spec, gold, answer)


_ENTRIES = (
    ItemKind(
        name="choice", media=None, reader="one", widget=None,
        feedback_partial="courses/feedback/_choice.html", feedback_view=_options_view,
        summary=lambda spec, answer: str(answer),
        default_prompt=lambda spec, subject: "Choose the option that fits.", part="part",
        names="options", names_label="Options"),
    ItemKind(
        name="labels", media=None, reader="many", widget=None,
        feedback_partial="courses/feedback/_labels.html", feedback_view=_options_view,
        summary=lambda spec, answer: (", ".join(str(a) for a in answer) if answer
                                      else "Nothing ticked"),
        default_prompt=lambda spec, subject: "Tick every option that applies.", part="choice",
        names="options", names_label="Options"),
    ItemKind(
        name="boxes", media="image", reader="json", widget="js/widgets/boxes.js",
        feedback_partial="courses/feedback/_boxes.html", feedback_view=feedback.boxes,
        summary=_counted("box drawn", "boxes drawn"),
        default_prompt=lambda spec, subject: (
            f"Draw a box around every {_some(spec['labels'], 'labelled object')}."),
        part="box", settings="iou_threshold: how much a box must overlap the correct one to "
                             "count (above 0, at most 1; default 0.5)"),
    ItemKind(
        name="points", media="image", reader="json", widget="js/widgets/points.js",
        feedback_partial="courses/feedback/_points.html", feedback_view=feedback.points,
        summary=_counted("person marked", "people marked"),
        default_prompt=lambda spec, subject: f"Mark every visible keypoint of each {subject}.",
        part="person", names="keypoints", names_label="Keypoint names",
        settings="oks_threshold: how close a person's points must be to count (above 0, at "
                 "most 1; default 0.5); sigmas: {name: number} per keypoint (COCO's for COCO "
                 "names, else 0.09)"),
    ItemKind(
        name="spans", media="text", reader="json", widget="js/widgets/spans.js",
        feedback_partial="courses/feedback/_spans.html", feedback_view=_spans_view,
        summary=_spans_summary,
        default_prompt=lambda spec, subject: (
            f"Mark every {_some(spec['labels'], 'labelled passage')} in the text."),
        part="span", settings="match: exact (default) or overlap; overlap_threshold: how much "
                              "a span must overlap the correct one with match overlap (default "
                              "0.5)"),
    ItemKind(
        name="cuboids", media="cloud", reader="json", widget="js/widgets/cuboids.js",
        feedback_partial="courses/feedback/_cuboids.html", feedback_view=cuboid_feedback.cuboids,
        summary=_labelled("cuboid drawn", "cuboids drawn"),
        default_prompt=lambda spec, subject: (
            f"Draw a cuboid around every {_some(spec['labels'], 'labelled object')} in the "
            "point cloud."),
        part="cuboid", settings="range: {x: [min, max], y: [min, max], z: [min, max]} in "
                                "metres, the part of the cloud where centres may be (required);"
                                " iou_threshold: how much a cuboid must overlap the correct "
                                "one in 3D to count (above 0, at most 1; default 0.5)"),
    ItemKind(
        name="tracks", media="clip", reader="json", widget="js/widgets/tracks.js",
        feedback_partial="courses/feedback/_tracks.html", feedback_view=track_feedback.tracks,
        summary=_labelled("track drawn", "tracks drawn"),
        default_prompt=lambda spec, subject: (
            f"Follow every {_some(spec['labels'], 'labelled object')} through the clip: draw "
            "its box on the frames where it is in view."),
        part="track", settings="iou_threshold: how much a box must overlap the correct one to "
                               "follow it (above 0, at most 1; default 0.5); hota_threshold, "
                               "assa_threshold: the HOTA and the association a correct answer "
                               "needs (default 0.5 each)"),
)

KINDS: Mapping[str, ItemKind] = MappingProxyType({kind.name: kind for kind in _ENTRIES})
IMAGE_KINDS = frozenset(kind.name for kind in _ENTRIES if kind.media == "image")
CLOUD_KINDS = frozenset(kind.name for kind in _ENTRIES if kind.media == "cloud")
CLIP_KINDS = frozenset(kind.name for kind in _ENTRIES if kind.media == "clip")
# What an item of a kind drawn on a file needs as its media, in words for error messages.
MEDIA_NEEDED = {"image": "an image (media/<file>)",
                "cloud": "a point cloud (media/<file>.pcd or a KITTI media/<file>.bin)",
                "clip": "a frame strip (media/<file>.png, .jpg or .webp: the frames stacked top "
                        "to bottom)"}


def kind_of(name: str) -> ItemKind:
    """The registry entry of a stored item's kind (KeyError for a kind nobody registered)."""
    return KINDS[name]


def answer_summary(kind: str, spec: dict, answer: Any) -> str:
    """An answer in a few words, never compared with the gold."""
    return "Not answered" if answer is None else kind_of(kind).summary(spec, answer)
