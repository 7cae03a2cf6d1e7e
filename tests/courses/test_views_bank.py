"""The gold item bank pages: list, gold history, and imports uploaded in the browser."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from bootcamp.extensions import db
from courses.models import Item, MediaFile
from tests.courses.test_items_cli import MANUAL
from tests.factories import make_course, post_form, signed_in

FIXTURES = Path(__file__).parent / "fixtures" / "importers"


def media_zip() -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in (FIXTURES / "media").rglob("*.png"):
            archive.write(path, path.relative_to(FIXTURES / "media").as_posix())
    buffer.seek(0)
    return buffer


def upload(client, name: str, fmt: str, **files):
    data = {"format": fmt, "annotation": "ground-truth", "pool": "practice",
            "items": (io.BytesIO((FIXTURES / name).read_bytes()), name)}
    data.update(files)
    return post_form(client, "/courses/tagging/items", data, page="/courses/tagging/items",
                     content_type="multipart/form-data")


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_instructors_import_coco_with_its_images_in_the_browser(app, instructor):
    make_course(app, instructor, versions=(MANUAL,))
    client = signed_in(app, instructor)
    response = upload(client, "coco_boxes.json", "coco", media=(media_zip(), "images.zip"))
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get("/courses/tagging/items").get_data(as_text=True)
    assert "boxes" in page and "Imported" in page
    assert count(app, Item) > 0 and count(app, MediaFile) > 0
    key = json.loads((FIXTURES / "coco_boxes.json").read_text())["images"][0]["file_name"]
    with app.app_context():
        item = db.session.scalar(select(Item).order_by(Item.position))
    history = client.get(f"/courses/tagging/items/{item.key}").get_data(as_text=True)
    assert "Revision 1" in history and key


def test_a_broken_upload_lists_every_error_and_imports_nothing(app, instructor):
    make_course(app, instructor, versions=(MANUAL,))
    client = signed_in(app, instructor)
    response = upload(client, "coco_boxes.json", "coco")  # no images given
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'role="alert"' in page
    assert "Nothing was imported" in page and "coco_boxes.json:" in page
    assert count(app, Item) == 0 and count(app, MediaFile) == 0


def test_trainees_cannot_see_or_import_the_bank(app, instructor, trainee):
    make_course(app, instructor, versions=(MANUAL,))
    client = signed_in(app, trainee)
    assert client.get("/courses/tagging/items").status_code == 403
    assert upload(client, "items.csv", "csv").status_code == 403
    assert count(app, Item) == 0


def test_any_upload_name_stays_in_its_folder(app, instructor):
    make_course(app, instructor, versions=(MANUAL,))
    client = signed_in(app, instructor)
    csv_text = (FIXTURES / "items.csv").read_bytes()
    for name in ("media", "..", ".", "", "../../items.csv", "a" * 300):
        data = {"format": "csv", "annotation": "ground-truth", "pool": "practice",
                "items": (io.BytesIO(csv_text), name), "media": (media_zip(), "images.zip")}
        response = post_form(client, "/courses/tagging/items", data,
                             page="/courses/tagging/items", content_type="multipart/form-data")
        assert response.status_code in (200, 302), (name, response.status_code)
    assert count(app, Item) > 0


def test_problems_found_against_the_course_cite_the_items_lines(app, instructor):
    """Media that was not given and sections the manual lacks are checked after conversion,
    against the course; they are still reported at the line of the item, not at line 1."""
    make_course(app, instructor, versions=(MANUAL.split("# Mirrors")[0],))  # no mirrors rule
    client = signed_in(app, instructor)
    page = upload(client, "items.jsonl", "jsonl").get_data(as_text=True)  # no images given
    lines = (FIXTURES / "items.jsonl").read_text().splitlines()
    with_media = [number for number, line in enumerate(lines, 1)
                  if json.loads(line)["media"]]
    assert with_media[:2] == [1, 3]
    for number in with_media:
        path = json.loads(lines[number - 1])["media"]
        assert f"items.jsonl:{number}: item" in page and f"media file &#34;{path}&#34;" in page
    assert page.count("was not given") == len(with_media)
    csv_page = upload(client, "items.csv", "csv",
                      media=(media_zip(), "images.zip")).get_data(as_text=True)
    # The first row (line 2) names the sections what-counts and mirrors.
    assert "items.csv:2: item &#34;mirror-01&#34;: sections mirrors are not" in csv_page
    assert count(app, Item) == 0


def zipped(folder: Path, *, with_folder: bool) -> io.BytesIO:
    """The folder's files in a zip, under the folder's own name or at the top."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.rglob("*"):
            if path.is_file():
                base = folder.parent if with_folder else folder
                archive.write(path, path.relative_to(base).as_posix())
    buffer.seek(0)
    return buffer


def test_instructors_import_mot_and_cvat_tracks_in_the_browser(app, instructor, tmp_path):
    from tests.courses.test_importers_cvat_video import box, export, frames_folder, track
    from tests.courses.test_importers_mot import sequence

    make_course(app, instructor, versions=(MANUAL,))
    client = signed_in(app, instructor)
    root = sequence(tmp_path / "MOT17-02")
    gt = (root / "gt" / "gt.txt").read_bytes()
    for with_folder in (True, False):  # zipped with the sequence's folder or without
        response = post_form(client, "/courses/tagging/items", {
            "format": "mot", "annotation": "ground-truth", "pool": "exam", "clip": "3",
            "classes": "1=person,3=car", "items": (io.BytesIO(gt), "gt.txt"),
            "media": (zipped(root, with_folder=with_folder), "MOT17-02.zip"),
        }, page="/courses/tagging/items", content_type="multipart/form-data")
        assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        kinds = set(db.session.scalars(select(Item.kind)))
    assert kinds == {"tracks"} and count(app, Item) == 2

    export_folder = frames_folder(tmp_path / "export")
    xml = export(track(0, "car", box(0, (10, 10, 30, 20)), box(4, (50, 10, 70, 20), outside=1)))
    response = post_form(client, "/courses/tagging/items", {
        "format": "cvat-video", "annotation": "ground-truth", "pool": "practice",
        "items": (io.BytesIO(xml.encode()), "annotations.xml"),
        "media": (zipped(export_folder, with_folder=False), "frames.zip"),
    }, page="/courses/tagging/items", content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert count(app, Item) == 3


def test_a_wrong_classes_field_says_how_to_write_it(app, instructor, tmp_path):
    from tests.courses.test_importers_mot import sequence

    make_course(app, instructor, versions=(MANUAL,))
    client = signed_in(app, instructor)
    root = sequence(tmp_path / "seq")
    response = post_form(client, "/courses/tagging/items", {
        "format": "mot", "annotation": "ground-truth", "pool": "practice",
        "classes": "pedestrian", "clip": "9999",
        "items": (io.BytesIO((root / "gt" / "gt.txt").read_bytes()), "gt.txt"),
    }, page="/courses/tagging/items", content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Give classes as CLASS=LABEL pairs" in page and "Give 1 to 300 frames." in page
    assert count(app, Item) == 0
