"""CSV sheets of choice and labels questions -> native items, one per row.

The first row names the columns (any order, case-insensitive): id, kind, prompt, options and
gold are required; media, explanation, sections, critical and pools are optional. kind is
"choice" (gold: exactly one option) or "labels" (gold: any number of options, possibly none).
Lists (options, gold, sections, pools) are separated by "|". Errors give the line on which a
row starts, counting the lines inside quoted cells.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from courses import kinds
from courses.errors import Problems
from courses.importers.common import Converted, Source, finish, pool_list
from courses.importers.media import MediaFolder, MediaMissing
from courses.importers.native import with_defaults

COLUMNS = ("id", "kind", "prompt", "media", "options", "gold", "explanation", "sections",
           "critical", "pools")
REQUIRED = ("id", "kind", "prompt", "options", "gold")
KINDS = tuple(kind.name for kind in kinds.KINDS.values() if kind.reader in ("one", "many"))
_KIND_NAMES = " or ".join(f'"{name}"' for name in KINDS)  # '"choice" or "labels"'
TRUE = frozenset({"true", "yes", "1"})
FALSE = frozenset({"", "false", "no", "0"})


def from_csv(text: str, media_dir: str | os.PathLike[str] | None = None, *,
             file: str = "items.csv", pools: str | list[str] = "practice",
             delimiter: str = ",") -> Converted:
    """Convert a CSV sheet; raise SourceInvalid listing every problem as file:line."""
    default_pools = pool_list(pools)
    problems = Problems(file)
    folder = MediaFolder(media_dir) if media_dir is not None else None
    sources: list[Source] = []
    media: dict[str, Path] = {}
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = read_header(next(reader, []), problems)
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                cells = dict(zip(header, row, strict=False))
                if len(row) != len(header):
                    problems.add(start, f"has {len(row)} cells, but the header has {len(header)}")
                else:
                    item = row_item(cells, start, problems, folder, media, default_pools)
                    sources += [Source(item, start, "")] if item else []
            start = reader.line_num + 1
    except csv.Error as error:
        problems.add(reader.line_num, f"not valid CSV: {error}")
    return finish(sources, problems, media)


def read_header(row: list[str], problems: Problems) -> list[str]:
    """The column names, after checking them against the known columns."""
    names = [cell.strip().lower() for cell in row]
    for name in names:
        if name not in COLUMNS:
            problems.add(1, f'unknown column "{name}" (columns: {", ".join(COLUMNS)})')
        elif names.count(name) > 1:
            problems.add(1, f'column "{name}" appears {names.count(name)} times')
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        problems.add(1, f"missing column{'s' * (len(missing) > 1)}: {', '.join(missing)}")
    problems.raise_if_any()
    return names


def split(cell: str) -> list[str]:
    """A "|"-separated list, each entry trimmed; an empty cell is an empty list."""
    return [entry.strip() for entry in cell.split("|")] if cell.strip() else []


def row_item(cells: dict[str, str], line: int, problems: Problems, folder: MediaFolder | None,
             media: dict[str, Path], default_pools: list[str]) -> dict[str, Any] | None:
    """The item of one row, or None after recording what is wrong with it."""
    kind = cells["kind"].strip().lower()
    gold: Any = split(cells["gold"])
    critical = cells.get("critical", "").strip().lower()
    failed = len(problems)
    if kind not in KINDS:
        problems.add(line, f'kind must be {_KIND_NAMES}, got "{cells["kind"]}"')
    elif kinds.kind_of(kind).reader == "one" and len(gold) != 1:
        problems.add(line, f"a choice item has exactly one gold option, got {len(gold)} "
                           '(use kind "labels" for several)')
    if critical not in TRUE | FALSE:
        problems.add(line, f'critical must be true or false (or empty), got "{critical}"')
    path = row_media(cells.get("media", "").strip(), line, problems, folder, media)
    if len(problems) > failed:
        return None
    return with_defaults({
        "id": cells["id"].strip(), "kind": kind, "prompt": cells["prompt"].strip(),
        "media": path, "spec": {"options": split(cells["options"])},
        "gold": gold[0] if kinds.kind_of(kind).reader == "one" else gold,
        "explanation": cells.get("explanation", "").strip(),
        "sections": split(cells.get("sections", "")), "critical": critical in TRUE,
        "pools": split(cells.get("pools", "")) or default_pools,
    })


def row_media(reference: str, line: int, problems: Problems, folder: MediaFolder | None,
              media: dict[str, Path]) -> str | None:
    """The bundle path of a row's media file (None for none), recording it to be copied."""
    if not reference:
        return None
    if folder is None:
        problems.add(line, f'media "{reference}": no media folder was given to find it in')
        return None
    try:
        path, found = folder.find(reference)
    except MediaMissing as missing:
        problems.add(line, str(missing))
        return None
    media[path] = found
    return path
