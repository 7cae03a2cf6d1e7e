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
