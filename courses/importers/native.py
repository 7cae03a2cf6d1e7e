"""Bootcamp's native gold items: one JSON object per line of a bundle's items.jsonl.

docs/item-formats.md is the contract. `load_items` reads and checks a whole file (every problem
as items.jsonl:LINE: message, spec and gold checked by graders.validate); `dump_items` writes
items canonically (keys in the documented order, one item per line), so that
dump -> load -> dump gives byte-identical text whatever order a database kept the keys in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import graders
from courses import kinds
from courses.errors import Problems
from courses.media_paths import MEDIA_PREFIX, is_cloud, is_strip, media_path_problem

ITEM_KEYS = ("id", "kind", "prompt", "media", "spec", "gold", "alternatives", "explanation",
             "sections", "critical", "pools")
REQUIRED_KEYS = ("id", "kind", "prompt", "spec", "gold", "pools")
DEFAULTS: Mapping[str, Any] = {"media": None, "alternatives": (), "explanation": "",
                               "sections": (), "critical": False}
MAX_ALTERNATIVES = 20
POOLS = ("practice", "exam")
ITEM_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
MAX_PROMPT_CHARS = 5_000
MAX_EXPLANATION_CHARS = 20_000
MAX_SECTIONS = 50

# Canonical key order of nested objects; keys not listed keep their place after these.
_SPEC_ORDER = ("text", "width", "height", "options", "labels", "range", "keypoints", "sigmas",
               "match", "iou_threshold", "oks_threshold", "overlap_threshold")
_ENTRY_ORDER = ("start", "end", "label", "x", "y", "z", "l", "w", "h", "yaw", "keypoints", "area",
                "box")


def load_items(text: str, *, file: str = "items.jsonl", media: Collection[str] | None = None,
               sections: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Parse and check native JSONL; raise SourceInvalid listing every problem.

    `media`: the bundle's media paths, when known (each item's media must be one of them).
    `sections`: the manual's section ids, when known (each item's sections must be among them).
    Returns the items with every key present (defaults filled in), in file order.
    """
    problems = Problems(file)
    items: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    for number, line in item_lines(text):
        item = _parse_line(line, number, problems)
        if item is None:
            continue
        for message in item_problems(item, media=media, sections=sections):
            problems.add(number, message)
        item_id = item.get("id")
        if isinstance(item_id, str) and item_id in first_line:
            problems.add(number, f'id: "{item_id}" is already used on line {first_line[item_id]}')
        elif isinstance(item_id, str):
            first_line[item_id] = number
        items.append(with_defaults(item))
    problems.raise_if_any()
    return items


def item_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of each non-blank line: the items load_items returns, in order."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return [(number, line) for number, line in enumerate(text.split("\n"), start=1)
            if line.strip()]


def _parse_line(line: str, number: int, problems: Problems) -> dict[str, Any] | None:
    """One line as a JSON object, or None after recording why it is not one."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        problems.add(number, f"not valid JSON: {error.msg} (column {error.colno})")
        return None
    except RecursionError:
        problems.add(number, "not valid JSON: nested too deeply")
        return None
    if not isinstance(value, dict):
        problems.add(number, f"each line must be one JSON object (an item), got {_type(value)}")
        return None
    return value


def with_defaults(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item with every documented key, in the documented order."""
    full = {key: item[key] if key in item else DEFAULTS.get(key) for key in ITEM_KEYS}
    for key in ("sections", "alternatives"):
        if isinstance(full[key], tuple):
            full[key] = list(full[key])
    return full


def item_problems(item: Mapping[str, Any], *, media: Collection[str] | None = None,
                  sections: Collection[str] | None = None) -> list[str]:
    """Every problem of one item as "path: message" (ids are checked, not their uniqueness)."""
    found = [f"{key}: unknown key (allowed: {', '.join(ITEM_KEYS)})"
             for key in item if key not in ITEM_KEYS]
    found += [f"{key}: is required" for key in REQUIRED_KEYS if key not in item]
    checks = (
        ("id", _id_problem), ("prompt", _prompt_problem), ("explanation", _explanation_problem),
        ("critical", _critical_problem), ("pools", _pools_problem),
    )
    found += [f"{key}: {problem}" for key, check in checks
              if key in item and (problem := check(item[key]))]
    found += _media_problems(item, media)
    found += _sections_problems(item.get("sections", []), sections)
    if all(key in item for key in ("kind", "spec", "gold")):
        try:
            graders.validate(item["kind"], item["spec"], item["gold"])
        except graders.ScoringError as error:
            found.append(str(error))
        else:
            found += _alternatives_problems(item)
    return found


def _alternatives_problems(item: Mapping[str, Any]) -> list[str]:
    """Each accepted alternative must be a valid gold for the item, like the gold itself."""
    value = item.get("alternatives", [])
    if not isinstance(value, list):
        return [f"alternatives: must be a list of golds, got {_type(value)}"]
    if len(value) > MAX_ALTERNATIVES:
        return [f"alternatives: at most {MAX_ALTERNATIVES} are allowed, got {len(value)}"]
    found = []
    for n, alternative in enumerate(value):
        try:
            graders.validate(item["kind"], item["spec"], alternative)
        except graders.ScoringError as error:
            found.append(f"alternatives[{n}]{str(error).removeprefix('gold')}")
    return found


def _id_problem(value: Any) -> str | None:
    if isinstance(value, str) and ITEM_ID.fullmatch(value):
        return None
    return ("must be 1 to 100 characters: lowercase letters a-z, digits, '.', '_' or '-', "
            f"starting with a letter or digit; got {_show(value)}")


def _prompt_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"must be a non-empty string, got {_show(value)}"
    if len(value) > MAX_PROMPT_CHARS:
        return f"too long: {len(value)} > {MAX_PROMPT_CHARS} characters"
    return None


def _explanation_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a string of Markdown (may be empty), got {_type(value)}"
    if len(value) > MAX_EXPLANATION_CHARS:
        return f"too long: {len(value)} > {MAX_EXPLANATION_CHARS} characters"
    return None


def _critical_problem(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {_show(value)}"


def _pools_problem(value: Any) -> str | None:
    if (isinstance(value, list) and value and all(isinstance(p, str) for p in value)
            and set(value) <= set(POOLS) and len(set(value)) == len(value)):
        return None
    return f'must be ["practice"], ["exam"] or ["practice", "exam"], got {_show(value)}'


def _media_problems(item: Mapping[str, Any], known: Collection[str] | None) -> list[str]:
    value = item.get("media")
    kind = item.get("kind")
    needs = kinds.KINDS[kind].media if isinstance(kind, str) and kind in kinds.KINDS else None
    if value is None:
        return [f"media: a {kind} item needs {kinds.MEDIA_NEEDED[needs]}"] if (
            needs in kinds.MEDIA_NEEDED) else []
    if not isinstance(value, str) or not value.startswith(MEDIA_PREFIX):
        return [f"media: must be null or a path media/<file>, got {_show(value)}"]
    problem = media_path_problem(value)
    if problem:
        return [f"media: {problem}"]
    if (needs == "cloud") != is_cloud(value):
        return [f"media: a {kind} item needs {kinds.MEDIA_NEEDED[needs]}, got {_show(value)}"
                if needs == "cloud" else
                f"media: a point cloud is the media of {' or '.join(sorted(kinds.CLOUD_KINDS))} "
                f"items only, got {_show(value)}"]
    if needs == "clip" and not is_strip(value):
        return [f"media: a {kind} item needs {kinds.MEDIA_NEEDED[needs]}, got {_show(value)}"]
    if known is not None and value not in known:
        return [f'media: "{value}" is not a file in media/']
    return []


def _sections_problems(value: Any, known: Collection[str] | None) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_SECTIONS:
        return [f"sections: must be a list of up to {MAX_SECTIONS} section ids, "
                f"got {_show(value)}"]
    found: list[str] = []
    for index, section in enumerate(value):
        if not isinstance(section, str) or not section.strip():
            found.append(f"sections[{index}]: must be a section id, got {_show(section)}")
        elif section in value[:index]:
            found.append(f'sections[{index}]: "{section}" is listed twice')
        elif known is not None and section not in known:
            found.append(f'sections[{index}]: "{section}" is not a section of the manual')
    return found


def dump_items(items: Iterable[Mapping[str, Any]]) -> str:
    """Items as canonical JSONL: "" for none, else one line per item and a final newline.

    Expects valid items (as load_items returns them, or as stored). Keys follow the documented
    order at every level; keypoints and sigmas follow spec.keypoints; pools read practice, exam.
    """
    lines = [_dump(canonical(item)) for item in items]
    return "".join(line + "\n" for line in lines)


def _dump(item: dict[str, Any]) -> str:
    text = json.dumps(item, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
    # JSON allows U+2028/U+2029 raw, but many editors break lines there: escape them.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def canonical(item: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a valid item with every object's keys in canonical order."""
    full = with_defaults(item)
    spec = full["spec"]
    names = spec.get("keypoints", ()) if isinstance(spec, dict) else ()
    full["spec"] = _ordered(spec, _SPEC_ORDER, names)
    full["gold"] = _canonical_value(full["gold"], names)
    full["alternatives"] = [_canonical_value(a, names) for a in full["alternatives"] or []]
    if not full["alternatives"]:
        del full["alternatives"]  # most items have none: keep their lines short
    if isinstance(full["pools"], list):
        full["pools"] = [pool for pool in POOLS if pool in full["pools"]]
    return full


def _canonical_value(value: Any, names: Iterable[str]) -> Any:
    if isinstance(value, list):
        return [_canonical_value(entry, names) for entry in value]
    if isinstance(value, dict):
        return _ordered(value, _ENTRY_ORDER, names)
    return value


def _ordered(value: Any, order: tuple[str, ...], names: Iterable[str]) -> Any:
    """`value` with keys in `order`; nested keypoint maps follow `names` (the spec's order)."""
    if not isinstance(value, dict):
        return value
    rank = {key: i for i, key in enumerate(order)}
    keys = sorted(value, key=lambda k: rank.get(k, len(order)))
    result = {}
    for key in keys:
        entry = value[key]
        if key in ("keypoints", "sigmas") and isinstance(entry, dict):
            entry = _by_names(entry, names)
        elif key == "box" and isinstance(entry, dict):
            entry = _ordered(entry, _ENTRY_ORDER, names)
        result[key] = entry
    return result


def _by_names(mapping: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    position = {name: i for i, name in enumerate(names)}
    return {key: mapping[key] for key in sorted(mapping, key=lambda k: position.get(k, 1 << 30))}


def _type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false",
            type(None): "null"}.get(type(value), "a number")


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if _jsonable(value) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True
