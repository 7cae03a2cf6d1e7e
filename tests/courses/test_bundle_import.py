"""Course bundles against the database: the CLI, the browser upload, atomicity and round trips."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

from bootcamp.audit import AuditEntry
from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.importers.native import dump_items
from courses.models import (
    Course,
    Enrollment,
    Item,
    ItemStatus,
    ManualVersion,
    MediaFile,
    VersionStatus,
)
from courses.services import enrolment, manuals
from courses.services import items as item_bank
from tests.conftest import _empty_tables
from tests.factories import make_course, post_form, row_counts, signed_in
from tests.helpers import csrf_token

SLUG = "clothing-tagging"
ERROR_LINE = re.compile(r"^(?P<file>[\w./-]+):(?P<line>\d+): \S")


def run_cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["courses", *map(str, args)])


def import_cli(app, folder: Path):
    result = run_cli(app, "import", folder)
    assert result.exit_code == 0, result.output
    return result


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file below `folder`, by its relative POSIX path."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def cli_errors(output: str, folder: Path) -> list[str]:
    """The `file:line: message` errors the CLI printed for a bundle folder."""
    prefix = f"{folder}/"
    return [line.removeprefix(prefix) for line in output.splitlines()
            if line.startswith(prefix)]


def zipped(folder: Path, top: str | None = "clothing-tagging") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel, content in files_of(folder).items():
            archive.writestr(f"{top}/{rel}" if top else rel, content)
    return buffer.getvalue()


def add_version_5(folder: Path, body_extra: str = "") -> None:
    """A newer bundle: version 5 is version 4 with one more rule."""
    v4 = (folder / "manual" / "004.md").read_text(encoding="utf-8")
    front, body = v4.split("\n---\n", 1)
    front = re.sub(r"version: 4", "version: 5", front)
    front = re.sub(r"published_at: .*", "published_at: 2026-12-01T09:00:00Z", front)
    front = front.split("changelog:")[0] + (
        "changelog: |\n  Flippers are not shoes.\nmaterial:\n  - not-clothing\n")
    body = body.rstrip("\n") + "\n\n## Flippers {#flippers}\n\nFlippers are not shoes.\n"
    (folder / "manual" / "005.md").write_text(
        f"{front}\n---\n{body}{body_extra}", encoding="utf-8")


def seed_history(app, make_user, instructor) -> dict:
    """Another course, and a trainee who has read and enrolled: rows an import must not touch."""
    other = make_course(app, instructor, "other-course", versions=("# Other\n\nText.",))
    trainee = make_user(Role.TRAINEE)
    with app.app_context():
        course = db.session.get(Course, other)
        user = db.session.get(User, trainee.id)
        enrolment.enrol(user, course, enrolment.EnrollmentSource.SELF)
        manuals.record_opened(user, course, manuals.latest_version(course))
        db.session.commit()
    return {"trainee_id": trainee.id}


def snapshot_history(app) -> tuple[list, list]:
    with app.app_context():
        events = [(e.id, e.user_id, e.course_id, e.kind, e.data)
                  for e in db.session.scalars(select(Event).order_by(Event.id))]
        enrolments = [(e.id, e.user_id, e.course_id, e.cohort_id, e.source)
                      for e in db.session.scalars(select(Enrollment).order_by(Enrollment.id))]
    return events, enrolments


# The command line.


def test_cli_import_creates_the_course_with_its_versions_and_media(app, example_bundle):
    result = import_cli(app, example_bundle)
    assert f"Created course {SLUG}: new manual versions 1, 2, 3, 4; 5 new media file(s)." \
        in result.output
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        assert course.title == "Tagging clothing in photos"
        assert course.code_name == "Glue Swimsuit"
        assert course.estimated_minutes == 90
        assert course.status.value == "open"
        versions = manuals.published_versions(course)
        assert [v.number for v in versions] == [1, 2, 3, 4]
        assert all(v.status is VersionStatus.PUBLISHED for v in versions)
        assert versions[1].published_at == datetime(2026, 10, 19, 9, 0, tzinfo=UTC)
        assert versions[1].material_sections == ["what-counts", "photos-and-reflections"]
        assert "a **photo of clothing** is clothing" in versions[1].changelog
        assert manuals.draft_of(course) is None
        media = {m.path: m.content for m in db.session.scalars(
            select(MediaFile).where(MediaFile.course_id == course.id))}
        assert media == {f"media/{p.name}": p.read_bytes()
                         for p in (example_bundle / "media").iterdir()}
        audit = db.session.scalars(select(AuditEntry.action)).all()
        assert audit.count("bundle_imported") == 1


def test_export_then_import_into_an_empty_database_then_export_is_byte_identical(
        app, example_bundle, tmp_path):
    import_cli(app, example_bundle)
    first = tmp_path / "first"
    exported = run_cli(app, "export", SLUG, first)
    assert exported.exit_code == 0, exported.output
    assert set(files_of(first)) == set(files_of(example_bundle))

    with app.app_context():  # the same empty database a fresh test starts with
        db.session.remove()
        _empty_tables()
    assert set(row_counts(app).values()) == {0}

    import_cli(app, first)
    second = tmp_path / "second"
    assert run_cli(app, "export", SLUG, second).exit_code == 0
    one, two = files_of(first), files_of(second)
    assert sorted(one) == sorted(two)
    for rel in one:
        assert one[rel] == two[rel], f"{rel} differs after export -> import -> export"


def test_export_refuses_a_folder_that_is_not_empty_and_an_unknown_course(
        app, example_bundle, tmp_path):
    import_cli(app, example_bundle)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    busy = run_cli(app, "export", SLUG, tmp_path / "busy")
    assert busy.exit_code == 1 and "is not empty" in busy.output
    assert files_of(tmp_path / "busy") == {"keep.txt": b"mine"}
    unknown = run_cli(app, "export", "no-such-course", tmp_path / "x")
    assert unknown.exit_code == 1 and "There is no course 'no-such-course'" in unknown.output


def test_importing_the_same_bundle_again_changes_nothing(app, example_bundle):
    import_cli(app, example_bundle)
    before = row_counts(app)
    again = import_cli(app, example_bundle)
    assert f"Updated course {SLUG}: new manual versions none; 0 new media file(s)." \
        in again.output
    assert row_counts(app) == before


def example_items(folder: Path) -> list[dict]:
    return [json.loads(line) for line in
            (folder / "items.jsonl").read_text(encoding="utf-8").splitlines()]


def bank_of(app) -> dict[str, tuple]:
    """Every stored item by key: (kind, gold, revision, sections, gold of each revision)."""
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        return {item.key: (item.kind, item.gold, item.revision, item.sections,
                           [r.gold for r in item_bank.revisions(item)])
                for item in item_bank.bank(course)}


def test_import_creates_the_gold_items_in_file_order_with_a_first_revision(
        app, example_bundle):
    result = import_cli(app, example_bundle)
    natives = example_items(example_bundle)
    assert len(natives) >= 10
    assert f"Gold items: {len(natives)} new, 0 with a new gold revision" in result.output
    stored = bank_of(app)
    assert list(stored) == [native["id"] for native in natives]
    for native in natives:
        kind, gold, revision, sections, golds = stored[native["id"]]
        assert (kind, gold, revision, sections, golds) == (
            native["kind"], native["gold"], 1, native["sections"], [native["gold"]])
    with app.app_context():
        assert db.session.scalars(select(AuditEntry.action)).all().count("items_imported") == 1


def test_a_changed_gold_makes_a_new_revision_and_other_items_stay(app, bundle_copy):
    import_cli(app, bundle_copy)
    natives = example_items(bundle_copy)
    changed = next(n for n in natives if n["kind"] == "labels")
    old_gold, new_gold = changed["gold"], changed["gold"][:1]
    changed["gold"] = new_gold
    changed["explanation"] += " Revised."
    (bundle_copy / "items.jsonl").write_text(dump_items(natives), encoding="utf-8")

    result = import_cli(app, bundle_copy)
    assert f"Gold items: 0 new, 1 with a new gold revision, 0 updated, {len(natives) - 1} " \
        "unchanged, 0 retired." in result.output
    kind, gold, revision, _, golds = bank_of(app)[changed["id"]]
    assert (gold, revision, golds) == (new_gold, 2, [old_gold, new_gold])
    assert all(entry[2] == 1 for key, entry in bank_of(app).items() if key != changed["id"])


def test_an_item_deleted_from_items_jsonl_is_retired_and_left_out_of_the_export(
        app, bundle_copy, tmp_path):
    import_cli(app, bundle_copy)
    natives = example_items(bundle_copy)
    removed = natives.pop(0)
    gone = removed["id"]
    (bundle_copy / "items.jsonl").write_text(dump_items(natives), encoding="utf-8")

    result = import_cli(app, bundle_copy)
    assert "1 retired." in result.output
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.key == gone))
        assert item.status == ItemStatus.RETIRED  # kept: answers and attempts refer to it
    assert run_cli(app, "export", SLUG, tmp_path / "out").exit_code == 0
    assert (tmp_path / "out" / "items.jsonl").read_bytes() == \
        (bundle_copy / "items.jsonl").read_bytes()
    natives.insert(0, removed)  # back again: active
    (bundle_copy / "items.jsonl").write_text(dump_items(natives), encoding="utf-8")
    import_cli(app, bundle_copy)
    with app.app_context():
        assert db.session.scalar(select(Item.status).where(Item.key == gone)) == (
            ItemStatus.ACTIVE)


def test_exported_items_are_the_canonical_example_file(app, example_bundle, tmp_path):
    import_cli(app, example_bundle)
    assert run_cli(app, "export", SLUG, tmp_path / "out").exit_code == 0
    assert (tmp_path / "out" / "items.jsonl").read_bytes() == \
        (example_bundle / "items.jsonl").read_bytes()


def test_a_newer_bundle_appends_its_version_and_keeps_trainee_history(
        app, make_user, instructor, bundle_copy):
    import_cli(app, bundle_copy)
    trainee = make_user(Role.TRAINEE)
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        user = db.session.get(User, trainee.id)
        enrolment.enrol(user, course, enrolment.EnrollmentSource.SELF)
        latest = manuals.latest_version(course)
        manuals.record_opened(user, course, latest)
        manuals.mark_section_read(user, course, latest, "not-clothing")
        db.session.commit()
        old_versions = [(v.id, v.number, v.markdown) for v in manuals.published_versions(course)]
    history = snapshot_history(app)

    add_version_5(bundle_copy)
    result = import_cli(app, bundle_copy)
    assert f"Updated course {SLUG}: new manual versions 5; 0 new media file(s)." in result.output
    assert snapshot_history(app) == history
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        versions = manuals.published_versions(course)
        assert [(v.id, v.number, v.markdown) for v in versions[:4]] == old_versions
        assert versions[-1].number == 5
        assert versions[-1].changelog == "Flippers are not shoes."
        assert versions[-1].material_sections == ["not-clothing"]
        assert manuals.last_read_version(trainee.id, course.id) == 4
        assert manuals.read_sections(trainee.id, course.id) == {"not-clothing"}
        summary = manuals.changes_since(course, 4, "/m/")
        assert [v.number for v in summary.versions] == [5]
        assert "flippers" in summary.diff.changed_ids


def test_a_bundle_that_changes_a_published_version_is_refused(app, bundle_copy):
    import_cli(app, bundle_copy)
    before = row_counts(app)
    v2 = bundle_copy / "manual" / "002.md"
    v2.write_text(v2.read_text(encoding="utf-8").replace("Tag a dress on a mannequin",
                                                         "Tag a skirt on a mannequin"),
                  encoding="utf-8")
    add_version_5(bundle_copy)
    result = run_cli(app, "import", bundle_copy)
    assert result.exit_code == 1
    errors = cli_errors(result.output, bundle_copy)
    assert len(errors) == 1 and errors[0].startswith("manual/002.md:1: version 2 differs"), errors
    assert "1 problem(s) found; nothing was imported." in result.output
    assert row_counts(app) == before


def test_a_bundle_with_fewer_versions_than_published_is_refused(app, bundle_copy):
    import_cli(app, bundle_copy)
    before = row_counts(app)
    (bundle_copy / "manual" / "004.md").unlink()
    result = run_cli(app, "import", bundle_copy)
    assert result.exit_code == 1
    assert any(e.startswith("manual") and ":1: the course already has 4 published versions" in e
               for e in cli_errors(result.output, bundle_copy)), result.output
    assert row_counts(app) == before


def test_a_media_file_replaced_under_the_same_name_is_refused(app, bundle_copy):
    import_cli(app, bundle_copy)
    before = row_counts(app)
    (bundle_copy / "media" / "knight-armour.png").write_bytes(b"\x89PNG\r\n\x1a\nnot the same")
    result = run_cli(app, "import", bundle_copy)
    assert result.exit_code == 1
    assert cli_errors(result.output, bundle_copy)[0].startswith("media/knight-armour.png:1: ")
    assert row_counts(app) == before


# Broken bundles: every problem listed as file:line, nothing written.


def _bad_yaml(folder: Path) -> list[str]:
    # The YAML reader stops at the end of the stream, the line after the unclosed list.
    line = (folder / "course.yaml").read_text(encoding="utf-8").count("\n") + 2
    with (folder / "course.yaml").open("a", encoding="utf-8") as f:
        f.write("title: [unclosed\n")
    return [f"course.yaml:{line}: could not parse YAML"]


def _out_of_order(folder: Path) -> list[str]:
    (folder / "manual" / "002.md").unlink()
    return ["manual/003.md:1: a manual version out of order"]


def _missing_media(folder: Path) -> list[str]:
    (folder / "media" / "knight-armour.png").unlink()
    lines = (folder / "items.jsonl").read_text(encoding="utf-8").splitlines()
    item_lines = [n for n, line in enumerate(lines, 1) if "media/knight-armour.png" in line]
    assert len(item_lines) == 2  # a practice item and an exam item show the knight
    return ['manual/004.md:83: media file "media/knight-armour.png" does not exist',
            *(f'items.jsonl:{line}: media: "media/knight-armour.png" is not a file in media/'
              for line in item_lines)]


def _unsafe_html(folder: Path) -> list[str]:
    with (folder / "manual" / "004.md").open("a", encoding="utf-8") as f:
        f.write('\n<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n')
    return ["manual/004.md:86: unsafe HTML: <script>",
            'manual/004.md:88: unsafe HTML: event handler attribute "onerror"']


def _javascript_link(folder: Path) -> list[str]:
    with (folder / "manual" / "001.md").open("a", encoding="utf-8") as f:
        f.write("\n[Click](javascript:alert(1))\n")
    lines = (folder / "manual" / "001.md").read_text(encoding="utf-8").count("\n")
    return [f"manual/001.md:{lines}: "]


def _items(folder: Path) -> list[str]:
    path = folder / "items.jsonl"
    first = path.read_text(encoding="utf-8").count("\n") + 1
    elsewhere = {**json.loads(path.read_text(encoding="utf-8").splitlines()[0]),
                 "id": "elsewhere", "media": "media/flippers.png", "sections": ["flippers"]}
    with path.open("a", encoding="utf-8") as f:
        f.write('{"kind": "choice"}\n' + json.dumps(elsewhere) + "\n")
    return [f"items.jsonl:{first}: id: is required",
            f'items.jsonl:{first + 1}: media: "media/flippers.png" is not a file in media/',
            f'items.jsonl:{first + 1}: sections[0]: "flippers" is not a section of the manual']


def _everything(folder: Path) -> list[str]:
    return [*_bad_yaml(folder), *_missing_media(folder), *_unsafe_html(folder)]


BROKEN = {
    "bad-yaml": _bad_yaml,
    "out-of-order": _out_of_order,
    "missing-media": _missing_media,
    "unsafe-html": _unsafe_html,
    "javascript-link": _javascript_link,
    "items": _items,
    "several-problems": _everything,
}


@pytest.mark.parametrize("breakage", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_bundle_is_refused_with_every_error_and_nothing_is_written(
        app, make_user, instructor, bundle_copy, breakage):
    seed_history(app, make_user, instructor)
    expected = breakage(bundle_copy)
    before = row_counts(app)
    assert before["events"] and before["audit_entries"]
    result = run_cli(app, "import", bundle_copy)
    assert result.exit_code == 1
    errors = cli_errors(result.output, bundle_copy)
    assert all(ERROR_LINE.match(e) for e in errors), errors
    for wanted in expected:
        assert any(e.startswith(wanted) for e in errors), (wanted, errors)
    assert f"{len(errors)} problem(s) found; nothing was imported." in result.output
    assert row_counts(app) == before


def test_a_broken_newer_bundle_of_an_existing_course_writes_nothing(app, bundle_copy):
    import_cli(app, bundle_copy)
    before = row_counts(app)
    add_version_5(bundle_copy, body_extra="\n<iframe src=\"https://evil.example\"></iframe>\n")
    (bundle_copy / "media" / "flippers.png").write_bytes(b"\x89PNG\r\n\x1a\nflippers")
    result = run_cli(app, "import", bundle_copy)
    assert result.exit_code == 1
    assert any(e.startswith("manual/005.md:") and "iframe" in e
               for e in cli_errors(result.output, bundle_copy)), result.output
    assert row_counts(app) == before


# The browser upload.


class _Alert(HTMLParser):
    """The text of each <li> inside the role=alert block of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.items: list[str] = []
        self._in_item = False

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
            if tag == "li":
                self._in_item = True
                self.items.append("")
        elif ("role", "alert") in attrs:
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            if tag == "li":
                self._in_item = False

    def handle_data(self, data):
        if self._in_item:
            self.items[-1] += data


def alert_items(page: str) -> list[str]:
    parser = _Alert()
    parser.feed(page)
    return parser.items


def upload(client, content: bytes, name: str = "bundle.zip"):
    return post_form(client, "/courses/import", {"bundle": (io.BytesIO(content), name)},
                     page="/courses/import", content_type="multipart/form-data")


@pytest.mark.parametrize("top", ["clothing-tagging", None], ids=["in-a-folder", "at-the-top"])
def test_uploading_a_valid_zip_creates_the_course(app, instructor, example_bundle, top):
    client = signed_in(app, instructor)
    response = upload(client, zipped(example_bundle, top))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/courses/{SLUG}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported Tagging clothing in photos: manual 1, 2, 3, 4." in page
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        assert [v.number for v in manuals.published_versions(course)] == [1, 2, 3, 4]
        assert db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "bundle_imported")).actor_id == instructor.id
        assert len(db.session.scalars(select(MediaFile)).all()) == 5


def test_uploading_a_broken_zip_shows_every_error_and_writes_nothing(
        app, make_user, instructor, bundle_copy):
    seed_history(app, make_user, instructor)
    expected = _everything(bundle_copy)
    client = signed_in(app, instructor)
    before = row_counts(app)
    response = upload(client, zipped(bundle_copy))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    items = alert_items(page)
    assert len(items) == len(expected) == 6, items
    for wanted in expected:
        assert any(item.startswith(wanted) for item in items), (wanted, items)
    assert "Nothing was imported: 6 problems" in page
    assert row_counts(app) == before


def test_uploading_a_newer_zip_that_changes_a_published_version_is_refused(
        app, instructor, bundle_copy):
    client = signed_in(app, instructor)
    assert upload(client, zipped(bundle_copy)).status_code == 302
    before = row_counts(app)
    v2 = bundle_copy / "manual" / "002.md"
    v2.write_text(v2.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    response = upload(client, zipped(bundle_copy))
    assert response.status_code == 200
    items = alert_items(response.get_data(as_text=True))
    assert len(items) == 1 and items[0].startswith("manual/002.md:1: version 2 differs")
    assert row_counts(app) == before


@pytest.mark.parametrize("content, message", [
    (b"this is not a zip", "the upload is not a valid zip file"),
    (None, '"../course.yaml": ".." is not allowed in zip entry names'),
], ids=["not-a-zip", "path-traversal"])
def test_uploading_an_unsafe_or_corrupt_zip_is_refused(app, instructor, content, message):
    if content is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("../course.yaml", "slug: evil\n")
        content = buffer.getvalue()
    client = signed_in(app, instructor)
    before = row_counts(app)
    response = upload(client, content)
    assert response.status_code == 200
    assert alert_items(response.get_data(as_text=True)) == [message]
    assert row_counts(app) == before


def test_the_upload_form_wants_a_zip_file(app, instructor):
    client = signed_in(app, instructor)
    response = upload(client, b"slug: x\n", name="course.yaml")
    assert response.status_code == 200
    assert "Upload a .zip file." in response.get_data(as_text=True)
    assert row_counts(app)["courses"] == 0


def test_trainees_cannot_upload_bundles(app, trainee, example_bundle):
    client = signed_in(app, trainee)
    response = client.post("/courses/import", data={
        "bundle": (io.BytesIO(zipped(example_bundle)), "bundle.zip"),
        "csrf_token": csrf_token(client, "/courses/")}, content_type="multipart/form-data")
    assert response.status_code == 403
    assert row_counts(app)["courses"] == 0


def test_export_writes_only_published_versions(app, instructor, tmp_path):
    course_id = make_course(app, instructor, "drafty", versions=("# One\n\nText.",))
    with app.app_context():
        course = db.session.get(Course, course_id)
        manuals.save_draft(course, "# One\n\nDraft text.", db.session.get(User, instructor.id))
        db.session.commit()
        assert db.session.scalar(select(ManualVersion).where(
            ManualVersion.status == VersionStatus.DRAFT)) is not None
    result = run_cli(app, "export", "drafty", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert sorted(files_of(tmp_path / "out")) == ["course.yaml", "items.jsonl", "manual/001.md"]
