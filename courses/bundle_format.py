"""Course bundles: read and validate a bundle folder, and write one back canonically.

Pure logic: no Flask, no database. A bundle is a folder with course.yaml, manual/NNN.md (one
file per published manual version), media/ and items.jsonl; docs/course-bundles.md describes
it for instructors. Reading collects every problem as a `file:line: message` error; writing is
deterministic, so that write -> read -> write gives byte-identical files.

Text normalisation, applied on read and on write so round trips are exact:
- every text: a UTF-8 BOM is dropped, CRLF and lone CR become LF;
- Markdown (manual bodies, description, changelog): leading blank lines and trailing
  whitespace (spaces, tabs, newlines) are removed; inner lines are kept byte for byte;
- one-line values (slug, title, code_name, qualifies_for, status, section ids): surrounding
  spaces and tabs are removed; an empty code_name means none (None);
- items.jsonl: trailing blank lines are dropped and a non-empty file ends with one newline.
"""

from __future__ import annotations

import difflib
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from courses.html_safety import find_unsafe_html
from courses.rendering import render_manual

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
STATUSES = ("draft", "open", "archived")
COURSE_KEYS = ("slug", "title", "code_name", "description", "qualifies_for",
               "estimated_minutes", "status")
VERSION_KEYS = ("version", "published_at", "changelog", "material")
LIMITS = {"title": 200, "code_name": 100, "qualifies_for": 300}
MAX_MINUTES = 10_000
MEDIA_EXTENSIONS = frozenset(
    {"png", "jpg", "jpeg", "gif", "webp", "mp3", "mp4", "webm", "pdf", "txt", "json"}
)
MAX_MEDIA_BYTES = 20 * 1024 * 1024
MAX_MEDIA_PATH = 255
OUT_OF_ORDER = "a manual version out of order"
_MANUAL_NAME = re.compile(r"([0-9]{3,})\.md")
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
# Characters YAML cannot hold unescaped, or reads as line breaks.
_YAML_UNSAFE = re.compile(
    "[^\x09\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_YAML_WORDS = frozenset(
    "y yes n no true false on off null ~ .nan .inf -.inf +.inf".split()
)


@dataclass(frozen=True)
class BundleError:
    """One problem in a bundle, at a 1-based line of a file relative to the bundle root."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class BundleInvalid(Exception):
    """A bundle that cannot be imported; `errors` lists every problem, sorted by file and line."""

    def __init__(self, errors: list[BundleError]):
        self.errors = sorted(dict.fromkeys(errors), key=lambda e: (e.file, e.line))
        super().__init__("\n".join(str(e) for e in self.errors))


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


# Text normalisation (shared by reading and writing; the database layer should use it too).


def normalise_newlines(text: str) -> str:
    """LF line endings only, without a leading BOM."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _blank_prefix(text: str) -> str:
    match = re.match(r"(?:[ \t]*\n)*", text)
    return match.group(0) if match else ""


def normalise_markdown(text: str) -> str:
    """Markdown as bundles store it: no leading blank lines and no trailing whitespace."""
    text = normalise_newlines(text)
    return text[len(_blank_prefix(text)):].rstrip(" \t\n")


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


def media_path_problem(path: str) -> str | None:
    """Why a media/<path> cannot be used, or None when it is a safe path inside media/."""
    parts = path.split("/")
    if "\\" in path or path.startswith("/") or parts[0] != "media" or len(parts) < 2:
        return f'media path "{path}" must be a relative path inside media/ using "/"'
    if any(part in ("", ".", "..") for part in parts[1:]):
        return f'media path "{path}" must stay inside media/ (no "..", "." or empty parts)'
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        return f"media path {path!r} contains a control character"
    if len(path) > MAX_MEDIA_PATH:
        return f'media path "{path[:60]}..." is longer than {MAX_MEDIA_PATH} characters'
    return None


def _media_type_problem(path: str) -> str | None:
    extension = path.rpartition(".")[2].lower() if "." in path.rpartition("/")[2] else ""
    if extension in MEDIA_EXTENSIONS:
        return None
    allowed = ", ".join(sorted(MEDIA_EXTENSIONS))
    if extension == "svg":
        return f"SVG files are not allowed (they can contain scripts); allowed types: {allowed}"
    kind = f".{extension} files" if extension else "files without an extension"
    return f"{kind} are not allowed in media/; allowed types: {allowed}"


# Reading files.


class _Errors(list[BundleError]):
    def add(self, file: str, line: int, message: str) -> None:
        self.append(BundleError(file, max(line, 1), message))


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _read_text(root: Path, rel: str, errors: _Errors,
               missing: str = "file is missing") -> str | None:
    """A required text file, decoded and with LF line endings."""
    path = root / rel
    if not path.exists() and not path.is_symlink():
        errors.add(rel, 1, missing)
        return None
    if not _is_regular(path):
        errors.add(rel, 1, "must be a regular file (not a folder or a link)")
        return None
    data = path.read_bytes()
    try:
        return normalise_newlines(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        errors.add(rel, line, f"is not UTF-8 text (byte 0x{data[exc.start]:02x})")
        return None


# YAML documents with line numbers.


@dataclass
class _Doc:
    """A YAML mapping: value nodes by key, the file line of each key and of YAML line 1."""

    file: str
    first_line: int
    nodes: dict[str, Node] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)

    def line(self, node: Node) -> int:
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


def _parse_mapping(text: str, doc: _Doc, allowed: tuple[str, ...], errors: _Errors) -> bool:
    """Fill doc.nodes from YAML text; report parse errors, duplicate and unknown keys."""
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
    for key, value in root.value:
        name = key.value if isinstance(key, ScalarNode) else None
        if name in doc.nodes:
            errors.add(doc.file, doc.line(key), f'key "{name}" appears twice')
        elif name in allowed:
            doc.nodes[name] = value
            doc.key_lines[name] = doc.line(key)
        else:
            errors.add(doc.file, doc.line(key), _unknown_key(str(name), allowed))
    return True


def _unknown_key(name: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    return f'unknown key "{name}"; {hint}allowed keys: {", ".join(allowed)}'


def _is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, ScalarNode) and node.tag == _NULL)


def _raw_text(doc: _Doc, key: str, errors: _Errors) -> str | None:
    """The text of a scalar exactly as written (a plain 2024 is "2024"), None when absent."""
    node = doc.nodes.get(key)
    if _is_null(node):
        return None
    if not isinstance(node, ScalarNode):
        errors.add(doc.file, doc.at(key), f"{key} must be text, not a list or mapping")
        return None
    return node.value


def _line_value(doc: _Doc, key: str, errors: _Errors, required: bool = False) -> str | None:
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


def _whole_number(doc: _Doc, key: str, errors: _Errors) -> int | None:
    node = doc.nodes.get(key)
    if _is_null(node):
        return None
    if isinstance(node, ScalarNode) and node.tag == _INT and _DECIMAL.fullmatch(node.value):
        return int(node.value)
    errors.add(doc.file, doc.at(key), f"{key} must be a whole number, like 90")
    return None


def _markdown_value(doc: _Doc, key: str, errors: _Errors) -> str:
    """A Markdown value, normalised and checked for unsafe HTML at its exact lines."""
    raw = _raw_text(doc, key, errors)
    if raw is None:
        return ""
    text = normalise_markdown(raw)
    node = doc.nodes[key]
    if isinstance(node, ScalarNode) and node.style == "|":
        first = doc.line(node) + 1 + _blank_prefix(normalise_newlines(raw)).count("\n")
        _report_unsafe(text, doc.file, lambda n: first + n - 1, errors)
    else:
        _report_unsafe(text, doc.file, lambda n: doc.at(key), errors)
    return text


def _report_unsafe(markdown: str, file: str, line_of: Callable[[int], int],
                   errors: _Errors) -> None:
    for finding in find_unsafe_html(markdown):
        errors.add(file, line_of(finding.line), finding.message)


# course.yaml


def _read_course(root: Path, errors: _Errors) -> CourseSpec | None:
    text = _read_text(root, "course.yaml", errors)
    if text is None:
        return None
    doc = _Doc("course.yaml", 1)
    if not _parse_mapping(text, doc, COURSE_KEYS, errors):
        return None
    slug = _line_value(doc, "slug", errors, required=True)
    if slug and not SLUG.fullmatch(slug):
        errors.add(doc.file, doc.at("slug"),
                   f'slug "{slug}" must be 2 to 64 lowercase letters, digits and dashes, '
                   "starting with a letter or digit")
    minutes = _whole_number(doc, "estimated_minutes", errors)
    if minutes is not None and not 1 <= minutes <= MAX_MINUTES:
        errors.add(doc.file, doc.at("estimated_minutes"),
                   f"estimated_minutes must be between 1 and {MAX_MINUTES}")
    status = _line_value(doc, "status", errors) or "draft"
    if status not in STATUSES:
        errors.add(doc.file, doc.at("status"),
                   f'status "{status}" must be one of: {", ".join(STATUSES)}')
    return CourseSpec(
        slug=slug or "",
        title=_line_value(doc, "title", errors, required=True) or "",
        code_name=_line_value(doc, "code_name", errors) or None,
        description=_markdown_value(doc, "description", errors),
        qualifies_for=_line_value(doc, "qualifies_for", errors) or "",
        estimated_minutes=minutes,
        status=status,
    )


# media/


def _read_media(root: Path, errors: _Errors) -> tuple[dict[str, bytes], set[str]]:
    """Valid media files by path, and the paths of every file present (valid or not)."""
    media: dict[str, bytes] = {}
    present: set[str] = set()
    folder = root / "media"
    if not folder.exists():
        return media, present
    if folder.is_symlink() or not folder.is_dir():
        errors.add("media/", 1, "must be a folder")
        return media, present
    for path in _walk(folder):
        rel = "media/" + path.relative_to(folder).as_posix()
        present.add(rel)
        problem = _media_file_problem(path, rel)
        if problem:
            errors.add(_printable(rel), 1, problem)
        else:
            media[rel] = path.read_bytes()
    return dict(sorted(media.items())), present


def _walk(folder: Path) -> list[Path]:
    """Files and links under a folder, sorted, skipping hidden names such as .DS_Store."""
    found: list[Path] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir() and not path.is_symlink():
            found.extend(_walk(path))
        else:
            found.append(path)
    return found


def _printable(rel: str) -> str:
    return rel.encode("utf-8", "backslashreplace").decode("utf-8")


def _media_file_problem(path: Path, rel: str) -> str | None:
    if not _is_regular(path):
        return "must be a regular file (links and special files are not allowed)"
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return "file name is not valid UTF-8"
    problem = media_path_problem(rel) or _media_type_problem(rel)
    if problem:
        return problem
    size = path.stat().st_size
    if size > MAX_MEDIA_BYTES:
        return f"file is {size / 1024 / 1024:.1f} MB; the limit is 20 MB"
    return None


# Media references in Markdown.

_MEDIA_ATTRIBUTES = frozenset({"src", "href", "poster"})


def _build_reference_parser() -> MarkdownIt:
    """The manual dialect of courses.rendering, used only to find link and image targets."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    container_plugin(md, "callout", validate=lambda params, *_: bool(params.strip()))
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


_REFERENCE_PARSER = _build_reference_parser()


class _HtmlReferences(HTMLParser):
    def __init__(self, first_line: int) -> None:
        super().__init__(convert_charrefs=True)
        self.first_line = first_line
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.first_line + self.getpos()[0] - 1
        self.found += [(line, v) for k, v in attrs if k in _MEDIA_ATTRIBUTES and v]


def _html_references(html: str, first_line: int) -> list[tuple[int, str]]:
    parser = _HtmlReferences(first_line)
    parser.feed(html)
    parser.close()
    return parser.found


def _inline_references(inline: Token) -> list[tuple[int, str]]:
    """Link, image and raw HTML targets of a paragraph, with lines tracked through its source."""
    source, cursor, found = inline.content, 0, []
    first_line = inline.map[0] + 1 if inline.map else 1
    for child in inline.children or ():
        start = cursor
        if child.type == "html_inline":
            at = source.find(child.content, cursor)
            start, cursor = (at, at + len(child.content)) if at >= 0 else (cursor, cursor)
            found += _html_references(child.content, first_line + source.count("\n", 0, start))
        elif child.type in ("softbreak", "hardbreak"):
            cursor = source.find("\n", cursor) + 1 or cursor
        elif child.type in ("link_open", "image"):
            target = str(child.attrGet("href") or child.attrGet("src") or "")
            found.append((first_line + source.count("\n", 0, start), target))
    return found


def media_references(markdown: str) -> list[tuple[int, str]]:
    """(line, target) of every link, image and HTML src/href that points into media/."""
    found: list[tuple[int, str]] = []
    for token in _REFERENCE_PARSER.parse(markdown):
        if token.type == "html_block" and token.map:
            found += _html_references(token.content, token.map[0] + 1)
        elif token.type == "inline":
            found += _inline_references(token)
    targets = [(line, unquote(re.split(r"[?#]", raw, maxsplit=1)[0])) for line, raw in found]
    return [(line, target) for line, target in targets if _points_into_media(target)]


def _points_into_media(target: str) -> bool:
    return target.lstrip("/").replace("\\", "/").startswith("media/")


# manual/


@dataclass
class _Published:
    number: int
    moment: datetime
    line: int


def _read_manual(root: Path, present_media: set[str],
                 errors: _Errors) -> tuple[ManualVersionSpec, ...]:
    folder = root / "manual"
    if not folder.exists():
        errors.add("manual/", 1, "folder is missing")
        return ()
    if folder.is_symlink() or not folder.is_dir():
        errors.add("manual/", 1, "must be a folder")
        return ()
    numbers = _manual_numbers(folder, errors)
    versions, previous = [], None
    for number in numbers:
        version, published = _read_version(root, number, present_media, errors)
        if version:
            versions.append(version)
        if previous and published and published.moment < previous.moment:
            errors.add(f"manual/{number:03d}.md", published.line,
                       f"published_at {format_timestamp(published.moment)} is earlier than "
                       f"version {previous.number}'s ({format_timestamp(previous.moment)})")
        previous = published or previous
    return tuple(versions)


def _manual_numbers(folder: Path, errors: _Errors) -> list[int]:
    """Version numbers of well-named files; misnamed files, duplicates and gaps are errors."""
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    numbers = []
    for name in names:
        match = _MANUAL_NAME.fullmatch(name)
        rel = _printable(f"manual/{name}")
        if not match:
            errors.add(rel, 1, f"{OUT_OF_ORDER}: manual files must be named 001.md, 002.md, ...")
        elif name != f"{int(match[1]):03d}.md":
            expected = f"{int(match[1]):03d}.md"
            detail = "duplicates" if expected in names else "must be named"
            errors.add(rel, 1, f"{OUT_OF_ORDER}: {name} {detail} {expected}")
        else:
            numbers.append(int(match[1]))
    expected = 1
    for number in numbers:
        if number != expected:
            errors.add(f"manual/{number:03d}.md", 1,
                       f"{OUT_OF_ORDER}: expected {expected:03d}.md before {number:03d}.md; "
                       "versions are numbered from 001 without gaps")
        expected = number + 1
    return numbers


def _split_front_matter(text: str, rel: str, errors: _Errors) -> tuple[str, str, int] | None:
    """(front matter, body, file line of the body's first line)."""
    lines = text.split("\n")
    if lines[0].rstrip(" \t") != "---":
        errors.add(rel, 1, 'must start with YAML front matter: a line "---", then '
                           '"version: ...", then a closing "---"')
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip(" \t") == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2
    errors.add(rel, 1, 'the front matter is not closed by a line "---"')
    return None


def _read_version(root: Path, number: int, present_media: set[str],
                  errors: _Errors) -> tuple[ManualVersionSpec | None, _Published | None]:
    rel = f"manual/{number:03d}.md"
    text = _read_text(root, rel, errors)
    parts = _split_front_matter(text, rel, errors) if text is not None else None
    if parts is None:
        return None, None
    front, raw_body, body_line = parts
    doc = _Doc(rel, 2)
    if not _parse_mapping(front, doc, VERSION_KEYS, errors):
        return None, None
    version = _whole_number(doc, "version", errors)
    if version is None and "version" not in doc.nodes:
        errors.add(rel, 1, "version is required")
    elif version is not None and version != number:
        errors.add(rel, doc.at("version"),
                   f"{OUT_OF_ORDER}: version {version} does not match the file name {rel}")
    published = _published_at(doc, errors)
    changelog = _markdown_value(doc, "changelog", errors)
    if number >= 2 and not changelog:
        errors.add(rel, doc.at("changelog"),
                   "changelog is required from version 2 on: say what changed")
    body = normalise_markdown(raw_body)
    if body:
        first_line = body_line + _blank_prefix(raw_body).count("\n")
        _check_body(body, rel, first_line, present_media, errors)
    else:
        errors.add(rel, body_line - 1, "the manual text after the front matter is empty")
    material = _material(doc, number, body, errors)
    if published is None:
        return None, None
    spec = ManualVersionSpec(number, published.moment, changelog, material, body)
    return spec, _Published(number, published.moment, published.line)


def _published_at(doc: _Doc, errors: _Errors) -> _Published | None:
    node = doc.nodes.get("published_at")
    if _is_null(node):
        errors.add(doc.file, doc.at("published_at"), "published_at is required")
        return None
    example = "an ISO 8601 date and time with a timezone, like 2026-11-02T09:00:00Z"
    moment = None
    if isinstance(node, ScalarNode):
        try:
            moment = datetime.fromisoformat(node.value.strip())
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        errors.add(doc.file, doc.at("published_at"), f"published_at must be {example}")
        return None
    return _Published(0, moment.astimezone(UTC), doc.at("published_at"))


def _material(doc: _Doc, number: int, body: str, errors: _Errors) -> tuple[str, ...]:
    node = doc.nodes.get("material")
    if _is_null(node):
        return ()
    if not isinstance(node, SequenceNode):
        errors.add(doc.file, doc.at("material"), "material must be a list of section ids")
        return ()
    if number == 1 and node.value:
        errors.add(doc.file, doc.at("material"),
                   "version 1 cannot list material changes: there is no earlier version")
        return ()
    if not body:
        return ()  # reported as an empty manual
    known = {section.id for section in render_manual(body).sections}
    ids: list[str] = []
    for item in node.value:
        sid = normalise_line(item.value) if isinstance(item, ScalarNode) else ""
        if not sid or "\n" in sid:
            errors.add(doc.file, doc.line(item), "material must list section ids as text")
        elif sid in ids:
            errors.add(doc.file, doc.line(item), f'material section "{sid}" is listed twice')
        elif sid not in known:
            errors.add(doc.file, doc.line(item),
                       f'material section "{sid}" is not a section of this version '
                       f'(its sections: {", ".join(sorted(known)) or "none"})')
        else:
            ids.append(sid)
    return tuple(ids)


def _check_body(body: str, rel: str, first_line: int, present_media: set[str],
                errors: _Errors) -> None:
    _report_unsafe(body, rel, lambda n: first_line + n - 1, errors)
    for line, target in media_references(body):
        problem = media_path_problem(target)
        if problem:
            errors.add(rel, first_line + line - 1, problem)
        elif target not in present_media:
            errors.add(rel, first_line + line - 1, f'media file "{target}" does not exist')


# The whole bundle.


def read_bundle(root: Path) -> Bundle:
    """Read and validate a bundle folder; raise BundleInvalid listing every problem."""
    root = Path(root)
    errors = _Errors()
    if not root.is_dir():
        problem = "is not a folder" if root.exists() else "does not exist"
        raise BundleInvalid([BundleError(".", 1, f"bundle folder {root} {problem}")])
    course = _read_course(root, errors)
    media, present = _read_media(root, errors)
    versions = _read_manual(root, present, errors)
    items = _read_text(root, "items.jsonl", errors, "file is missing (an empty file is fine)")
    if errors or course is None or items is None:
        raise BundleInvalid(errors)
    return Bundle(course, versions, media, normalise_items(items))


# Writing.


def _loads_as(line: str, value: object) -> bool:
    try:
        loaded = yaml.safe_load(line)
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and loaded == {"k": value}


def _double_quoted(value: str) -> str:
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
    code_name = normalise_line(course.code_name or "")
    minutes = course.estimated_minutes
    lines = [
        f"slug: {yaml_scalar(normalise_line(course.slug))}",
        f"title: {yaml_scalar(normalise_line(course.title))}",
        f"code_name: {yaml_scalar(code_name) if code_name else 'null'}",
        *_yaml_field("description", normalise_markdown(course.description)),
        f"qualifies_for: {yaml_scalar(normalise_line(course.qualifies_for))}",
        f"estimated_minutes: {'null' if minutes is None else int(minutes)}",
        f"status: {yaml_scalar(normalise_line(course.status))}",
    ]
    return "\n".join(lines) + "\n"


def _version_file(version: ManualVersionSpec) -> str:
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
