"""Read a bundle folder and check it, reporting every problem as `file:line: message`.

Pure logic: no Flask, no database. docs/course-bundles.md describes the folder for
instructors: course.yaml, manual/NNN.md (one file per published manual version), media/ and
items.jsonl (gold items, checked as courses.importers.native reads them). Nothing is imported
unless the whole bundle is valid, so reading collects all the problems it can find instead of
stopping at the first.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from yaml.nodes import ScalarNode, SequenceNode

from courses.bundles.model import (
    COURSE_KEYS,
    DEFAULT_DROPOUT_WINDOW_DAYS,
    DROPOUT_WINDOW_DAYS,
    MAX_MINUTES,
    SLUG,
    STATUSES,
    VERSION_KEYS,
    Bundle,
    CourseSpec,
    ExamBlock,
    ManualVersionSpec,
    format_timestamp,
    leading_blank_lines,
    normalise_items,
    normalise_line,
    normalise_markdown,
    normalise_newlines,
)
from courses.bundles.references import media_references
from courses.bundles.yaml_doc import (
    YamlMapping,
    is_null,
    line_value,
    markdown_value,
    parse_mapping,
    report_unsafe_html,
    whole_number,
)
from courses.clips import media_problem
from courses.errors import ErrorList, SourceError, SourceInvalid
from courses.importers.native import item_lines, load_items
from courses.media_paths import (
    MEDIA_PREFIX,
    MediaRefused,
    is_cloud,
    media_file,
    media_path_problem,
)
from courses.pointclouds import cloud_problem
from courses.rendering import (
    MAX_MANUAL_BYTES,
    render_manual,
    size_problem,
    structure_problems,
    too_large,
)
from courses.signals import exam_block_read

OUT_OF_ORDER = "a manual version out of order"
# Files are measured before they are read; the manual text itself is held to MAX_MANUAL_BYTES,
# its front matter (changelog and all) gets room of its own.
MAX_MANUAL_FILE_BYTES = MAX_MANUAL_BYTES + 256 * 1024
MAX_COURSE_YAML_BYTES = 256 * 1024
_MANUAL_NAME = re.compile(r"([0-9]{3,})\.md")


# Files.


def _is_regular(path: Path) -> bool:
    """A plain file, not followed through a link: a bundle must not reach outside itself."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _read_text(root: Path, rel: str, errors: ErrorList,
               missing: str = "file is missing", limit: int | None = None) -> str | None:
    """A required text file of at most `limit` bytes, decoded and with LF line endings."""
    path = root / rel
    if not path.exists() and not path.is_symlink():
        errors.add(rel, 1, missing)
        return None
    if not _is_regular(path):
        errors.add(rel, 1, "must be a regular file (not a folder or a link)")
        return None
    problem = too_large(path.lstat().st_size, limit) if limit else None
    if problem:
        errors.add(rel, 1, f"the file {problem}")
        return None
    data = path.read_bytes()
    try:
        return normalise_newlines(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        errors.add(rel, line, f"is not UTF-8 text (byte 0x{data[exc.start]:02x})")
        return None


# course.yaml


def _read_course(root: Path, errors: ErrorList,
                 sections: set[str] | None = None) -> CourseSpec | None:
    """course.yaml, with defaults for optional keys; None when it cannot be parsed at all.

    `sections`: the latest manual version's section ids, which exam quotas must name (None
    when the manual has errors of its own, so that quotas are not checked against it).
    """
    text = _read_text(root, "course.yaml", errors, limit=MAX_COURSE_YAML_BYTES)
    if text is None:
        return None
    doc = YamlMapping("course.yaml", 1)
    if not parse_mapping(text, doc, COURSE_KEYS, errors):
        return None
    slug = line_value(doc, "slug", errors, required=True)
    if slug and not SLUG.fullmatch(slug):
        errors.add(doc.file, doc.at("slug"),
                   f'slug "{slug}" must be 2 to 64 lowercase letters, digits and dashes, '
                   "starting with a letter or digit")
    minutes = whole_number(doc, "estimated_minutes", errors)
    if minutes is not None and not 1 <= minutes <= MAX_MINUTES:
        errors.add(doc.file, doc.at("estimated_minutes"),
                   f"estimated_minutes must be between 1 and {MAX_MINUTES}")
    window = whole_number(doc, "dropout_window_days", errors)
    low, high = DROPOUT_WINDOW_DAYS
    if window is not None and not low <= window <= high:
        errors.add(doc.file, doc.at("dropout_window_days"),
                   f"dropout_window_days must be between {low} and {high} (days)")
        window = None
    status = line_value(doc, "status", errors) or "draft"
    if status not in STATUSES:
        errors.add(doc.file, doc.at("status"),
                   f'status "{status}" must be one of: {", ".join(STATUSES)}')
    return CourseSpec(
        slug=slug or "",
        title=line_value(doc, "title", errors, required=True) or "",
        code_name=line_value(doc, "code_name", errors) or None,
        description=markdown_value(doc, "description", errors),
        qualifies_for=line_value(doc, "qualifies_for", errors) or "",
        estimated_minutes=minutes,
        status=status,
        exam=_read_exam(doc, errors, sections),
        dropout_window_days=DEFAULT_DROPOUT_WINDOW_DAYS if window is None else window,
    )


def _read_exam(doc: YamlMapping, errors: ErrorList, sections: set[str] | None) -> ExamBlock | None:
    """The `exam:` block, read and checked by exams (courses never import it); None if absent."""
    answers = exam_block_read.send(doc, errors=errors, sections=sections)
    return next((exam for _, exam in answers if exam is not None), None)


# media/


def _read_media(root: Path, errors: ErrorList) -> tuple[dict[str, bytes], set[str]]:
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
        name = path.relative_to(folder).as_posix()
        rel = MEDIA_PREFIX + name
        present.add(rel)
        try:
            file = media_file(folder, name)  # unsafe names and types, links, special files, size
        except MediaRefused as refused:
            errors.add(_printable(rel), 1, refused.reason)
        else:
            media[rel] = file.read_bytes()
            problem = cloud_problem(rel, media[rel]) if is_cloud(rel) else None
            if problem:
                errors.add(_printable(rel), 1, problem)
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
    """A file name fit for an error message, even when it is not valid UTF-8."""
    return rel.encode("utf-8", "backslashreplace").decode("utf-8")


# manual/


@dataclass
class _Published:
    """When a version was published and on which line, to check the order of versions."""

    number: int
    moment: datetime
    line: int


def _read_manual(root: Path, present_media: set[str],
                 errors: ErrorList) -> tuple[ManualVersionSpec, ...]:
    """The valid versions in order; publication times must not go backwards."""
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


def _manual_numbers(folder: Path, errors: ErrorList) -> list[int]:
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


def _split_front_matter(text: str, rel: str, errors: ErrorList) -> tuple[str, str, int] | None:
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
                  errors: ErrorList) -> tuple[ManualVersionSpec | None, _Published | None]:
    """One manual/NNN.md; its publication time is returned even when the rest is invalid."""
    rel = f"manual/{number:03d}.md"
    text = _read_text(root, rel, errors, limit=MAX_MANUAL_FILE_BYTES)
    parts = _split_front_matter(text, rel, errors) if text is not None else None
    if parts is None:
        return None, None
    front, raw_body, body_line = parts
    doc = YamlMapping(rel, 2)
    if not parse_mapping(front, doc, VERSION_KEYS, errors):
        return None, None
    version = whole_number(doc, "version", errors)
    if version is None and "version" not in doc.nodes:
        errors.add(rel, 1, "version is required")
    elif version is not None and version != number:
        errors.add(rel, doc.at("version"),
                   f"{OUT_OF_ORDER}: version {version} does not match the file name {rel}")
    published = _published_at(doc, errors)
    changelog = markdown_value(doc, "changelog", errors)
    if number >= 2 and not changelog:
        errors.add(rel, doc.at("changelog"),
                   "changelog is required from version 2 on: say what changed")
    body = normalise_markdown(raw_body)
    renderable = False
    if body:
        first_line = body_line + leading_blank_lines(raw_body).count("\n")
        renderable = _check_body(body, rel, first_line, present_media, errors)
    else:
        errors.add(rel, body_line - 1, "the manual text after the front matter is empty")
    material = _material(doc, number, body if body and renderable else "", errors)
    if published is None:
        return None, None
    spec = ManualVersionSpec(number, published.moment, changelog, material, body)
    return spec, _Published(number, published.moment, published.line)


def _published_at(doc: YamlMapping, errors: ErrorList) -> _Published | None:
    """An aware time, in UTC: a time without a timezone would be ambiguous across sites."""
    node = doc.nodes.get("published_at")
    if is_null(node):
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


def _material(doc: YamlMapping, number: int, body: str, errors: ErrorList) -> tuple[str, ...]:
    """Ids of the sections that changed materially, each a section of this version's body."""
    node = doc.nodes.get("material")
    if is_null(node):
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
                errors: ErrorList) -> bool:
    """Size and structure limits, then unsafe HTML and broken media references, at the lines
    of the file; False when the body is too large to look into (or to render) at all."""
    size = size_problem(body)
    if size:
        errors.add(rel, 1, f"the manual text {size}")
        return False
    limits = structure_problems(body)
    for line, message in limits:
        errors.add(rel, first_line + line - 1, message)
    if limits:
        return False
    report_unsafe_html(body, rel, lambda n: first_line + n - 1, errors)
    for line, target in media_references(body):
        problem = media_path_problem(target)
        if problem:
            errors.add(rel, first_line + line - 1, problem)
        elif target not in present_media:
            errors.add(rel, first_line + line - 1, f'media file "{target}" does not exist')
    return True


# The whole bundle.


def read_bundle(root: Path) -> Bundle:
    """Read and validate a bundle folder; raise SourceInvalid listing every problem."""
    root = Path(root)
    errors = ErrorList()
    if not root.is_dir():
        problem = "is not a folder" if root.exists() else "does not exist"
        raise SourceInvalid([SourceError(".", 1, f"bundle folder {root} {problem}")])
    media, present = _read_media(root, errors)
    versions = _read_manual(root, present, errors)
    course = _read_course(root, errors, _latest_sections(versions, errors))
    items = _read_text(root, "items.jsonl", errors, "file is missing (an empty file is fine)")
    if items is not None:
        items = normalise_items(items)
        _check_items(items, media, versions, errors)
    if errors or course is None or items is None:
        raise SourceInvalid(errors)
    return Bundle(course, versions, media, items)


def _latest_sections(versions: tuple[ManualVersionSpec, ...],
                     errors: ErrorList) -> set[str] | None:
    """The section ids of the latest manual version; None when a manual file has errors.

    Then sections are not checked: the latest version may be the one that could not be read,
    and naming its sections unknown would only add confusion.
    """
    if any(error.file.startswith("manual/") for error in errors):
        return None
    return {s.id for s in render_manual(versions[-1].markdown).sections} if versions else set()


def _check_items(text: str, media: dict[str, bytes], versions: tuple[ManualVersionSpec, ...],
                 errors: ErrorList) -> None:
    """Every gold item checked: its media in media/ (a clip's strip the size of its frames),
    its sections in the latest manual."""
    sections = _latest_sections(versions, errors)
    try:
        items = load_items(text, media=set(media), sections=sections)
    except SourceInvalid as invalid:
        for error in invalid.errors:
            errors.add(error.file, error.line, error.message)
        return
    for (line, _), item in zip(item_lines(text), items, strict=True):
        problem = media_problem(item, media.get(item["media"]))
        if problem:
            errors.add("items.jsonl", line, f'item "{item["id"]}": media "{item["media"]}": '
                                            f"{problem}")
