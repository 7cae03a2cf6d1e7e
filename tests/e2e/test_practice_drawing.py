"""Practice with the drawing tools on the real practice pages, in real Chromium.

An enrolled trainee draws two boxes with the mouse on a boxes item whose gold has three, relabels
one with a number key, checks the answer and sees the feedback overlay with the one box missed;
places keypoints on a points item and sees the OKS; selects a span of a spans item and sees it in
the feedback. The course is made through the services, with real PNG images. Elements are found
by role and accessible name; the pages must raise no console errors or CSP violations.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course, MediaFile
from courses.services import enrolment, items
from tests.e2e.steps import DESKTOP, PHONE, expect_fits_the_screen, log_in
from tests.e2e.test_widgets import png, select_text
from tests.factories import (
    BOXES_SPEC,
    POINTS_SPEC,
    PRACTICE_MANUAL,
    make_course,
    practice_natives,
)
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

SLUG = "drawing"
IMAGES = {"media/street.png": BOXES_SPEC, "media/pose.png": POINTS_SPEC}


def drawing_course(app: Flask, author: User, trainee: User) -> None:
    """A course with the boxes, points and spans items of the practice fixture, real images."""
    course_id = make_course(app, author, SLUG, versions=(PRACTICE_MANUAL,))
    with app.app_context():
        course = db.session.get(Course, course_id)
        for path, spec in IMAGES.items():
            content = png(spec["width"], spec["height"])
            db.session.add(MediaFile(course_id=course_id, path=path, content=content,
                                     sha256=hashlib.sha256(content).hexdigest()))
        natives = [n for n in practice_natives() if n["kind"] in ("boxes", "points", "spans")]
        items.upsert_items(course, natives, db.session.get(User, author.id), "test")
        enrolment.enrol(db.session.get(User, trainee.id), course,
                        enrolment.EnrollmentSource.SELF)
        db.session.commit()


@pytest.fixture
def trainee_on(app: Flask, page: Page, make_user):
    """Make the course, log the enrolled trainee in; returns a function opening an item."""
    trainee = make_user(Role.TRAINEE)
    drawing_course(app, make_user(Role.INSTRUCTOR), trainee)
    log_in(page, trainee.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()

    def open_item(module: str, key: str) -> Page:
        page.goto(f"/courses/{SLUG}/practice/{module}/{key}")
        expect(page.get_by_text("This task needs JavaScript")).to_have_attribute("hidden", "")
        return page

    return open_item


def image_area(page: Page) -> Locator:
    return page.get_by_role("application", name=re.compile("^Image to annotate"))


def screen(page: Page, spec: dict, x: float, y: float) -> tuple[float, float]:
    """Where image pixel (x, y) is on the screen, from the displayed image's rectangle."""
    box = image_area(page).locator("image").bounding_box()
    assert box is not None
    return (box["x"] + x * box["width"] / spec["width"],
            box["y"] + y * box["height"] / spec["height"])


def drag(page: Page, spec: dict, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*screen(page, spec, *start))
    page.mouse.down()
    page.mouse.move(*screen(page, spec, *end), steps=6)
    page.mouse.up()


def show_image(page: Page) -> None:
    image_area(page).evaluate("element => element.scrollIntoView({block: 'center'})")


def check(page: Page) -> Locator:
    """Submit the answer; returns the feedback region."""
    page.get_by_role("button", name="Check answer", exact=True).click()
    result = page.get_by_role("region", name="Not quite").or_(
        page.get_by_role("region", name="Correct"))
    expect(result).to_be_visible()
    # The page lands on the feedback, its heading focused (so read out), whatever its height.
    heading = result.get_by_role("heading", level=2).first
    expect(heading).to_be_focused()
    expect(heading).to_be_in_viewport()
    return result


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
def test_draws_two_boxes_relabels_one_with_a_key_and_sees_the_one_miss(
        trainee_on, browser_errors, viewport):
    page = trainee_on("street", "street")
    expect(page.get_by_role("heading", level=1)).to_have_text("Practice: Street scenes")
    expect(page.get_by_role("button", name="Label: car")).to_have_attribute(
        "aria-pressed", "true")
    status = page.get_by_role("status")

    # Gold: car (10, 10, 60×40), cyclist (120, 20, 30×60), pedestrian (160, 20, 20×50).
    show_image(page)
    drag(page, BOXES_SPEC, (10, 10), (70, 50))
    expect(status).to_have_text("Added car box 1")
    show_image(page)
    drag(page, BOXES_SPEC, (120, 20), (150, 80))  # still "car": the wrong label
    expect(status).to_have_text("Added car box 2")
    page.get_by_role("button", name=re.compile(r"^car box 2 at ")).first.focus()
    page.keyboard.press("3")
    expect(status).to_have_text("Relabelled box 2 as cyclist")
    expect_fits_the_screen(page, viewport)

    result = check(page)
    expect(result).to_have_accessible_name("Not quite")
    overlay = result.get_by_role("img", name="Your boxes drawn over the correct ones")
    expect(overlay).to_be_visible()
    expect(overlay.locator("rect.fb-gold-missed")).to_have_count(1)
    expect(overlay.locator("rect.fb-gold-matched")).to_have_count(2)
    expect(overlay.locator("rect.fb-answer-matched")).to_have_count(2)
    expect(result.get_by_text(re.compile(r"^Missed: "))).to_have_count(1)
    expect(result.get_by_text(re.compile(r"^Missed: "))).to_have_text(
        "Missed: pedestrian at (160, 20), 20 × 50")
    expect(result.get_by_text(re.compile(r"^(Extra|Wrong label): "))).to_have_count(0)
    expect(result).to_contain_text("The person walking a bicycle is a pedestrian.")
    # The form keeps the answer drawn, in image pixels.
    expect(page.get_by_role("button", name=re.compile(r"^cyclist box 2 at "))).to_have_count(2)
    expect_fits_the_screen(page, viewport)
    assert list(browser_errors) == []


def test_places_keypoints_and_sees_the_oks(trainee_on, browser_errors):
    page = trainee_on("pose", "pose")
    expect(page.get_by_role("heading", level=1)).to_have_text("Practice: Poses")
    status = page.get_by_role("status")
    show_image(page)
    # Gold: nose (100, 30), left wrist (60, 100), right wrist (140, 100); each a little off.
    for name, (x, y) in {"nose": (101, 31), "left_wrist": (61, 99),
                         "right_wrist": (139, 101)}.items():
        expect(page.get_by_role("button", name=f"Keypoint: {name}")).to_have_attribute(
            "aria-pressed", "true")  # the next keypoint to place comes by itself
        page.mouse.click(*screen(page, POINTS_SPEC, x, y))
        expect(status).to_have_text(re.compile(f"^Placed {name} of person 1 at "))

    result = check(page)
    expect(result).to_have_accessible_name("Correct")
    expect(result.get_by_role("img", name="Your keypoints drawn over the correct ones")
           ).to_be_visible()
    table = result.get_by_role("table", name=re.compile(r"^Person 1: your points are \d+% close"))
    expect(table).to_contain_text("close enough")
    expect(table.get_by_role("row")).to_have_count(4)  # the header and three keypoints
    assert list(browser_errors) == []


def test_selects_a_span_and_sees_it_in_the_feedback(trainee_on, browser_errors):
    page = trainee_on("calls", "call")
    expect(page.get_by_role("heading", level=1)).to_have_text("Practice: Calls")
    select_text(page, "want to cancel")
    expect(page.get_by_text("Selected: “want to cancel” (characters 2 to 16)")).to_be_visible()
    page.get_by_role("button", name="Label: intent").click()
    expect(page.get_by_role("status")).to_have_text("Added intent span 1: “want to cancel”")

    result = check(page)
    expect(result).to_have_accessible_name("Not quite")  # "my contract" is left out
    expect(result.get_by_role("heading", name="Your spans")).to_be_visible()
    yours = result.locator("h3:has-text('Your spans') + p")
    expect(yours.locator("mark")).to_have_text(["want to cancel"])
    expect(result.locator("h3:has-text('The correct spans') + p mark")).to_have_text(
        ["want to cancel", "my contract"])
    expect(result).to_contain_text("my contract")
    assert list(browser_errors) == []
