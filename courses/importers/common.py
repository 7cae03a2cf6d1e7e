"""What every converter shares: item ids, pools, default prompts, pixel values, final checks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from courses import kinds
from courses.errors import Problems
from courses.importers.native import POOLS, item_problems, with_defaults

MAX_ID_CHARS = 100


class Converted(NamedTuple):
    """A converter's result: native items, and the media files they use.

    `media` maps each bundle path ("media/cat.png") to the file to copy there, or to the
    content a converter made (a clip's frame strip); `lines` holds
    the line each item came from, so that checks made later (against the course's media and
    manual) still point at the right line.
    """

    items: list[dict[str, Any]]
    media: dict[str, Path | bytes]
    lines: list[int]


class Source(NamedTuple):
    """A produced item and where it came from, for error messages."""

    item: dict[str, Any]
    line: int
    name: str  # what it came from, for messages: "task 12", 'image 3 ("cat.jpg")', or ""


def pool_list(pools: str | Iterable[str]) -> list[str]:
    """Pools in canonical order; a bad value is a programming error (ValueError)."""
    chosen = {pools} if isinstance(pools, str) else set(pools)
    if not chosen or not chosen <= set(POOLS):
        raise ValueError(f"pools must be practice and/or exam, got {sorted(chosen)}")
    return [pool for pool in POOLS if pool in chosen]


def slug(text: str) -> str:
    """An item id made of `text`: ASCII lowercase, other characters as "-", at most 100 long."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", ascii_text.lower())
    cleaned = re.sub(r"-{2,}", "-", cleaned).lstrip("-._")
    return cleaned[:MAX_ID_CHARS].rstrip("-._")


def pixels(value: float) -> int | float:
    """A pixel value rounded to 1/1000 px, whole numbers as integers (12.0 -> 12)."""
    rounded = round(float(value), 3)
    return int(rounded) if rounded.is_integer() else rounded


def tidy(value: int | float) -> int | float:
    """A number as given, except that whole floats become integers (12.0 -> 12)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def default_prompt(kind: str, spec: dict[str, Any], subject: str = "person") -> str:
    """A plain instruction for an item of `kind`, naming its labels when there are few."""
    return kinds.kind_of(kind).default_prompt(spec, subject)


def new_item(item_id: str, kind: str, media: str | None, spec: dict[str, Any], gold: Any,
             pools: list[str], prompt: str | None = None) -> dict[str, Any]:
    """A native item with the documented keys and defaults."""
    return with_defaults({
        "id": item_id, "kind": kind, "prompt": prompt or default_prompt(kind, spec),
        "media": media, "spec": spec, "gold": gold, "pools": pools,
    })


def finish(sources: list[Source], problems: Problems,
           media: Mapping[str, Path | bytes]) -> Converted:
    """Check every produced item as a native one and ids for clashes; raise if anything failed."""
    seen: dict[str, Source] = {}
    for source in sources:
        item_id = source.item["id"]
        where = f"{source.name}: " if source.name else ""
        for message in item_problems(source.item):
            problems.add(source.line, f"{where}item {item_id}: {message}")
        if item_id in seen:
            first = seen[item_id]
            problems.add(source.line, f'{where}item id "{item_id}" is already used by '
                                      f"{first.name or 'the item'} on line {first.line}")
        seen.setdefault(item_id, source)
    problems.raise_if_any()
    return Converted([source.item for source in sources], dict(media),
                     [source.line for source in sources])
