"""Course pages outside exams/ show the trainee's qualification and put the exam first when due."""

from __future__ import annotations

import re

from bootcamp.extensions import db
from exams.services import attempts
from tests.factories import WORLD_MANUAL_V2, make_world, publish, signed_in, take


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_cards_and_course_home_show_a_refresh_that_is_due(app, make_user):
    world = make_world(app, make_user)
    with app.app_context():
        take(world, world.trainee)
        publish(world, WORLD_MANUAL_V2, ["hats"])
    client = signed_in(app, world.trainee)
    for page in ("/dashboard", "/courses/"):
        text = words(client.get(page))
        assert "Qualification Needs a refresh" in text
        assert re.search(r"Next: Take the refresh exam by \d+ \w+ \d{4}", text), text
    home = words(client.get("/courses/exam-course"))
    assert "pass the refresh exam by" in home and "Take the refresh exam" in home


def test_cards_and_course_home_offer_to_resume_an_open_attempt(app, make_user):
    world = make_world(app, make_user)
    with app.app_context():
        attempt = attempts.start(world.user(world.trainee), world.course())
        db.session.commit()
        take_url = f"/attempts/{attempt.id}"
    client = signed_in(app, world.trainee)
    card = client.get("/dashboard").get_data(as_text=True)
    assert f'<a href="{take_url}">Resume your exam</a>' in card
    home = client.get("/courses/exam-course").get_data(as_text=True)
    assert f'href="{take_url}">Resume your exam</a>' in home


def test_a_qualified_trainee_is_told_until_when(app, make_user):
    world = make_world(app, make_user)
    with app.app_context():
        take(world, world.trainee)
    text = words(signed_in(app, world.trainee).get("/courses/exam-course"))
    assert re.search(r"You are qualified until \d+ \w+ \d{4}", text)
