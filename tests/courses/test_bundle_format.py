"""Reading, validating and writing course bundle folders (pure: no app, no database)."""

from __future__ import annotations

import dataclasses
import os
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from courses.bundles import (
    MAX_MEDIA_BYTES,
    Bundle,
    CourseSpec,
    ManualVersionSpec,
    bundle_files,
    normalise_line,
    normalise_markdown,
    read_bundle,
    write_bundle,
)
from courses.errors import SourceError, SourceInvalid
from courses.html_safety import find_unsafe_html

COURSE_YAML = """\
slug: clothing-tagging
title: Tagging clothing in photos
code_name: Glue Swimsuit
description: |
  Learn what counts as **clothing**.

  Takes about an hour and a half.
qualifies_for: Paid clothing-tagging projects
estimated_minutes: 90
dropout_window_days: 7
status: open
"""

VERSION_1 = """\
---
version: 1
published_at: 2026-10-01T09:00:00+02:00
---
# Tagging clothing

Label real wearable items.

![A dressed mannequin](media/mannequin.png)
"""

VERSION_2 = """\
---
version: 2
published_at: 2026-11-02T09:00:00Z
changelog: |
  Clarified that a photo of clothing is clothing.
material:
  - photos-of-clothing
---
# Tagging clothing

Label real wearable items.

![A dressed mannequin](media/mannequin.png)

## Photos of clothing

A photo of clothing *is* clothing. See [the examples](media/examples/photos.pdf).
"""

PNG = b"\x89PNG\r\n\x1a\n fake image"
PDF = b"%PDF-1.7 fake document"

FILES: dict[str, str | bytes] = {
    "course.yaml": COURSE_YAML,
    "manual/001.md": VERSION_1,
    "manual/002.md": VERSION_2,
    "media/mannequin.png": PNG,
    "media/examples/photos.pdf": PDF,
    "items.jsonl": "",
}


def make_bundle(root: Path, changes: dict[str, str | bytes | None] | None = None) -> Path:
    """The example bundle under root, with files replaced (or removed when None)."""
    files = {**FILES, **(changes or {})}
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        if content is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def errors_of(root: Path) -> list[str]:
    with pytest.raises(SourceInvalid) as caught:
        read_bundle(root)
    assert str(caught.value) == "\n".join(str(e) for e in caught.value.errors)
    return [str(error) for error in caught.value.errors]


def errors_with(tmp_path: Path, changes: dict[str, str | bytes | None]) -> list[str]:
    return errors_of(make_bundle(tmp_path / "bundle", changes))


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file and folder under root, by relative path."""
    return {
        path.relative_to(root).as_posix(): b"<dir>" if path.is_dir() else path.read_bytes()
        for path in sorted(root.rglob("*"))
    }


EXPECTED = Bundle(
    course=CourseSpec(
        slug="clothing-tagging",
        title="Tagging clothing in photos",
        code_name="Glue Swimsuit",
        description="Learn what counts as **clothing**.\n\nTakes about an hour and a half.",
        qualifies_for="Paid clothing-tagging projects",
        estimated_minutes=90,
        status="open",
    ),
    versions=(
        ManualVersionSpec(
            number=1,
            published_at=datetime(2026, 10, 1, 7, 0, tzinfo=UTC),
            changelog="",
            material=(),
            markdown=VERSION_1.split("---\n")[2].rstrip("\n"),
        ),
        ManualVersionSpec(
            number=2,
            published_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
            changelog="Clarified that a photo of clothing is clothing.",
            material=("photos-of-clothing",),
            markdown=VERSION_2.split("---\n")[2].rstrip("\n"),
        ),
    ),
    media={"media/examples/photos.pdf": PDF, "media/mannequin.png": PNG},
    items_jsonl="",
)


# Reading a valid bundle.


def test_reads_a_full_bundle(tmp_path: Path) -> None:
    bundle = read_bundle(make_bundle(tmp_path))
    assert bundle == EXPECTED
    assert list(bundle.media) == sorted(bundle.media)
    assert bundle.versions[0].published_at.tzinfo is UTC


def test_crlf_line_endings_and_a_bom_read_the_same(tmp_path: Path) -> None:
    def windows(text: str) -> bytes:
        return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()

    root = make_bundle(tmp_path, {rel: windows(text) for rel, text in FILES.items()
                                  if isinstance(text, str)})
    assert read_bundle(root) == EXPECTED


def test_optional_keys_take_their_defaults(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"course.yaml": "slug: ab\ntitle: A course\n"})
    assert read_bundle(root).course == CourseSpec("ab", "A course", None, "", "", None, "draft")


def test_text_values_are_read_as_written_and_nulls_mean_none(tmp_path: Path) -> None:
    course = "slug: ab\ntitle: 1984\ncode_name: ~\nqualifies_for: yes\nestimated_minutes: null\n"
    root = make_bundle(tmp_path, {"course.yaml": course})
    spec = read_bundle(root).course
    assert (spec.title, spec.code_name, spec.qualifies_for) == ("1984", None, "yes")
    assert spec.estimated_minutes is None


def test_an_empty_code_name_means_none(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"course.yaml": 'slug: ab\ntitle: T\ncode_name: "  "\n'})
    assert read_bundle(root).course.code_name is None


def test_published_at_accepts_offsets_quotes_and_microseconds(tmp_path: Path) -> None:
    version = VERSION_1.replace("2026-10-01T09:00:00+02:00", '"2026-10-01T09:00:00.250-01:30"')
    root = make_bundle(tmp_path, {"manual/001.md": version})
    assert read_bundle(root).versions[0].published_at == datetime(
        2026, 10, 1, 10, 30, 0, 250000, tzinfo=UTC
    )


def test_equal_publication_times_are_allowed(tmp_path: Path) -> None:
    version = VERSION_2.replace("2026-11-02T09:00:00Z", "2026-10-01T07:00:00Z")
    assert read_bundle(make_bundle(tmp_path, {"manual/002.md": version}))


def test_markdown_is_normalised(tmp_path: Path) -> None:
    version = VERSION_1.replace("---\n# Tagging", "---\n\n  \t\n# Tagging") + "  \n\n\n"
    version = version.replace("Label real wearable items.", "Hard break  \nnext")
    bundle = read_bundle(make_bundle(tmp_path, {"manual/001.md": version}))
    assert bundle.versions[0].markdown == (
        "# Tagging clothing\n\nHard break  \nnext\n\n![A dressed mannequin](media/mannequin.png)"
    )


ITEM = ('{"id": "q1", "kind": "choice", "prompt": "Tag it?", "media": "media/mannequin.png", '
        '"spec": {"options": ["yes", "no"]}, "gold": "yes", "sections": ["photos-of-clothing"], '
        '"pools": ["practice"]}')


def test_items_jsonl_is_kept_with_one_final_newline(tmp_path: Path) -> None:
    second = ITEM.replace('"q1"', '"q2"')
    root = make_bundle(tmp_path, {"items.jsonl": f"{ITEM}\r\n{second}\n\n\n"})
    assert read_bundle(root).items_jsonl == f"{ITEM}\n{second}\n"


def test_items_are_checked_against_the_media_and_the_latest_manual(tmp_path: Path) -> None:
    broken = (ITEM.replace('"q1"', '"q2"').replace("media/mannequin.png", "media/gone.png")
              .replace('["photos-of-clothing"]', '["tagging-clothing", "shoes"]'))
    assert errors_with(tmp_path, {"items.jsonl": f"{ITEM}\n\n{broken}\nnot json\n"}) == [
        'items.jsonl:3: media: "media/gone.png" is not a file in media/',
        'items.jsonl:3: sections[1]: "shoes" is not a section of the manual',
        "items.jsonl:4: not valid JSON: Expecting value (column 1)",
    ]


def test_item_sections_wait_for_a_readable_manual(tmp_path: Path) -> None:
    errors = errors_with(tmp_path, {
        "manual/002.md": VERSION_2.replace("version: 2", "version: two"),
        "items.jsonl": ITEM.replace('"yes", "sections"', '"maybe", "sections"') + "\n"})
    assert [e for e in errors if e.startswith("items.jsonl")] == [
        "items.jsonl:1: gold: unknown option 'maybe' (allowed: 'yes', 'no')"]


def test_blank_items_jsonl_is_empty(tmp_path: Path) -> None:
    assert read_bundle(make_bundle(tmp_path, {"items.jsonl": "\n \n"})).items_jsonl == ""


def test_a_course_without_versions_or_media_folder_is_valid(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"manual/001.md": None, "manual/002.md": None,
                                  "media/mannequin.png": None, "media/examples/photos.pdf": None})
    (root / "manual").mkdir(exist_ok=True)
    assert not (root / "media").exists()
    bundle = read_bundle(root)
    assert (bundle.versions, bundle.media) == ((), {})


def test_hidden_files_and_unreferenced_media_are_fine(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"media/.DS_Store": b"junk", "manual/.gitkeep": "",
                                  "media/unused.mp3": b"ID3"})
    bundle = read_bundle(root)
    assert sorted(bundle.media) == [
        "media/examples/photos.pdf", "media/mannequin.png", "media/unused.mp3"
    ]


def test_media_references_of_every_kind_are_found(tmp_path: Path) -> None:
    body = (
        '<img src="media/a.gif" alt="">\n\n'
        'A <a href="media/b.txt">text</a> and ![c](<media/with space.webp>) and\n'
        "[d](media/d%C3%A9.json#part) and [e][ref].\n\n"
        "| x | y |\n|---|---|\n| ![f](media/f.jpeg) | z |\n\n"
        "[ref]: media/e.mp4?start=3\n"
    )
    names = ["a.gif", "b.txt", "with space.webp", "dé.json", "e.mp4", "f.jpeg"]
    changes: dict[str, str | bytes | None] = {f"media/{n}": b"x" for n in names}
    changes["manual/001.md"] = VERSION_1 + "\n" + body
    assert len(read_bundle(make_bundle(tmp_path, changes)).media) == 8


def test_references_in_code_are_not_media_references(tmp_path: Path) -> None:
    body = "\n```\n![x](media/in-a-fence.png)\n```\n\nUse `![x](media/in-code.png)`.\n"
    assert read_bundle(make_bundle(tmp_path, {"manual/001.md": VERSION_1 + body}))


# Writing.


def test_writes_the_canonical_form(tmp_path: Path) -> None:
    write_bundle(EXPECTED, tmp_path / "out")
    files = snapshot(tmp_path / "out")
    assert list(files) == [
        "course.yaml", "items.jsonl", "manual", "manual/001.md", "manual/002.md", "media",
        "media/examples", "media/examples/photos.pdf", "media/mannequin.png",
    ]
    assert files["course.yaml"].decode() == COURSE_YAML
    assert files["manual/002.md"].decode() == VERSION_2.replace(
        "changelog: |\n  Clarified that a photo of clothing is clothing.",
        "changelog: Clarified that a photo of clothing is clothing.",
    )
    assert files["manual/001.md"].decode() == VERSION_1.replace(
        "09:00:00+02:00", "07:00:00Z"
    )
    assert files["items.jsonl"] == b""


def test_write_read_write_is_byte_identical(tmp_path: Path) -> None:
    bundle = read_bundle(make_bundle(tmp_path / "in"))
    write_bundle(bundle, tmp_path / "a")
    again = read_bundle(tmp_path / "a")
    assert again == bundle
    write_bundle(again, tmp_path / "b")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_writes_null_code_name_and_minutes_and_empty_texts(tmp_path: Path) -> None:
    course = CourseSpec("ab", "A", None, "", "", None, "draft")
    write_bundle(Bundle(course, (), {}, ""), tmp_path / "out")
    assert (tmp_path / "out/course.yaml").read_text() == (
        'slug: ab\ntitle: A\ncode_name: null\ndescription: ""\nqualifies_for: ""\n'
        "estimated_minutes: null\ndropout_window_days: 7\nstatus: draft\n"
    )


def test_writes_microseconds_only_when_there_are_some(tmp_path: Path) -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    bundle = dataclasses.replace(EXPECTED, versions=(
        dataclasses.replace(EXPECTED.versions[0], published_at=moment),))
    text = bundle_files(bundle)["manual/001.md"].decode()
    assert "published_at: 2026-01-02T03:04:05.000006Z\n" in text


def test_write_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("x")
    with pytest.raises(FileExistsError):
        write_bundle(EXPECTED, tmp_path / "out")


def test_write_accepts_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    write_bundle(EXPECTED, tmp_path / "out")
    assert read_bundle(tmp_path / "out") == EXPECTED


@pytest.mark.parametrize("path", ["media/../escape.png", "/etc/passwd", "media\\x.png",
                                  "manual/001.md", "media/a//b.png", "course.yaml"])
def test_write_refuses_unsafe_media_paths(tmp_path: Path, path: str) -> None:
    bundle = dataclasses.replace(EXPECTED, media={path: b"x"})
    with pytest.raises(ValueError, match="media path"):
        write_bundle(bundle, tmp_path / "out")
    assert not (tmp_path / "escape.png").exists()


def test_write_refuses_naive_times_and_misnumbered_versions(tmp_path: Path) -> None:
    naive = dataclasses.replace(EXPECTED.versions[0], published_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="no timezone"):
        bundle_files(dataclasses.replace(EXPECTED, versions=(naive,)))
    with pytest.raises(ValueError, match="numbered"):
        bundle_files(dataclasses.replace(EXPECTED, versions=EXPECTED.versions[1:]))


TRICKY_LINES = [
    "yes", "No", "on", "OFF", "y", "n", "true", "null", "Null", "~", "1.0", "1e3", "0x1F",
    "0o17", "012", "123", "-1", "+1", ".5", ".inf", "-.inf", ".nan", "2026-01-01",
    "2026-01-01T00:00:00Z", "12:30", "1_000", "a: b", "a:b", "key:", "a #b", "#x", "a# b",
    "- item", "-", "--- x", "---", "...", "? q", ": x", "'quoted'", '"double"', "it's",
    'say "hi"', "back\\slash", "tab\tinside", "ünïcødé 東京 😀", "\x07bell", "nul\x00",
    "del\x7f", "line\u2028sep", "para\u2029sep", "next\x85line", "zero\u200bwidth",
    "bom\ufeffinside", "\ufffe", "@at", "`tick", "%pct", "!bang", "!!str x", "&anchor",
    "*alias", "[x]", "{y: 1}", ">fold", "|pipe", ", comma", "=", "<<", "a  b", "!",
    "\ud83d", "\\n", "é", "x" * 200,
]


@pytest.mark.parametrize("value", TRICKY_LINES)
def test_tricky_one_line_values_round_trip(tmp_path: Path, value: str) -> None:
    course = dataclasses.replace(EXPECTED.course, title=value[:200], code_name=value[:100],
                                 qualifies_for=value)
    version = dataclasses.replace(EXPECTED.versions[1], changelog=value)
    assert_round_trips(tmp_path, dataclasses.replace(
        EXPECTED, course=course, versions=(EXPECTED.versions[0], version)))


TRICKY_TEXTS = [
    "line one\n\n  indented two\n\ttabbed",
    "    an indented code block first\nthen text",
    " one leading space",
    "\tleading tab\nsecond",
    "trailing spaces  \nmake a hard break",
    "a\n   \nwhitespace-only line",
    "a\n\t\nb",
    "# not a comment\n---\n...\n--- x",
    "key: value\n- list item\n? question",
    "ends with a quote'\n\"",
    "uses \\ backslashes \\n",
    "ünïcødé\n東京\n😀",
    "separator\u2028inside\nand more",
    "control \x07 character\nline",
    "next\x85line\nend",
    "bom\ufeff\nsecond",
    "|\n>",
    "many\n\n\n\nblank lines",
    "`code`\n\n```\nfenced\n```",
]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_tricky_markdown_round_trips(tmp_path: Path, text: str) -> None:
    course = dataclasses.replace(EXPECTED.course, description=text)
    version = dataclasses.replace(EXPECTED.versions[1], changelog=text,
                                  markdown=text + "\n\n# Photos of clothing\n\nSee this.")
    assert_round_trips(tmp_path, dataclasses.replace(
        EXPECTED, course=course, versions=(EXPECTED.versions[0], version)))


def normalised(bundle: Bundle) -> Bundle:
    """What a bundle reads back as once written."""
    course = bundle.course
    course = dataclasses.replace(
        course, title=normalise_line(course.title),
        code_name=normalise_line(course.code_name or "") or None,
        qualifies_for=normalise_line(course.qualifies_for),
        description=normalise_markdown(course.description),
    )
    versions = tuple(
        dataclasses.replace(v, changelog=normalise_markdown(v.changelog),
                            markdown=normalise_markdown(v.markdown))
        for v in bundle.versions
    )
    return dataclasses.replace(bundle, course=course, versions=versions)


def assert_round_trips(tmp_path: Path, bundle: Bundle) -> None:
    write_bundle(bundle, tmp_path / "a")
    for path in (tmp_path / "a").rglob("*.*"):
        if path.suffix in (".md", ".yaml"):
            text = path.read_text(encoding="utf-8")
            assert text.endswith("\n") and not text.endswith("\n\n")
    again = read_bundle(tmp_path / "a")
    assert again == normalised(bundle)
    write_bundle(again, tmp_path / "b")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


ALPHABET = (
    "abcXYZ019 \t\n\r-:#'\"\\|>!&*%@`?,[]{}~=.+_/;()"
    "\x00\x07\x1b\x7f\x85\xa0\u2028\u2029\ufeff\u200béü東😀"
)


def random_text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(length))


@pytest.mark.parametrize("seed", range(40))
def test_random_strings_round_trip(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets

    def line(limit: int) -> str:
        return "T" + random_text(rng, rng.randrange(limit)).replace("\n", " ").replace("\r", " ")

    def markdown() -> str:
        return random_text(rng, rng.randrange(300)).replace("<", "").replace("](", ")(")

    course = dataclasses.replace(EXPECTED.course, title=line(150), code_name=line(90),
                                 qualifies_for=line(250), description=markdown())
    version = dataclasses.replace(
        EXPECTED.versions[1], changelog="C" + markdown(), material=(),
        markdown="# Title\n\n" + markdown(),
    )
    bundle = dataclasses.replace(EXPECTED, course=course,
                                 versions=(EXPECTED.versions[0], version))
    assert_round_trips(tmp_path, bundle)


# Whole-bundle errors.


def test_missing_files_are_all_reported(tmp_path: Path) -> None:
    root = tmp_path / "bundle"
    root.mkdir()
    assert errors_of(root) == [
        "course.yaml:1: file is missing",
        "items.jsonl:1: file is missing (an empty file is fine)",
        "manual/:1: folder is missing",
    ]


def test_a_missing_bundle_folder(tmp_path: Path) -> None:
    [error] = errors_of(tmp_path / "nowhere")
    assert error.startswith(".:1: bundle folder ") and error.endswith(" does not exist")


def test_files_that_are_folders(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"items.jsonl": None})
    (root / "items.jsonl").mkdir()
    assert errors_of(root) == ["items.jsonl:1: must be a regular file (not a folder or a link)"]


def test_errors_are_collected_and_sorted(tmp_path: Path) -> None:
    errors = errors_with(tmp_path, {
        "course.yaml": COURSE_YAML.replace("status: open", "status: closed").replace(
            "slug: clothing-tagging", "slug: Clothing"),
        "manual/002.md": VERSION_2.replace("version: 2", "version: 3"),
        "media/logo.svg": b"<svg/>",
    })
    assert errors == [
        'course.yaml:1: slug "Clothing" must be 2 to 64 lowercase letters, digits and dashes, '
        "starting with a letter or digit",
        'course.yaml:11: status "closed" must be one of: draft, open, archived',
        "manual/002.md:2: a manual version out of order: version 3 does not match the file "
        "name manual/002.md",
        "media/logo.svg:1: SVG files are not allowed (they can contain scripts); allowed "
        "types: bin, gif, jpeg, jpg, json, mp3, mp4, pcd, pdf, png, txt, webm, webp",
    ]


def test_a_source_error_formats_as_file_line_message() -> None:
    error = SourceError("manual/002.md", 14, 'media file "media/x.png" does not exist')
    assert str(error) == 'manual/002.md:14: media file "media/x.png" does not exist'
    invalid = SourceInvalid([SourceError("b", 2, "two"), SourceError("a", 9, "nine"),
                             SourceError("b", 1, "one"), SourceError("b", 1, "one")])
    assert str(invalid) == "a:9: nine\nb:1: one\nb:2: two"


def test_not_utf8(tmp_path: Path) -> None:
    course = COURSE_YAML.encode().replace(b"Glue", b"Gl\xfce")
    assert errors_with(tmp_path, {"course.yaml": course}) == [
        "course.yaml:3: is not UTF-8 text (byte 0xfc)"
    ]


# course.yaml errors.


def course_errors(tmp_path: Path, text: str) -> list[str]:
    return errors_with(tmp_path, {"course.yaml": text})


def test_bad_yaml_reports_the_parser_line(tmp_path: Path) -> None:
    text = COURSE_YAML.replace("code_name: Glue Swimsuit", "code_name: Glue: Swimsuit")
    assert course_errors(tmp_path, text) == [
        "course.yaml:3: could not parse YAML: mapping values are not allowed here"
    ]


def test_unparsable_characters(tmp_path: Path) -> None:
    text = COURSE_YAML.replace("Glue", "Gl\x07ue")
    assert course_errors(tmp_path, text) == [
        "course.yaml:3: could not parse YAML: character U+0007 is not allowed"
    ]


def test_empty_course_yaml(tmp_path: Path) -> None:
    assert course_errors(tmp_path, "") == [
        "course.yaml:1: slug is required", "course.yaml:1: title is required"
    ]


def test_course_yaml_must_be_a_mapping(tmp_path: Path) -> None:
    assert course_errors(tmp_path, "- slug\n- title\n") == [
        'course.yaml:1: must be YAML keys and values, like "slug: ..."'
    ]


def test_unknown_and_duplicate_keys(tmp_path: Path) -> None:
    text = COURSE_YAML + "titel: Typo\ncolour: red\nslug: again\n"
    keys = ("slug, title, code_name, description, qualifies_for, estimated_minutes, "
            "dropout_window_days, status, exam")
    assert course_errors(tmp_path, text) == [
        f'course.yaml:12: unknown key "titel"; did you mean "title"? allowed keys: {keys}',
        f'course.yaml:13: unknown key "colour"; allowed keys: {keys}',
        'course.yaml:14: key "slug" appears twice',
    ]


@pytest.mark.parametrize(("line", "replacement", "error"), [
    ("slug: clothing-tagging", "slug: x", 'slug "x" must be 2 to 64'),
    ("slug: clothing-tagging", "slug: -tagging", 'slug "-tagging" must be 2 to 64'),
    ("slug: clothing-tagging", "slug: " + "a" * 65, "must be 2 to 64"),
    ("slug: clothing-tagging", "slug: [a, b]", "slug must be text, not a list or mapping"),
    ("title: Tagging clothing in photos", "title: null", "title is required"),
    ("title: Tagging clothing in photos", 'title: "  "', "title is required"),
    ("title: Tagging clothing in photos", "title: " + "t" * 201,
     "title is 201 characters long; the limit is 200"),
    ("title: Tagging clothing in photos", "title: |\n  two\n  lines",
     "title must be a single line"),
    ("code_name: Glue Swimsuit", "code_name: " + "c" * 101,
     "code_name is 101 characters long; the limit is 100"),
    ("qualifies_for: Paid clothing-tagging projects", "qualifies_for: " + "q" * 301,
     "qualifies_for is 301 characters long; the limit is 300"),
    ("estimated_minutes: 90", "estimated_minutes: 0", "estimated_minutes must be between 1"),
    ("estimated_minutes: 90", "estimated_minutes: 10001", "must be between 1 and 10000"),
    ("estimated_minutes: 90", "estimated_minutes: -5", "must be a whole number, like 90"),
    ("estimated_minutes: 90", "estimated_minutes: 1.5", "must be a whole number, like 90"),
    ("estimated_minutes: 90", 'estimated_minutes: "90"', "must be a whole number, like 90"),
    ("estimated_minutes: 90", "estimated_minutes: ninety", "must be a whole number, like 90"),
    ("estimated_minutes: 90", "estimated_minutes: 010", "must be a whole number, like 90"),
    ("dropout_window_days: 7", "dropout_window_days: 0", "must be between 1 and 90 (days)"),
    ("dropout_window_days: 7", "dropout_window_days: 91", "must be between 1 and 90 (days)"),
    ("dropout_window_days: 7", "dropout_window_days: 1.5", "must be a whole number, like 90"),
    ("dropout_window_days: 7", 'dropout_window_days: "7"', "must be a whole number, like 90"),
    ("status: open", "status: published", 'status "published" must be one of'),
])
def test_course_value_errors(tmp_path: Path, line: str, replacement: str, error: str) -> None:
    text = COURSE_YAML.replace(line, replacement)
    number = text.split("\n").index(replacement.split("\n")[0]) + 1
    [found] = course_errors(tmp_path, text)
    assert found.startswith(f"course.yaml:{number}: ")
    assert error in found


def test_unsafe_html_in_a_block_description_is_reported_at_its_line(tmp_path: Path) -> None:
    text = COURSE_YAML.replace("  Takes about", "\n  <script>alert(1)</script>\n  Takes about")
    [finding] = find_unsafe_html("<script>alert(1)</script>")
    assert course_errors(tmp_path, text) == [f"course.yaml:8: {finding.message}"]


def test_unsafe_html_in_a_quoted_description_is_reported_at_its_key(tmp_path: Path) -> None:
    quoted = 'description: "a\\n[x](javascript:alert(1))"'
    text = COURSE_YAML.replace("slug: clothing-tagging", f"slug: clothing-tagging\n{quoted}")
    text = text.replace("description: |\n  Learn what counts as **clothing**.\n\n"
                        "  Takes about an hour and a half.\n", "")
    [finding] = find_unsafe_html("[x](javascript:alert(1))")
    assert course_errors(tmp_path, text) == [f"course.yaml:2: {finding.message}"]


# Manual files: names and order.


def manual_errors(tmp_path: Path, changes: dict[str, str | bytes | None]) -> list[str]:
    return errors_with(tmp_path, changes)


def v3(number: int = 3, published: str = "2026-12-01T00:00:00Z") -> str:
    return VERSION_2.replace("version: 2", f"version: {number}").replace(
        "2026-11-02T09:00:00Z", published)


def test_a_gap_in_versions(tmp_path: Path) -> None:
    assert manual_errors(tmp_path, {"manual/002.md": None, "manual/003.md": v3()}) == [
        "manual/003.md:1: a manual version out of order: expected 002.md before 003.md; "
        "versions are numbered from 001 without gaps",
    ]


def test_misnamed_and_duplicate_manual_files(tmp_path: Path) -> None:
    errors = manual_errors(tmp_path, {"manual/intro.md": "x", "manual/0001.md": VERSION_1,
                                      "manual/3.md": v3(), "manual/0003.md": v3()})
    assert errors == [
        "manual/0001.md:1: a manual version out of order: 0001.md duplicates 001.md",
        "manual/0003.md:1: a manual version out of order: 0003.md must be named 003.md",
        "manual/3.md:1: a manual version out of order: manual files must be named "
        "001.md, 002.md, ...",
        "manual/intro.md:1: a manual version out of order: manual files must be named "
        "001.md, 002.md, ...",
    ]


def test_version_must_match_the_file_name(tmp_path: Path) -> None:
    assert manual_errors(tmp_path, {"manual/001.md": VERSION_1.replace(
        "version: 1", "version: 2")}) == [
        "manual/001.md:2: a manual version out of order: version 2 does not match the file "
        "name manual/001.md",
    ]


def test_a_folder_in_manual(tmp_path: Path) -> None:
    root = make_bundle(tmp_path)
    (root / "manual" / "003.md").mkdir()
    assert errors_of(root) == ["manual/003.md:1: must be a regular file (not a folder or a link)"]


def test_version_numbers_beyond_999(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"manual/001.md": None, "manual/002.md": None,
                                  "manual/1000.md": v3(1000)})
    assert errors_of(root) == [
        "manual/1000.md:1: a manual version out of order: expected 001.md before 1000.md; "
        "versions are numbered from 001 without gaps",
    ]


# Manual files: front matter.


def version_errors(tmp_path: Path, text: str, rel: str = "manual/002.md") -> list[str]:
    return errors_with(tmp_path, {rel: text})


def test_front_matter_is_required(tmp_path: Path) -> None:
    assert version_errors(tmp_path, "# Just a manual\n") == [
        'manual/002.md:1: must start with YAML front matter: a line "---", then '
        '"version: ...", then a closing "---"'
    ]


def test_front_matter_must_be_closed(tmp_path: Path) -> None:
    assert version_errors(tmp_path, "---\nversion: 2\n# Manual\n") == [
        'manual/002.md:1: the front matter is not closed by a line "---"'
    ]


def test_bad_front_matter_yaml_reports_the_file_line(tmp_path: Path) -> None:
    text = VERSION_2.replace("published_at: 2026", "published_at: [2026")
    assert version_errors(tmp_path, text) == [
        "manual/002.md:4: could not parse YAML: expected ',' or ']', but got ':'"
    ]


def test_required_front_matter_keys(tmp_path: Path) -> None:
    assert version_errors(tmp_path, "---\n---\n# Manual\n") == [
        "manual/002.md:1: version is required",
        "manual/002.md:1: published_at is required",
        "manual/002.md:1: changelog is required from version 2 on: say what changed",
    ]


def test_unknown_front_matter_key(tmp_path: Path) -> None:
    text = VERSION_2.replace("material:", "changelgo: oops\nmaterial:")
    assert version_errors(tmp_path, text) == [
        'manual/002.md:6: unknown key "changelgo"; did you mean "changelog"? allowed keys: '
        "version, published_at, changelog, material"
    ]


@pytest.mark.parametrize("value", ["2026-11-02T09:00:00", "2026-11-02", "yesterday",
                                   '"2026-13-01T00:00:00Z"', "1700000000", "[2026]"])
def test_published_at_needs_a_timezone_and_a_valid_date(tmp_path: Path, value: str) -> None:
    text = VERSION_2.replace("2026-11-02T09:00:00Z", value)
    assert version_errors(tmp_path, text) == [
        "manual/002.md:3: published_at must be an ISO 8601 date and time with a timezone, "
        "like 2026-11-02T09:00:00Z"
    ]


def test_published_at_must_not_go_backwards(tmp_path: Path) -> None:
    text = VERSION_2.replace("2026-11-02T09:00:00Z", "2026-10-01T07:59:59+01:00")
    assert version_errors(tmp_path, text) == [
        "manual/002.md:3: published_at 2026-10-01T06:59:59Z is earlier than version 1's "
        "(2026-10-01T07:00:00Z)"
    ]


def test_changelog_must_not_be_empty_from_version_2(tmp_path: Path) -> None:
    text = VERSION_2.replace("changelog: |\n  Clarified that a photo of clothing is clothing.",
                             'changelog: "  "')
    assert version_errors(tmp_path, text) == [
        "manual/002.md:4: changelog is required from version 2 on: say what changed"
    ]


def test_version_1_changelog_is_optional_but_kept(tmp_path: Path) -> None:
    text = VERSION_1.replace("version: 1", "version: 1\nchangelog: First release.")
    bundle = read_bundle(make_bundle(tmp_path, {"manual/001.md": text}))
    assert bundle.versions[0].changelog == "First release."


def test_unsafe_changelog_is_reported_at_its_line(tmp_path: Path) -> None:
    text = VERSION_2.replace("  Clarified", "  Clarified.\n  <iframe src=x></iframe>\n  More")
    [finding] = find_unsafe_html("<iframe src=x></iframe>")
    assert version_errors(tmp_path, text) == [f"manual/002.md:6: {finding.message}"]


def test_version_1_lists_no_material_sections(tmp_path: Path) -> None:
    text = VERSION_1.replace("version: 1", "version: 1\nmaterial:\n  - tagging-clothing")
    assert version_errors(tmp_path, text, "manual/001.md") == [
        "manual/001.md:3: version 1 cannot list material changes: there is no earlier version"
    ]


def test_material_sections_must_exist_in_this_version(tmp_path: Path) -> None:
    text = VERSION_2.replace("  - photos-of-clothing",
                             "  - photos-of-clothing\n  - mirrors\n  - photos-of-clothing\n  - [x]")
    assert version_errors(tmp_path, text) == [
        'manual/002.md:8: material section "mirrors" is not a section of this version '
        "(its sections: photos-of-clothing, tagging-clothing)",
        'manual/002.md:9: material section "photos-of-clothing" is listed twice',
        "manual/002.md:10: material must list section ids as text",
    ]


def test_material_must_be_a_list(tmp_path: Path) -> None:
    text = VERSION_2.replace("material:\n  - photos-of-clothing", "material: photos-of-clothing")
    assert version_errors(tmp_path, text) == [
        "manual/002.md:6: material must be a list of section ids"
    ]


def test_the_body_must_not_be_empty(tmp_path: Path) -> None:
    text = VERSION_2.split("---\n# Tagging")[0] + "---\n\n   \n"
    assert version_errors(tmp_path, text) == [
        "manual/002.md:8: the manual text after the front matter is empty",
    ]


def test_unsafe_html_in_the_body_is_reported_at_the_file_line(tmp_path: Path) -> None:
    text = VERSION_2.replace("---\n# Tagging", "---\n\n\n# Tagging") + (
        '\n<script>alert(1)</script>\n\nClick <a href="javascript:alert(1)">here</a>,\n'
        '<b onclick="x()">now</b>.\n'
    )
    expected = [f"manual/002.md:{line}: {finding.message}" for line, finding in zip(
        (21, 23, 24),
        find_unsafe_html('<script>x</script>\n\n<a href="javascript:alert(1)">\n'
                         '<b onclick="x()">'), strict=True)]
    assert version_errors(tmp_path, text) == expected


# Media.


def test_a_missing_media_file_is_reported_at_its_reference(tmp_path: Path) -> None:
    text = VERSION_2 + (
        "\nSee ![a mannequin](media/mannequin-2.png) and\n"
        'the <img alt="x"\n  src="media/raw.png"> and [doc](media/doc.pdf).\n\n'
        '<video poster="media/poster.jpg">\n<source src="media/clip.mp4">\n</video>\n'
    )
    assert version_errors(tmp_path, text) == [
        'manual/002.md:19: media file "media/mannequin-2.png" does not exist',
        'manual/002.md:20: media file "media/raw.png" does not exist',
        'manual/002.md:21: media file "media/doc.pdf" does not exist',
        'manual/002.md:23: media file "media/poster.jpg" does not exist',
        'manual/002.md:24: media file "media/clip.mp4" does not exist',
    ]


def test_media_references_must_stay_inside_media(tmp_path: Path) -> None:
    text = VERSION_2 + (
        "\n![a](media/../course.yaml)\n![b](/media/mannequin.png)\n"
        "![c](media/./mannequin.png)\n![d](media\\mannequin.png)\n"
    )
    assert version_errors(tmp_path, text) == [
        'manual/002.md:19: media path "media/../course.yaml" must stay inside media/ '
        '(no "..", "." or empty parts)',
        'manual/002.md:20: media path "/media/mannequin.png" must be a relative path inside '
        'media/ using "/"',
        'manual/002.md:21: media path "media/./mannequin.png" must stay inside media/ '
        '(no "..", "." or empty parts)',
        'manual/002.md:22: media path "media\\mannequin.png" must be a relative path inside '
        'media/ using "/"',
    ]


def test_media_types_and_sizes(tmp_path: Path) -> None:
    root = make_bundle(tmp_path, {"media/logo.SVG": b"<svg/>", "media/run.exe": b"MZ",
                                  "media/README": b"x", "media/ok.JPG": b"x"})
    with (root / "media" / "huge.mp4").open("wb") as huge:
        huge.truncate(MAX_MEDIA_BYTES + 1)
    with (root / "media" / "limit.mp4").open("wb") as limit:
        limit.truncate(MAX_MEDIA_BYTES)
    allowed = "bin, gif, jpeg, jpg, json, mp3, mp4, pcd, pdf, png, txt, webm, webp"
    assert errors_of(root) == [
        f"media/README:1: files without an extension are not allowed in media/; allowed types: "
        f"{allowed}",
        "media/huge.mp4:1: file is 20.0 MB; the limit is 20 MB",
        f"media/logo.SVG:1: SVG files are not allowed (they can contain scripts); allowed "
        f"types: {allowed}",
        f"media/run.exe:1: .exe files are not allowed in media/; allowed types: {allowed}",
    ]


def test_a_reference_to_a_refused_file_is_reported_once(tmp_path: Path) -> None:
    errors = errors_with(tmp_path, {
        "media/logo.svg": b"<svg/>",
        "manual/002.md": VERSION_2 + "\n![logo](media/logo.svg)\n",
    })
    assert [e.split(":")[0] for e in errors] == ["media/logo.svg"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_links_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"secret")
    root = make_bundle(tmp_path / "bundle", {"items.jsonl": None})
    (root / "media" / "link.png").symlink_to(outside)
    (root / "items.jsonl").symlink_to(outside)
    assert errors_of(root) == [
        "items.jsonl:1: must be a regular file (not a folder or a link)",
        "media/link.png:1: must be a regular file (links and special files are not allowed)",
    ]
