"""What a bundle is once read: dataclasses, text normalisation and media types.

Pure logic: no Flask, no database, no files. Reading and writing both go through the
normalisation here, so that write -> read -> write gives byte-identical files:
- every text: a UTF-8 BOM is dropped, CRLF and lone CR become LF;
- Markdown (manual bodies, description, changelog): leading blank lines and trailing
  whitespace (spaces, tabs, newlines) are removed; inner lines are kept byte for byte;
- one-line values (slug, title, code_name, qualifies_for, status, section ids): surrounding
  spaces and tabs are removed; an empty code_name means none (None);
- items.jsonl: trailing blank lines are dropped and a non-empty file ends with one newline.
Media paths and sizes follow courses.media_paths, the one rule that importers and routes share.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
STATUSES = ("draft", "open", "archived")
COURSE_KEYS = ("slug", "title", "code_name", "description", "qualifies_for",
               "estimated_minutes", "dropout_window_days", "status", "exam")
VERSION_KEYS = ("version", "published_at", "changelog", "material")
# Characters; the browser forms allow the same. Manual bodies: courses.rendering's limits.
LIMITS = {"title": 200, "code_name": 100, "qualifies_for": 300,
          "description": 20_000, "changelog": 20_000}
MAX_MINUTES = 10_000
DROPOUT_WINDOW_DAYS = (1, 90)  # the bounds of dropout_window_days; 7 when absent
DEFAULT_DROPOUT_WINDOW_DAYS = 7


class ExamBlock(Protocol):
    """A course's exam rules as bundles carry them, without looking inside.

    exams reads course.yaml's `exam:` block into its ExamRules (courses.signals.exam_block_read),
    provides them on export (bundle_exporting) and applies them on import (bundle_imported);
    courses never import exams, and know the rules only as the block to write back: keys in
    order, values already in the units the block is written in.
    """

    def bundle_block(self) -> Mapping[str, object]: ...


@dataclass(frozen=True)
class CourseSpec:
    """What course.yaml says about a course."""

    slug: str
    title: str
    code_name: str | None
    description: str
    qualifies_for: str
    estimated_minutes: int | None
    status: str
    exam: ExamBlock | None = None  # None: the bundle sets no exam rules
    dropout_window_days: int = DEFAULT_DROPOUT_WINDOW_DAYS


@dataclass(frozen=True)
class ManualVersionSpec:
    """One published manual version: manual/NNN.md."""

    number: int
    published_at: datetime  # aware, UTC
    changelog: str
    material: tuple[str, ...]
    markdown: str


@dataclass(frozen=True)
class Bundle:
    """A whole course bundle, as read from or written to a folder."""

    course: CourseSpec
    versions: tuple[ManualVersionSpec, ...]
    media: dict[str, bytes]  # "media/mannequin.png" -> content, keys sorted
    items_jsonl: str  # raw text, "" when empty


# Text normalisation (shared by reading and writing; the database layer uses it too).


def normalise_newlines(text: str) -> str:
    """LF line endings only, without a leading BOM."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def leading_blank_lines(text: str) -> str:
    """The blank lines normalise_markdown drops, so readers can still count file lines."""
    match = re.match(r"(?:[ \t]*\n)*", text)
    return match.group(0) if match else ""


def normalise_markdown(text: str) -> str:
    """Markdown as bundles store it: no leading blank lines and no trailing whitespace."""
    text = normalise_newlines(text)
    return text[len(leading_blank_lines(text)):].rstrip(" \t\n")


def normalise_line(text: str) -> str:
    """A one-line value as bundles store it: no surrounding spaces, tabs or newlines."""
    return normalise_newlines(text).strip(" \t\n")


def normalise_items(text: str) -> str:
    """items.jsonl as bundles store it: "" when blank, else ending in exactly one newline."""
    text = normalise_newlines(text)
    return text.rstrip(" \t\n") + "\n" if text.strip(" \t\n") else ""


def format_timestamp(moment: datetime) -> str:
    """UTC as 2026-11-02T09:00:00Z, with microseconds only when there are some."""
    if moment.tzinfo is None:
        raise ValueError(f"published_at {moment} has no timezone")
    moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds") + "Z"
