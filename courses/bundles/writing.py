"""Write a bundle folder canonically: the same bundle always gives the same bytes.

Pure logic apart from the files written: no Flask, no database. Canonical means keys in a fixed
order, one-line values as plain YAML scalars unless that would read back differently, and
Markdown as literal blocks, so that exported bundles diff cleanly in git and
write -> read -> write is byte-identical.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from courses.bundles.model import (
    Bundle,
    CourseSpec,
    ManualVersionSpec,
    format_timestamp,
    normalise_items,
    normalise_line,
    normalise_markdown,
)
from courses.media_paths import media_path_problem

# Characters YAML cannot hold unescaped, or reads as line breaks.
_YAML_UNSAFE = re.compile(
    "[^\x09\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_YAML_WORDS = frozenset(
    "y yes n no true false on off null ~ .nan .inf -.inf +.inf".split()
)


def _loads_as(line: str, value: object) -> bool:
    """Whether "k: ..." YAML reads back as exactly {"k": value}: the test every output passes."""
    try:
        loaded = yaml.safe_load(line)
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and loaded == {"k": value}


def _double_quoted(value: str) -> str:
    """A double-quoted scalar, escaping what YAML cannot hold or would read as a line break."""
    escapes = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}
    out = []
    for ch in value:
        if ch in escapes:
            out.append(escapes[ch])
        elif _YAML_UNSAFE.match(ch):
            code = ord(ch)
            out.append(f"\\x{code:02X}" if code < 0x100 else
                       f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def yaml_scalar(value: str) -> str:
    """A string as a one-line YAML scalar: plain when unambiguous, else double-quoted."""
    plain = (
        value
        and not _YAML_UNSAFE.search(value)
        and value == value.strip(" \t")
        and not value[0].isdigit()
        and value[0] not in "+-.:?!&*|>'\"%@`#,[]{}"
        and value.lower() not in _YAML_WORDS
        and _loads_as(f"k: {value}", value)
    )
    return value if plain else _double_quoted(value)


def _yaml_field(key: str, value: str) -> list[str]:
    """key: value, with multi-line text as a literal block scalar when that reads back exactly."""
    if "\n" in value and not _YAML_UNSAFE.search(value):
        indicator = "|2" if value[0] in " \t" else "|"
        lines = [f"{key}: {indicator}", *(f"  {ln}" if ln else "" for ln in value.split("\n"))]
        block = "\n".join(lines)
        if _loads_as(block.replace(key, "k", 1) + "\n", value + "\n"):
            return lines
    return [f"{key}: {yaml_scalar(value)}"]


def _course_yaml(course: CourseSpec) -> str:
    """course.yaml with every key, in the documented order, nulls written out."""
    code_name = normalise_line(course.code_name or "")
    minutes = course.estimated_minutes
    lines = [
        f"slug: {yaml_scalar(normalise_line(course.slug))}",
        f"title: {yaml_scalar(normalise_line(course.title))}",
        f"code_name: {yaml_scalar(code_name) if code_name else 'null'}",
        *_yaml_field("description", normalise_markdown(course.description)),
        f"qualifies_for: {yaml_scalar(normalise_line(course.qualifies_for))}",
        f"estimated_minutes: {'null' if minutes is None else int(minutes)}",
        f"dropout_window_days: {int(course.dropout_window_days)}",
        f"status: {yaml_scalar(normalise_line(course.status))}",
    ]
    if course.exam is not None:  # exams gives the block; its keys and units are its own
        lines += _block_lines("exam", course.exam.bundle_block())
    return "\n".join(lines) + "\n"


def _number(value: int | float) -> str:
    """A number as YAML reads it back exactly: 30, 1.5, 0.8, 1.0 (never 1e-05)."""
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = f"{value:.17f}".rstrip("0")
    return text


def _block_lines(key: str, block: Mapping[str, object], indent: str = "") -> list[str]:
    """A mapping as block YAML, in its own order: nested mappings indented under their key (an
    empty one as {}), other values plain scalars (null, true, false, numbers, strings)."""
    if not block:
        return [f"{indent}{key}: {{}}"]
    lines = [f"{indent}{key}:"]
    for name, value in block.items():
        if isinstance(value, Mapping):
            lines += _block_lines(yaml_scalar(str(name)), value, indent + "  ")
            continue
        lines.append(f"{indent}  {yaml_scalar(str(name))}: {_plain(value)}")
    return lines


def _plain(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    return yaml_scalar(str(value))


def _version_file(version: ManualVersionSpec) -> str:
    """manual/NNN.md: front matter (optional keys only when set), then the Markdown body."""
    lines = ["---", f"version: {int(version.number)}",
             f"published_at: {format_timestamp(version.published_at)}"]
    changelog = normalise_markdown(version.changelog)
    if changelog:
        lines += _yaml_field("changelog", changelog)
    if version.material:
        lines += ["material:"] + [f"  - {yaml_scalar(normalise_line(s))}" for s in version.material]
    body = normalise_markdown(version.markdown)
    return "\n".join([*lines, "---", body] if body else [*lines, "---"]) + "\n"


def bundle_files(bundle: Bundle) -> dict[str, bytes]:
    """Every file of the canonical bundle folder by relative path, in a stable order."""
    numbers = [v.number for v in bundle.versions]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"manual versions must be numbered 1, 2, ... in order, not {numbers}")
    files = {"course.yaml": _course_yaml(bundle.course).encode()}
    for version in bundle.versions:
        files[f"manual/{version.number:03d}.md"] = _version_file(version).encode()
    for path in sorted(bundle.media):
        problem = media_path_problem(path)
        if problem:
            raise ValueError(problem)
        files[path] = bytes(bundle.media[path])
    files["items.jsonl"] = normalise_items(bundle.items_jsonl).encode()
    return files


def write_bundle(bundle: Bundle, root: Path) -> None:
    """Write a bundle folder canonically; root must not exist yet or be empty."""
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise FileExistsError(f"{root} must not exist yet or be an empty folder")
    files = bundle_files(bundle)
    for folder in ("manual", "media"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
