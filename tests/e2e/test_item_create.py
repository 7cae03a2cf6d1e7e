"""An instructor creates gold items in the browser, in real Chromium: a boxes item whose gold
is drawn with the mouse on an uploaded image, and a choice item; then finds both in Gold items
(reached from Manage) and sees each gold drawn in its history. Desktop and phone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bootcamp.users.models import Role
from tests.e2e.steps import DESKTOP, expect_fits_the_screen, log_in
from tests.e2e.test_widgets import png
from tests.factories import PRACTICE_MANUAL, make_course
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")  # noqa: S108  (a fixed place to look at them)
PHONE_390 = {"width": 390, "height": 844}
WIDTH, HEIGHT = 320, 200


def image_area(page: Page):
    return page.get_by_role("application", name=re.compile("^Image to annotate"))


def screen(page: Page, x: float, y: float) -> tuple[float, float]:
    """Where image pixel (x, y) is on the screen."""
    box = image_area(page).locator("image").bounding_box()
    assert box is not None
    return box["x"] + x * box["width"] / WIDTH, box["y"] + y * box["height"] / HEIGHT


def shot(page: Page, name: str, viewport: dict) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"item-create-{name}-{viewport['width']}.png"),
                    full_page=True)


def open_new_item(page: Page, title: str, kind: str) -> None:
    """From Manage: the course's Gold items, New item, then the kind."""
    page.goto("/courses/manage")
    page.get_by_role("link", name=f"Gold items of {title}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gold items")
    page.get_by_role("link", name="New item", exact=True).click()
    page.get_by_role("link", name=kind, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"New {kind.lower()} item")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE_390], ids=["desktop", "phone"])
def test_an_instructor_draws_a_boxes_gold_and_picks_a_choice_gold(
        app, page: Page, make_user, browser_errors, viewport):
    instructor = make_user(Role.INSTRUCTOR)
    make_course(app, instructor, "streets", title="City traffic", versions=(PRACTICE_MANUAL,))
    log_in(page, instructor.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()

    open_new_item(page, "City traffic", "Boxes")
    page.get_by_label("Key (optional)").fill("crossing")
    page.get_by_label("Prompt (optional)").fill("Box every car.")
    page.get_by_label("Image (PNG, JPEG or GIF)").set_input_files(
        {"name": "crossing.png", "mimeType": "image/png", "buffer": png(WIDTH, HEIGHT)})
    page.get_by_label("Labels").fill("car\npedestrian")
    page.get_by_label("Street scenes").check()
    expect_fits_the_screen(page, viewport)
    page.get_by_role("button", name="Next: give the gold").click()
    expect(page.get_by_role("heading", name="2. The gold answer")).to_be_visible()
    expect(page.get_by_text("This task needs JavaScript")).to_have_attribute("hidden", "")
    expect(page.get_by_label("Prompt (optional)")).to_have_value("Box every car.")
    image_area(page).evaluate("element => element.scrollIntoView({block: 'center'})")
    page.mouse.move(*screen(page, 40, 40))
    page.mouse.down()
    page.mouse.move(*screen(page, 160, 120), steps=6)
    page.mouse.up()
    expect(page.get_by_role("status")).to_have_text("Added car box 1")
    expect_fits_the_screen(page, viewport)
    shot(page, "boxes-gold", viewport)
    page.get_by_role("button", name="Save item").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Item crossing")
    drawing = page.get_by_role("img", name="The correct boxes")
    expect(drawing).to_be_visible()
    expect(drawing.locator("rect")).to_have_count(1)
    expect(page.get_by_text(re.compile(r"^Box 1: car at \((39|40|41)"))).to_be_visible()
    expect(page.get_by_text("What changed: first gold.")).to_be_visible()
    expect(page.locator("pre")).to_have_count(0)
    expect_fits_the_screen(page, viewport)
    shot(page, "boxes-history", viewport)

    open_new_item(page, "City traffic", "Choice")
    page.get_by_label("Prompt (optional)").fill("Is a shoe clothing?")
    page.get_by_label("Options").fill("yes\nno")
    page.get_by_role("button", name="Next: give the gold").click()
    page.get_by_role("group", name="Is a shoe clothing?").get_by_label("yes").check()
    page.get_by_role("checkbox", name="Exam", exact=True).check()
    page.get_by_role("button", name="Save item").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Item is-a-shoe-clothing")
    options = page.get_by_role("list", name="The options and the correct answer")
    expect(options.get_by_role("listitem").filter(has_text="correct answer")).to_have_text(
        re.compile(r"^\s*yes\s+correct answer\s*$"))
    shot(page, "choice-history", viewport)

    page.get_by_role("link", name="Gold items", exact=True).click()
    table = page.get_by_role("table", name="Gold items of City traffic")
    expect(table.get_by_role("link", name="crossing", exact=True)).to_be_visible()
    expect(table.get_by_role("link", name="is-a-shoe-clothing", exact=True)).to_be_visible()
    expect_fits_the_screen(page, viewport)
    shot(page, "bank", viewport)
    assert browser_errors == []
