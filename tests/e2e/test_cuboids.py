"""The cuboids tool on the street-scenes demo's lidar lesson, in real Chromium.

An enrolled trainee opens the practice item of the lidar lesson (a generated street cloud,
examples/street_clouds.py), draws a cuboid around the motorcycle with the mouse, turns it with
the keyboard, draws one around the oncoming car but leaves it facing the wrong way, checks the
answer and reads in the feedback which cars were missed and how far the car's cuboid is turned.
On a desktop and on a 360 px phone; the pages must raise no console errors or CSP violations.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from bootcamp.users.models import Role
from tests.e2e.steps import DESKTOP, PHONE, expect_fits_the_screen, open_demo_item

pytestmark = pytest.mark.e2e

SLUG = "street-scenes"
RANGE = {"x": (-30, 30), "y": (-12, 12)}  # the lidar items' spec.range


def cloud_area(page: Page) -> Locator:
    return page.get_by_role("application", name=re.compile("^Point cloud seen from above"))


def screen(page: Page, x: float, y: float) -> tuple[float, float]:
    """Where the ground point (x, y) metres is on the screen: +x right, +y up."""
    box = cloud_area(page).bounding_box()
    assert box is not None
    (x0, x1), (y0, y1) = RANGE["x"], RANGE["y"]
    return (box["x"] + (x - x0) / (x1 - x0) * box["width"],
            box["y"] + (y1 - y) / (y1 - y0) * box["height"])


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag on the cloud from one ground point to another (metres), the cloud in view."""
    cloud_area(page).evaluate("element => element.scrollIntoView({block: 'center'})")
    page.mouse.move(*screen(page, *start))
    page.mouse.down()
    page.mouse.move(*screen(page, *end), steps=6)
    page.mouse.up()


@pytest.fixture
def lidar_item(app: Flask, page: Page, make_user, repo_root):
    """The demo course imported, the trainee enrolled and logged in on the lidar practice item."""
    open_demo_item(app, page, make_user(Role.TRAINEE), repo_root, SLUG,
                   "practice/lidar-cuboids/lidar-01")
    expect(page.get_by_role("status").filter(has_text="Point cloud loaded")).to_have_text(
        re.compile(r"Point cloud loaded: [\d,]+ points\."))
    return page


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
def test_draws_and_turns_cuboids_and_reads_the_miss_and_the_heading(
        lidar_item: Page, browser_errors, viewport):
    page = lidar_item
    status = page.get_by_role("status").filter(has_text=re.compile("cuboid|Label"))

    # The motorcycle: 6.0 m ahead, 1.2 m to the right, 2.1 x 0.8 m, turned 20° to the left.
    page.get_by_role("button", name="Label: motorcycle").click()
    drag(page, (4.9, -1.75), (7.1, -0.65))
    expect(status).to_contain_text("Added motorcycle cuboid 1")
    expect(status).to_contain_text("its height fitted to the points inside")
    for _ in range(4):
        page.keyboard.press("[")
    expect(status).to_contain_text("Turned left by 5°: motorcycle cuboid 1")
    expect(status).to_contain_text("facing 20°")
    editor = page.get_by_role("group", name="Cuboid 1: motorcycle")
    expect(editor.get_by_label("Heading (° to the left)")).to_have_value("20")
    assert float(editor.get_by_label("Ground level: bottom (m)").input_value()) < -1.6
    height = editor.get_by_label("Height (m)")
    height.fill("1.6")
    height.press("Enter")  # sets the height; does not send the unfinished answer
    expect(status).to_contain_text("Changed: motorcycle cuboid 1")
    expect(status).to_contain_text("by 1.6 metres")
    expect(page.get_by_role("region", name="Not quite")).to_have_count(0)

    # The oncoming car, 16.5 m ahead and 2 m to the left, drawn but left facing forward.
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Label: car").click()
    drag(page, (14.3, 1.1), (18.7, 2.9))
    expect(status).to_contain_text("Added car cuboid 2")
    expect(page.get_by_role("heading", name="Your cuboids (2)")).to_be_visible()

    result = page.get_by_role("button", name="Check answer", exact=True)
    result.click()
    feedback = page.get_by_role("region", name="Not quite")
    expect(feedback).to_be_visible()
    expect(feedback.get_by_role("img", name=re.compile("Your cuboids drawn over"))).to_be_visible()
    notes = feedback.get_by_role("listitem")
    expect(notes.filter(has_text="The motorcycle's box")).to_contain_text(
        "your box overlaps the correct one by")
    expect(notes.filter(has_text="The car's box")).to_contain_text(
        "is turned 180° from the correct heading")
    for missed in ("9.0 m ahead, 4.6 m to the right", "8.0 m behind, 4.5 m to the right"):
        expect(notes.filter(has_text=f"Missed: the car {missed}.")).to_be_visible()
    expect(feedback).to_contain_text("2 of 4 cuboids right")
    expect(feedback).not_to_contain_text("IoU")
    expect_fits_the_screen(page, viewport)
    assert browser_errors == []
