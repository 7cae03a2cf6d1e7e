"""A new item's spec from the fields of the browser form, and each spec problem on its field.

Pure logic: no Flask, no database. The form has the kind's names one per line (options,
labels, keypoint names), the image's size or the text to mark, and any other settings as a
small YAML or JSON mapping (thresholds, sigmas); graders check the spec built from them, and a
ScoringError's path ("spec.labels[2]", "spec.iou_threshold") says which field to blame.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

import graders
from courses.kinds import ItemKind

MAX_SETTINGS_CHARS = 5_000
FIELD_KEYS = ("width", "height", "text")  # set by the image or the text field, never by settings
_INDEX = re.compile(r"^\[(\d+)\]")


class SpecProblem(ValueError):
    """What is wrong, and the form field ("names", "settings", "image", "text") to show it on."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def names_of(text: str) -> list[str]:
    """One name per non-blank line, without the blanks around it."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def settings_of(text: str, kind: ItemKind) -> dict[str, Any]:
    """The settings field as a mapping; SpecProblem on "settings" saying why not."""
    if not text.strip():
        return {}
    if len(text) > MAX_SETTINGS_CHARS:
        raise SpecProblem("settings", f"too long: at most {MAX_SETTINGS_CHARS} characters")
    try:  # aliases could make a few bytes into a huge value: refuse them before loading
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, yaml.SafeLoader)):
            raise SpecProblem("settings", "YAML aliases (*name) are not allowed here")
        value = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        reason = getattr(error, "problem", None) or "nested too deeply"
        raise SpecProblem("settings", f"not valid YAML or JSON{where}: {reason}") from None
    if not isinstance(value, dict):
        raise SpecProblem("settings", "must be a mapping such as “iou_threshold: 0.7”")
    for key in value:
        if key in (kind.names, *FIELD_KEYS):
            raise SpecProblem("settings", f"{key}: set it in its own field, not here")
    return value


def build_spec(kind: ItemKind, names: str, settings: str, *,
               image: tuple[int, int] | None = None, text: str | None = None) -> dict[str, Any]:
    """The spec the form describes, checked by the kind's grader; SpecProblem when invalid."""
    spec = {**settings_of(settings, kind), kind.names: names_of(names)}
    if kind.media == "image" and image is not None:
        spec["width"], spec["height"] = image
    if kind.media == "text":
        spec["text"] = text or ""
    try:
        kind.grader.parse_spec(spec)
    except graders.ScoringError as error:
        raise spec_problem(kind, error) from None
    return spec


def spec_problem(kind: ItemKind, error: graders.ScoringError) -> SpecProblem:
    """A grader's complaint about the spec, on the field that set the value."""
    path = error.path.removeprefix("spec").removeprefix(".")
    if path.startswith(kind.names):
        index = _INDEX.match(path[len(kind.names):])
        line = f"line {int(index.group(1)) + 1}: " if index else ""
        return SpecProblem("names", f"{line}{error.message}")
    if path in ("width", "height"):
        return SpecProblem("image", f"the image's {path} {error.message}")
    if path == "text":
        return SpecProblem("text", error.message)
    return SpecProblem("settings", f"{path}: {error.message}" if path else error.message)
