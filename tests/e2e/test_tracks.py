"""The tracks tool on the street-scenes demo's clip, in real Chromium.

An enrolled trainee opens the practice clip (a generated street, examples/street_clip.py),
starts the cyclist's track with the mouse on the first frame, scrubs to frame 11 and moves the
box onto the cyclist there (a second key frame; the frames between are interpolated), marks the
track out of view from frame 21, starts a second track with the keyboard, checks the answer and
reads the feedback: a timeline per road user and what happened in words. On a desktop and on a
360 px phone; the pages must raise no console errors or CSP violations.
"""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.services import catalog, enrolment
from courses.services.bundles import import_bundle
from tests.e2e.steps import DESKTOP, PHONE, expect_fits_the_screen, log_in
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

SLUG = "street-scenes"
WIDTH, HEIGHT = 320, 180  # a frame of the clip


def picture(page: Page) -> Locator:
    return page.get_by_role("application", name=re.compile("^Clip to annotate"))


def screen(page: Page, x: float, y: float) -> tuple[float, float]:
    """Where the frame's pixel (x, y) is on the screen."""
    box = picture(page).bounding_box()
    assert box is not None
    return box["x"] + x / WIDTH * box["width"], box["y"] + y / HEIGHT * box["height"]


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    picture(page).evaluate("element => element.scrollIntoView({block: 'center'})")
    page.mouse.move(*screen(page, *start))
    page.mouse.down()
    page.mouse.move(*screen(page, *end), steps=6)
    page.mouse.up()


def answer(page: Page) -> list[dict]:
    return json.loads(page.locator("#answer-json").input_value())


@pytest.fixture
def cyclist(repo_root) -> dict[str, dict]:
    """The cyclist's gold boxes in the practice clip, by frame."""
    for line in (repo_root / "examples" / SLUG / "items.jsonl").read_text().splitlines():
        item = json.loads(line)
        if item["id"] == "clip-01":
            return next(track["boxes"] for track in item["gold"] if track["label"] == "cyclist")
    raise AssertionError("the demo has no practice clip")


@pytest.fixture
def clip_item(app: Flask, page: Page, make_user, repo_root):
    """The demo course imported, the trainee enrolled and logged in on the practice clip."""
    trainee = make_user(Role.TRAINEE)
    with app.app_context():
        import_bundle(repo_root / "examples" / SLUG, actor=None)
        enrolment.enrol(db.session.get(User, trainee.id), catalog.find_course(SLUG),
                        enrolment.EnrollmentSource.SELF)
        db.session.commit()
    log_in(page, trainee.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto(f"/courses/{SLUG}/practice/following-tracks/clip-01")
    expect(page.get_by_text("This task needs JavaScript")).to_have_attribute("hidden", "")
    return page


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
def test_follows_the_cyclist_over_key_frames_and_reads_the_timeline(
        clip_item: Page, cyclist: dict, browser_errors, viewport):
    page = clip_item
    status = page.get_by_role("status").filter(has_text=re.compile("track|Frame|Label"))
    frames = page.get_by_role("group", name="Frames")
    now = frames.locator("output")
    expect(now).to_have_text("Frame 1 of 24")

    # Frame 1: the cyclist's box starts its track.
    page.get_by_role("button", name="Label: cyclist").click()
    first = cyclist["0"]
    drag(page, (first["x"], first["y"]), (first["x"] + first["w"], first["y"] + first["h"]))
    expect(status).to_contain_text("Started track 1 (cyclist) at frame 1")
    expect(page.get_by_role("heading", name="Your tracks (1)")).to_be_visible()

    # Frame 11: the box is held where it was; moved onto the cyclist it makes a key frame.
    frames.get_by_role("slider", name="Frame").fill("11")
    expect(now).to_have_text("Frame 11 of 24")
    there = cyclist["10"]
    drag(page, (first["x"] + first["w"] / 2, first["y"] + first["h"] / 2),
         (there["x"] + there["w"] / 2, there["y"] + there["h"] / 2))
    expect(status).to_contain_text("Moved track 1 (cyclist)")
    expect(status).to_contain_text("at frame 11")
    boxes = answer(page)[0]["boxes"]
    assert len(boxes) == 24  # held after the last key frame to the end of the clip
    assert abs(boxes["10"]["x"] - there["x"]) <= 2
    assert boxes["0"]["x"] < boxes["5"]["x"] < boxes["10"]["x"]  # interpolated in between
    page.get_by_role("button", name="Previous frame").click()
    expect(now).to_have_text("Frame 10 of 24")
    expect(picture(page).locator(".widget-box.is-interpolated")).to_have_count(1)

    # The keyboard: frames step on the picture, and the track goes out of view at frame 21.
    picture(page).focus()
    page.keyboard.press("Escape")
    page.keyboard.press("End")
    expect(now).to_have_text("Frame 24 of 24")
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    expect(status).to_contain_text("Frame 2 of 24: 1 track in view")
    page.get_by_role("button", name=re.compile("^Track 1, cyclist")).click()
    frames.get_by_role("slider", name="Frame").fill("21")
    out = page.get_by_role("button", name="Out of view from here")
    out.click()
    expect(out).to_have_attribute("aria-pressed", "true")
    expect(status).to_contain_text("track 1 (cyclist) is out of view from frame 21")
    assert sorted(map(int, answer(page)[0]["boxes"])) == list(range(20))
    expect(page.get_by_role("button", name=re.compile("^Track 1, cyclist"))).to_contain_text(
        "in view in frames 1–20; key frames 1, 11")

    # A second track with the keyboard only: N, a car, moved with the arrows.
    picture(page).focus()
    page.keyboard.press("1")  # label car for new tracks
    page.keyboard.press("n")
    expect(status).to_contain_text("Started track 2 (car) at frame 21")
    page.keyboard.press("Control+ArrowRight")
    expect(status).to_contain_text("Moved track 2 (car)")
    assert [track["label"] for track in answer(page)] == ["cyclist", "car"]

    page.get_by_role("button", name="Check answer", exact=True).click()
    feedback = page.get_by_role("region", name="Not quite")
    expect(feedback).to_be_visible()
    expect(feedback.get_by_role("img", name=re.compile("Your tracks over the correct ones"))
           ).to_be_visible()
    timelines = feedback.get_by_role("list", name="Each correct track, frame by frame")
    expect(timelines.get_by_role("img")).to_have_count(4)
    expect(feedback).to_contain_text("The cyclist was followed in")
    expect(feedback).to_contain_text("It was lost in frames 19 to 24.")
    expect(feedback).to_contain_text("The pedestrian was never followed")
    expect(feedback).not_to_contain_text("HOTA")
    expect_fits_the_screen(page, viewport)
    assert browser_errors == []
