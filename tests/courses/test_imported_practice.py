"""Imported gold items are practised like any other: COCO and Label Studio into a demo course.

The demo courses are loaded as `bootcamp demo` loads them; a COCO file (with its images) and a
Label Studio export (with its labeling config) go into the street-scenes course through
`bootcamp items import`. Converted items name no manual section, so they land in the
"Other practice" module. An enrolled trainee answers one item of each through the practice pages,
rightly (the gold) and wrongly, and each answer is recorded as a practice_answered event.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bootcamp.demo import load_examples
from bootcamp.extensions import db
from bootcamp.users.models import User
from courses.models import Course, Item, MediaFile, PracticeAnswer
from courses.practice_modules import OTHER_MODULE, OTHER_TITLE
from courses.services import catalog, enrolment
from tests.factories import events_of, post_form, signed_in

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
SLUG = "street-scenes"
COCO_ITEM = "street-017"
LABEL_STUDIO_ITEM = "task-7-entities"


def import_items(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["items", "import", SLUG, *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def practising(app: Flask, trainee: User) -> FlaskClient:
    """The demo courses, the imports, and the trainee enrolled in street-scenes, logged in."""
    with app.app_context():
        load_examples()
        db.session.commit()
    coco = import_items(app, str(FIXTURES / "coco_boxes.json"), "--format", "coco",
                        "--media", str(FIXTURES / "media"))
    assert f"{SLUG}: 2 new item(s)" in coco
    label_studio = import_items(app, str(FIXTURES / "labelstudio_text.json"), "--format",
                                "labelstudio", "--config", str(FIXTURES / "labelstudio_text.xml"))
    assert f"{SLUG}: 3 new item(s)" in label_studio
    with app.app_context():
        course = catalog.find_course(SLUG)
        enrolment.enrol(db.session.get(User, trainee.id), course,
                        enrolment.EnrollmentSource.SELF)
        db.session.commit()
    return signed_in(app, trainee)


def gold_of(app: Flask, key: str):
    with app.app_context():
        course = catalog.find_course(SLUG)
        item = db.session.scalar(select(Item).where(Item.course_id == course.id, Item.key == key))
        assert item is not None and item.sections == [], key
        return item.gold


def answer(client: FlaskClient, key: str, value) -> str:
    """POST an answer (as the widget's hidden JSON field) on the item's practice page."""
    path = f"/courses/{SLUG}/practice/{OTHER_MODULE}/{key}"
    response = post_form(client, path, {"answer": json.dumps(value)}, page=path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_imported_items_are_in_other_practice(app, practising):
    page = practising.get(f"/courses/{SLUG}/practice").get_data(as_text=True)
    assert OTHER_TITLE in page
    with app.app_context():
        course = catalog.find_course(SLUG)
        media = set(db.session.scalars(select(MediaFile.path).where(
            MediaFile.course_id == course.id)))
    assert {"media/street-017.png", "media/frames/street-018.png"} <= media
    # The module's first item is where "Start practising" leads.
    response = practising.get(f"/courses/{SLUG}/practice/{OTHER_MODULE}")
    assert response.status_code == 302
    assert f"/courses/{SLUG}/practice/{OTHER_MODULE}/" in response.headers["Location"]


def test_a_trainee_practises_an_imported_coco_item(app, practising, trainee):
    gold = gold_of(app, COCO_ITEM)
    page = answer(practising, COCO_ITEM, gold)
    assert '<h2 id="feedback-title" tabindex="-1" data-focus-on-load>Correct</h2>' in page
    assert "Well done: 100% of the points." in page
    assert 'src="/courses/street-scenes/media/street-017.png"' not in page  # drawn in the SVG
    assert 'href="/courses/street-scenes/media/street-017.png"' in page

    wrong = [gold[0], {**gold[1], "label": "cyclist"}]
    page = answer(practising, COCO_ITEM, wrong)
    assert '<h2 id="feedback-title" tabindex="-1" data-focus-on-load>Not quite</h2>' in page
    assert page.count("Missed: cyclist at (520, 190), 70 × 110") == 1
    assert "Wrong label: cyclist should be pedestrian at (400, 180), 40 × 120" in page

    events = events_of(app, "practice_answered", trainee.id)
    assert [(e["item"], e["module"], e["correct"]) for e in events] == [
        (COCO_ITEM, OTHER_MODULE, True), (COCO_ITEM, OTHER_MODULE, False)]
    assert events[0]["points"] == 1.0 and events[1]["points"] < 1.0


def test_a_trainee_practises_an_imported_label_studio_item(app, practising, trainee):
    gold = gold_of(app, LABEL_STUDIO_ITEM)
    page = answer(practising, LABEL_STUDIO_ITEM, gold)
    assert '<h2 id="feedback-title" tabindex="-1" data-focus-on-load>Correct</h2>' in page
    assert "Well done: 100% of the points." in page
    assert '<mark class="fb-span fb-span-' in page and "pizza" in page

    page = answer(practising, LABEL_STUDIO_ITEM, [gold[0]])  # only the greeting
    assert '<h2 id="feedback-title" tabindex="-1" data-focus-on-load>Not quite</h2>' in page
    assert "Your spans" in page and "The correct spans" in page

    events = events_of(app, "practice_answered", trainee.id)
    assert [(e["item"], e["module"], e["correct"]) for e in events] == [
        (LABEL_STUDIO_ITEM, OTHER_MODULE, True), (LABEL_STUDIO_ITEM, OTHER_MODULE, False)]
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == SLUG))
        stored = db.session.scalars(select(PracticeAnswer).where(
            PracticeAnswer.user_id == trainee.id, PracticeAnswer.course_id == course_id)
            .order_by(PracticeAnswer.id)).all()
    assert [(a.answer, a.correct, a.module) for a in stored] == [
        (gold, True, OTHER_MODULE), ([gold[0]], False, OTHER_MODULE)]
