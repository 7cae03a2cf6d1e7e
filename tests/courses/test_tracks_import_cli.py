"""`bootcamp items import --format mot|cvat-video` and `items export --media`: tracks items
with their frame strips into a course's bank, all or nothing, and back out as native JSONL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

import graders
from bootcamp.extensions import db
from courses.models import Course, Item, MediaFile
from courses.services import items
from tests.courses.test_importers_cvat_video import box, export, frames_folder, track
from tests.courses.test_importers_mot import GT, sequence
from tests.factories import make_course

MANUAL = "# Road users {#road-users}\n\nFollow every pedestrian and car.\n"


@pytest.fixture
def course_id(app, instructor) -> int:
    return make_course(app, instructor, "street", versions=(MANUAL,))


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["items", *args])


def stored(app, slug: str = "street") -> tuple[dict[str, dict], dict[str, bytes]]:
    """The course's items as native dicts and its media files' contents."""
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        natives = {item.key: items.as_native(item) for item in items.bank(course)}
        media = dict(db.session.execute(select(MediaFile.path, MediaFile.content).where(
            MediaFile.course_id == course.id)).all())
    return natives, media


def test_a_mot_sequence_imports_and_each_item_scores_its_own_gold_as_right(
        app, course_id, tmp_path: Path):
    root = sequence(tmp_path / "MOT17-02")
    result = cli(app, "import", "street", str(root / "gt" / "gt.txt"), "--format", "mot",
                 "--clip", "3", "--pool", "exam")
    assert result.exit_code == 0, result.output
    assert "street: 2 new item(s)" in result.output
    natives, media = stored(app)
    assert sorted(natives) == ["mot-mot17-02-demo-000001-000003",
                               "mot-mot17-02-demo-000004-000005"]
    for native in natives.values():
        assert native["kind"] == "tracks" and native["pools"] == ["exam"]
        assert media[native["media"]].startswith(b"\xff\xd8")  # the strip, a JPEG
        score = graders.score("tracks", native["spec"], native["gold"], native["gold"])
        assert score.points == 1.0 and score.correct


def test_a_cvat_export_imports_with_the_frames_beside_it(app, course_id, tmp_path: Path):
    root = frames_folder(tmp_path / "export")
    (root / "annotations.xml").write_text(export(
        track(0, "car", box(0, (10, 10, 30, 20)), box(4, (50, 10, 70, 20), outside=1))))
    result = cli(app, "import", "street", str(root / "annotations.xml"), "--format",
                 "cvat-video")
    assert result.exit_code == 0, result.output
    natives, _ = stored(app)
    (native,) = natives.values()
    assert sorted(native["gold"][0]["boxes"], key=int) == ["0", "1", "2", "3"]
    assert graders.score("tracks", native["spec"], native["gold"], native["gold"]).points == 1.0


def test_tracks_items_round_trip_through_the_native_export_with_their_strips(
        app, instructor, course_id, tmp_path: Path):
    root = sequence(tmp_path / "seq")
    assert cli(app, "import", "street", str(root / "gt" / "gt.txt"), "--format", "mot",
               "--classes", "1=person,3=car").exit_code == 0
    out = tmp_path / "out"
    out.mkdir()
    result = cli(app, "export", "street", str(out / "items.jsonl"), "--media", str(out / "media"))
    assert result.exit_code == 0, result.output
    assert "Wrote 1 media file(s)" in result.output
    make_course(app, instructor, "copy", versions=(MANUAL,))
    again = cli(app, "import", "copy", str(out / "items.jsonl"))  # media/ beside the file
    assert again.exit_code == 0, again.output
    assert stored(app, "copy") == stored(app)
    unchanged = cli(app, "import", "street", str(out / "items.jsonl"))
    assert "0 new item(s), 0 with a new gold, 0 updated, 1 unchanged" in unchanged.output


def test_an_export_never_writes_into_a_folder_that_is_not_empty(app, course_id, tmp_path):
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "keep.txt").write_text("mine")
    result = cli(app, "export", "street", str(tmp_path / "items.jsonl"), "--media",
                 str(tmp_path / "media"))
    assert result.exit_code == 1 and "is not empty" in result.output
    assert not (tmp_path / "items.jsonl").exists()


def test_a_broken_sequence_imports_nothing(app, course_id, tmp_path: Path):
    root = sequence(tmp_path / "seq")
    (root / "gt" / "gt.txt").write_text(GT + "3,1,10,8,20,30,1,1,0.5\n")
    result = cli(app, "import", "street", str(root / "gt" / "gt.txt"), "--format", "mot")
    assert result.exit_code == 1
    assert "gt.txt:9: frame 3 has id 1 twice (also on line 3)" in result.output
    assert "nothing was imported" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Item)) == 0
        assert db.session.scalar(select(func.count()).select_from(MediaFile)) == 0


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--classes", "pedestrian", "give classes as CLASS=LABEL pairs"),
    ("--clip", "301", "301 is not in the range 1<=x<=300"),
])
def test_bad_options_are_usage_errors(app, course_id, tmp_path, option, value, message):
    root = sequence(tmp_path / "seq")
    result = cli(app, "import", "street", str(root / "gt" / "gt.txt"), "--format", "mot",
                 option, value)
    assert result.exit_code == 2 and message in result.output
