"""YAML mappings read node by node, so that every problem can name the line it is on.

course.yaml and the front matter of manual/NNN.md are composed (not loaded) with PyYAML: the
nodes keep their marks, and scalars keep the text as written (a plain 2024 stays "2024"
where text is expected, instead of becoming a number).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from courses.bundles.model import (
    LIMITS,
    leading_blank_lines,
    normalise_line,
    normalise_markdown,
    normalise_newlines,
)
from courses.errors import ErrorList
from courses.html_safety import find_unsafe_html

_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


@dataclass
class YamlMapping:
    """A YAML mapping: value nodes by key, the file line of each key and of YAML line 1."""

    file: str
    first_line: int
    nodes: dict[str, Node] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)

    def line(self, node: Node) -> int:
        """The file line of a node (front matter starts below the opening "---")."""
        return self.first_line + node.start_mark.line

    def at(self, key: str) -> int:
        """The line of a key; line 1 (the file's start) when the key is absent."""
        return self.key_lines.get(key, 1)


def _yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """0-based line and text of a YAML parser complaint."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return (mark.line if mark else 0), str(exc.problem or exc.context)
    if isinstance(exc, yaml.reader.ReaderError):
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "?")
        return text.count("\n", 0, exc.position), f"character U+{code:04X} is not allowed"
    return 0, str(exc)


def parse_mapping(text: str, doc: YamlMapping, allowed: tuple[str, ...],
                  errors: ErrorList) -> bool:
    """Fill doc.nodes from YAML text; report parse errors, duplicate and unknown keys.

    False when the text is not a mapping at all, so that no value can be checked.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        line, problem = _yaml_problem(exc, text)
        errors.add(doc.file, doc.first_line + line, f"could not parse YAML: {problem}")
        return False
    if root is None:
        return True
    if not isinstance(root, MappingNode):
        errors.add(doc.file, doc.line(root), 'must be YAML keys and values, like "slug: ..."')
        return False
    fill_mapping(root, doc, allowed, errors)
    return True


def fill_mapping(node: MappingNode, doc: YamlMapping, allowed: tuple[str, ...],
                 errors: ErrorList, prefix: str = "") -> None:
    """Fill doc.nodes from a mapping node; report duplicate and unknown keys.

    `prefix` names a nested mapping in messages ("exam." for the keys under `exam:`).
    """
    for key, value in node.value:
        name = key.value if isinstance(key, ScalarNode) else None
        if name in doc.nodes:
            errors.add(doc.file, doc.line(key), f'key "{prefix}{name}" appears twice')
        elif name in allowed:
            doc.nodes[name] = value
            doc.key_lines[name] = doc.line(key)
        else:
            errors.add(doc.file, doc.line(key), _unknown_key(str(name), allowed, prefix))


def _unknown_key(name: str, allowed: tuple[str, ...], prefix: str = "") -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f'did you mean "{prefix}{close[0]}"? ' if close else ""
    where = f" under {prefix.rstrip('.')}" if prefix else ""
    return f'unknown key "{prefix}{name}"; {hint}allowed keys{where}: {", ".join(allowed)}'


def is_null(node: Node | None) -> bool:
    """An absent key and an explicit null (or empty value) mean the same."""
    return node is None or (isinstance(node, ScalarNode) and node.tag == _NULL)


def _raw_text(doc: YamlMapping, key: str, errors: ErrorList) -> str | None:
    """The text of a scalar exactly as written (a plain 2024 is "2024"), None when absent."""
    node = doc.nodes.get(key)
    if is_null(node):
        return None
    if not isinstance(node, ScalarNode):
        errors.add(doc.file, doc.at(key), f"{key} must be text, not a list or mapping")
        return None
    return node.value


def line_value(doc: YamlMapping, key: str, errors: ErrorList,
               required: bool = False) -> str | None:
    """A one-line text value, normalised and checked against its length limit, if any."""
    node = doc.nodes.get(key)
    if node is not None and not isinstance(node, ScalarNode):
        errors.add(doc.file, doc.at(key), f"{key} must be text, not a list or mapping")
        return None
    raw = _raw_text(doc, key, errors)
    value = normalise_line(raw) if raw is not None else None
    if required and not value:
        errors.add(doc.file, doc.at(key), f"{key} is required")
        return None
    if value and "\n" in value:
        errors.add(doc.file, doc.at(key), f"{key} must be a single line")
    elif value and len(value) > LIMITS.get(key, len(value)):
        errors.add(doc.file, doc.at(key),
                   f"{key} is {len(value)} characters long; the limit is {LIMITS[key]}")
    return value


def whole_number(doc: YamlMapping, key: str, errors: ErrorList) -> int | None:
    """A plain decimal integer: "90", not "090", "90.0" or a quoted "90"."""
    node = doc.nodes.get(key)
    if is_null(node):
        return None
    if isinstance(node, ScalarNode) and node.tag == _INT and _DECIMAL.fullmatch(node.value):
        return int(node.value)
    errors.add(doc.file, doc.at(key), f"{key} must be a whole number, like 90")
    return None


def markdown_value(doc: YamlMapping, key: str, errors: ErrorList) -> str:
    """A Markdown value, normalised and checked for unsafe HTML at its exact lines.

    Only a literal block (|) keeps the file's lines; other styles are reported at the key.
    """
    raw = _raw_text(doc, key, errors)
    if raw is None:
        return ""
    text = normalise_markdown(raw)
    if len(text) > LIMITS.get(key, len(text)):
        errors.add(doc.file, doc.at(key),
                   f"{key} is {len(text):,} characters long; the limit is {LIMITS[key]:,}")
        return text
    node = doc.nodes[key]
    if isinstance(node, ScalarNode) and node.style == "|":
        first = doc.line(node) + 1 + leading_blank_lines(normalise_newlines(raw)).count("\n")
        report_unsafe_html(text, doc.file, lambda n: first + n - 1, errors)
    else:
        report_unsafe_html(text, doc.file, lambda n: doc.at(key), errors)
    return text


def report_unsafe_html(markdown: str, file: str, line_of: Callable[[int], int],
                       errors: ErrorList) -> None:
    """Report unsafe HTML in Markdown; line_of maps a line of the Markdown to a file line."""
    for finding in find_unsafe_html(markdown):
        errors.add(file, line_of(finding.line), finding.message)
