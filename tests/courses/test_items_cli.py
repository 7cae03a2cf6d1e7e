"""`bootcamp items import|export`: every format into the bank, atomically, with revisions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bootcamp.extensions import db
from courses.models import Course, Item, ItemRevision, MediaFile
from courses.services import items
from tests.factories import make_course

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
MANUAL = ("# Clothing {#what-counts}\n\nReal clothing.\n\n# Road users {#road-users}\n\nCars.\n\n"
          "# Mirrors {#mirrors}\n\nReflections.\n")


@pytest.fixture
def course_id(app, instructor) -> int:
    return make_course(app, instructor, "tagging", versions=(MANUAL,))


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["items", "import", "tagging", *args])


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (Item, ItemRevision, MediaFile))


def bank(app, course_id: int) -> dict[str, Item]:
    with app.app_context():
        course = db.session.get(Course, course_id)
        return {item.key: item for item in items.bank(course)}


def test_native_jsonl_with_media_round_trips(app, course_id, tmp_path):
    result = run(app, str(FIXTURES / "items.jsonl"), "--media", str(FIXTURES / "media"))
    assert result.exit_code == 0, result.output
    stored = bank(app, course_id)
    assert stored["mirror-01"].critical and stored["mirror-01"].pools == ["practice", "exam"]
    exported = tmp_path / "out.jsonl"
    out = app.test_cli_runner().invoke(args=["items", "export", "tagging", str(exported)])
    assert out.exit_code == 0, out.output
    assert exported.read_text() == (FIXTURES / "items.jsonl").read_text()
    again = run(app, str(exported), "--media", str(FIXTURES / "media"))
    assert "0 new item(s), 0 with a new gold, 0 updated" in again.output


def test_a_changed_gold_keeps_the_old_one_as_a_revision(app, course_id, tmp_path):
    run(app, str(FIXTURES / "items.jsonl"), "--media", str(FIXTURES / "media"))
    lines = (FIXTURES / "items.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first["gold"] = "no"
    changed = tmp_path / "items.jsonl"
    changed.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    result = run(app, str(changed), "--media", str(FIXTURES / "media"))
    assert "1 with a new gold" in result.output, result.output
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.key == "mirror-01"))
        history = items.revisions(item)
        assert [(r.number, r.gold) for r in history] == [(1, "yes"), (2, "no")]
        assert item.revision == 2 and item.gold == "no"


@pytest.mark.parametrize(("fixture", "fmt", "extra"), [
    ("coco_boxes.json", "coco", []),
    ("coco_keypoints.json", "coco", []),
    ("labelstudio_boxes.json", "labelstudio", ["--config", "labelstudio_boxes.xml"]),
    ("labelstudio_text.json", "labelstudio", ["--config", "labelstudio_text.xml"]),
    ("items.csv", "csv", []),
])
def test_every_format_imports_through_the_cli(app, course_id, fixture, fmt, extra):
    extra = [str(FIXTURES / e) if e.endswith(".xml") else e for e in extra]
    result = run(app, str(FIXTURES / fixture), "--format", fmt, "--media",
                 str(FIXTURES / "media"), "--pool", "exam", *extra)
    assert result.exit_code == 0, result.output
    stored = bank(app, course_id)
    assert stored
    for item in stored.values():
        if fmt != "csv":
            assert item.pools == ["exam"]
        if item.media:
            with app.app_context():
                assert db.session.scalar(select(MediaFile).where(
                    MediaFile.course_id == course_id, MediaFile.path == item.media)) is not None


def test_a_broken_file_imports_nothing(app, course_id, tmp_path):
    lines = (FIXTURES / "items.jsonl").read_text().splitlines()
    broken = json.loads(lines[1])
    broken["gold"] = ["dress", "crown"]
    bad = tmp_path / "items.jsonl"
    bad.write_text("\n".join([lines[0], json.dumps(broken), *lines[2:]]) + "\n")
    shutil.copytree(FIXTURES / "media", tmp_path / "media")
    result = run(app, str(bad))
    assert result.exit_code == 1
    assert "items.jsonl:2: gold[1]" in result.output and "nothing was imported" in result.output
    assert counts(app) == (0, 0, 0)


def test_items_must_point_at_sections_of_the_latest_manual(app, course_id, tmp_path):
    line = json.loads((FIXTURES / "items.jsonl").read_text().splitlines()[1])
    line["sections"] = ["no-such-rule"]
    file = tmp_path / "items.jsonl"
    file.write_text(json.dumps(line) + "\n")
    result = run(app, str(file))
    assert result.exit_code == 1 and "items.jsonl:1: sections" in result.output, result.output
    assert counts(app) == (0, 0, 0)


def test_unknown_course_is_an_error(app):
    result = app.test_cli_runner().invoke(
        args=["items", "import", "nope", str(FIXTURES / "items.jsonl")])
    assert result.exit_code == 1 and "There is no course 'nope'." in result.output
