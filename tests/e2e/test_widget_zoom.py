"""Zoom, pan and tags of the drawing tools (static/js/widgets/), in real Chromium.

Issue 13, point 19: on a phone a 20-pixel car must be boxable, so the image zooms and pans
(buttons, keys, Ctrl+wheel, two fingers, a pan mode) while every pointer still lands on the
image pixel under it: the answer is in image pixels whatever the zoom. Tags of close or nested
boxes and keypoints keep clear of each other. The widget pages are test_widgets.py's.
"""

from __future__ import annotations

import itertools
import json
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import test_widgets
from tests.e2e.conftest import BrowserErrors
from tests.e2e.steps import DESKTOP
from tests.e2e.test_widgets import (
    BOXES,
    HEIGHT,
    POINTS,
    WIDTH,
    WidgetSite,
    answer_of,
    assert_near,
    image_area,
    screen,
    show_image,
    status,
    touch_phone,
)

# test_widgets.py's fixtures: its own small site serving the widget pages.
site = test_widgets.site
open_widget = test_widgets.open_widget

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def view_box(page: Page) -> list[float]:
    """The part of the image shown: x, y, width, height in image pixels."""
    return [float(v) for v in image_area(page).get_attribute("viewBox").split()]


def zoom_of(page: Page) -> float:
    return WIDTH / view_box(page)[2]


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A mouse drag between two image pixels, wherever the zoom puts them on the screen."""
    page.mouse.move(*screen(page, *start))
    page.mouse.down()
    page.mouse.move(*screen(page, *end), steps=6)
    page.mouse.up()


def on_screen(page: Page, x: float, y: float) -> bool:
    """Whether image pixel (x, y) is in the shown part of the image."""
    box = image_area(page).bounding_box()
    sx, sy = screen(page, x, y)
    return box["x"] <= sx <= box["x"] + box["width"] and box["y"] <= sy <= box["y"] + box["height"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_zoom_buttons_then_a_small_box_lands_in_image_pixels(open_widget, viewport: dict) -> None:
    page = open_widget("boxes", BOXES, viewport=viewport)
    show_image(page)
    zoom = page.get_by_role("toolbar", name="Zoom")
    for name in ("Zoom out", "Zoom in", "Reset zoom", "Pan the image"):
        button = zoom.get_by_role("button", name=name, exact=True)
        size = button.bounding_box()
        assert size["width"] >= 44 and size["height"] >= 44, (name, size)  # finger-sized
    shown = image_area(page).bounding_box()
    whole = image_area(page).locator("image").bounding_box()
    zoom.get_by_role("button", name="Zoom in", exact=True).click()
    expect(status(page)).to_have_text("Zoom 1.5×")
    zoom.get_by_role("button", name="Zoom in", exact=True).click()
    expect(status(page)).to_have_text("Zoom 2.3×")
    assert abs(zoom_of(page) - 2.25) < 1e-6
    assert image_area(page).bounding_box() == shown  # the image is bigger, not the tool
    image = image_area(page).locator("image").bounding_box()
    assert abs(image["width"] - 2.25 * whole["width"]) < 1

    # A 20 by 14 pixel car in the middle of the image, drawn while zoomed in.
    show_image(page)
    drag(page, (310, 233), (330, 247))
    expect(status(page)).to_have_text("Added car box 1")
    assert_near(answer_of(page)[0], {"label": "car", "x": 310, "y": 233, "w": 20, "h": 14})
    frame = image_area(page).locator(".widget-frame").bounding_box()
    # Drawn at the zoom too (its 3-pixel outline included).
    assert abs(frame["width"] - 20 * image["width"] / WIDTH) <= 4

    # Resize it by its corner, still zoomed in.
    drag(page, (330, 247), (336, 251))
    expect(status(page)).to_have_text(re.compile("^Resized car box 1"))
    assert_near(answer_of(page)[0], {"label": "car", "x": 310, "y": 233, "w": 26, "h": 18})

    zoom.get_by_role("button", name="Zoom out", exact=True).click()
    assert abs(zoom_of(page) - 1.5) < 1e-6
    zoom.get_by_role("button", name="Reset zoom", exact=True).click()
    assert view_box(page) == [0, 0, WIDTH, HEIGHT]
    assert_near(answer_of(page)[0], {"label": "car", "x": 310, "y": 233, "w": 26, "h": 18})


def test_zoom_and_pan_with_the_keyboard(open_widget) -> None:
    page = open_widget("boxes", BOXES)
    keys = page.get_by_text(re.compile("^Keys: "))
    expect(keys).to_contain_text("+ and − zoom in and out, 0 shows the whole image")
    image_area(page).focus()
    page.keyboard.press("+")
    assert abs(zoom_of(page) - 1.5) < 1e-6
    page.keyboard.press("=")  # + without Shift
    assert abs(zoom_of(page) - 2.25) < 1e-6
    page.keyboard.press("-")
    assert abs(zoom_of(page) - 1.5) < 1e-6
    page.keyboard.press("0")
    assert view_box(page) == [0, 0, WIDTH, HEIGHT]
    for _ in range(6):
        page.keyboard.press("+")
    assert abs(zoom_of(page) - 8) < 1e-6  # at most 8×
    x, y, w, h = view_box(page)
    assert (x + w / 2, y + h / 2) == pytest.approx((WIDTH / 2, HEIGHT / 2))  # the middle

    # With no box chosen the arrows move the view; never off the image.
    page.keyboard.press("ArrowRight")
    assert view_box(page)[0] > x
    for _ in range(100):
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowUp")
    assert view_box(page)[:2] == [0, 0]
    # At 8× a box in the top left corner, drawn with the mouse.
    show_image(page)
    drag(page, (10, 8), (30, 22))
    expect(status(page)).to_have_text("Added car box 1")
    assert_near(answer_of(page)[0], {"label": "car", "x": 10, "y": 8, "w": 20, "h": 14})
    # The chosen box takes the arrows again: they move it, not the view.
    page.keyboard.press("ArrowRight")
    expect(status(page)).to_have_text("car box 1 at 11, 8, 20 by 14")
    assert view_box(page)[:2] == [0, 0]


def test_ctrl_wheel_zooms_at_the_pointer_and_a_plain_wheel_scrolls_the_page(open_widget) -> None:
    page = open_widget("points", POINTS)
    keys = page.get_by_text(re.compile("^Keys: "))
    expect(keys).to_contain_text("Ctrl+wheel or two fingers zoom")
    show_image(page)
    page.mouse.move(*screen(page, 160, 120))
    page.mouse.wheel(0, 100)  # no Ctrl: the page's, not the tool's
    page.wait_for_timeout(200)
    assert zoom_of(page) == 1
    page.mouse.move(*screen(page, 160, 120))
    before = screen(page, 160, 120)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -100)
    page.keyboard.up("Control")
    expect(status(page)).to_have_text(re.compile(r"^Zoom \d"))
    assert zoom_of(page) > 1.4
    after = screen(page, 160, 120)
    assert abs(after[0] - before[0]) < 1 and abs(after[1] - before[1]) < 1  # still under it
    page.mouse.click(*screen(page, 170, 130))
    expect(status(page)).to_have_text(re.compile("^Placed nose of person 1 at "))
    [person] = answer_of(page)
    assert_near(dict(zip("xy", person["keypoints"]["nose"][:2], strict=True)), {"x": 170, "y": 130})


def test_pan_mode_and_space_drag_move_the_view_and_draw_nothing(open_widget) -> None:
    page = open_widget("boxes", BOXES)
    show_image(page)
    zoom = page.get_by_role("toolbar", name="Zoom")
    for _ in range(2):
        zoom.get_by_role("button", name="Zoom in", exact=True).click()
    pan = zoom.get_by_role("button", name="Pan the image", exact=True)
    pan.click()
    expect(pan).to_have_attribute("aria-pressed", "true")
    start = view_box(page)
    page.mouse.move(*screen(page, 320, 240))
    page.mouse.down()
    page.mouse.move(*screen(page, 280, 220), steps=5)  # the image follows the mouse
    page.mouse.up()
    moved = view_box(page)
    assert abs(moved[0] - (start[0] + 40)) < 1 and abs(moved[1] - (start[1] + 20)) < 1
    assert answer_of(page) == []
    pan.click()
    expect(pan).to_have_attribute("aria-pressed", "false")

    # Space held: the mouse pans; let go, it draws again.
    image_area(page).focus()
    page.keyboard.down(" ")
    page.mouse.move(*screen(page, 320, 240))
    page.mouse.down()
    page.mouse.move(*screen(page, 340, 250), steps=5)
    page.mouse.up()
    page.keyboard.up(" ")
    assert abs(view_box(page)[0] - (moved[0] - 20)) < 1
    assert answer_of(page) == []
    assert on_screen(page, 300, 230) and on_screen(page, 330, 250)
    drag(page, (300, 230), (330, 250))
    expect(status(page)).to_have_text("Added car box 1")
    assert_near(answer_of(page)[0], {"label": "car", "x": 300, "y": 230, "w": 30, "h": 20})


def test_two_fingers_pinch_and_pan_then_one_draws(browser: Browser, site: WidgetSite,
                                                  browser_errors: BrowserErrors) -> None:
    """Touches go in through the DevTools protocol, so Chromium makes the pointer events."""
    with touch_phone(browser, site, browser_errors) as (page, touch):
        page.goto(site.add("boxes", BOXES))
        show_image(page)
        scrolled = page.evaluate("window.scrollY")
        (cx, cy) = screen(page, 320, 240)
        touch("touchStart", (cx - 20, cy))
        touch("touchStart", (cx - 20, cy), (cx + 20, cy))
        for step in range(1, 7):  # the fingers spread from 40 to 100 screen pixels apart
            touch("touchMove", (cx - 20 - 5 * step, cy), (cx + 20 + 5 * step, cy))
        touch("touchEnd")
        assert abs(zoom_of(page) - 2.5) < 0.05
        after = screen(page, 320, 240)
        assert abs(after[0] - cx) < 1 and abs(after[1] - cy) < 1  # pinched about the middle
        assert answer_of(page) == []  # the first finger drew nothing
        assert page.evaluate("window.scrollY") == scrolled

        # Two fingers moving together pan the view.
        before = view_box(page)
        touch("touchStart", (cx - 30, cy), (cx + 30, cy))
        for step in range(1, 5):
            touch("touchMove", (cx - 30 - 10 * step, cy), (cx + 30 - 10 * step, cy))
        touch("touchEnd")
        shift = (view_box(page)[0] - before[0]) * image_area(page).bounding_box()["width"] \
            / view_box(page)[2]
        assert abs(shift - 40) < 2, shift  # 40 screen pixels to the left: the view goes right
        assert answer_of(page) == []

        # One finger draws, at the zoom, in image pixels.
        (x0, y0), (x1, y1) = screen(page, 330, 235), screen(page, 350, 250)
        touch("touchStart", (x0, y0))
        for i in range(1, 7):
            touch("touchMove", (x0 + (x1 - x0) * i / 6, y0 + (y1 - y0) * i / 6))
        touch("touchEnd")
        expect(status(page)).to_have_text("Added car box 1")
        assert_near(answer_of(page)[0], {"label": "car", "x": 330, "y": 235, "w": 20, "h": 15})

        # On the keypoints tool the first finger of a pinch places no point.
        page.goto(site.add("points", POINTS))
        show_image(page)
        (cx, cy) = screen(page, 320, 240)
        touch("touchStart", (cx - 20, cy))
        touch("touchStart", (cx - 20, cy), (cx + 20, cy))
        for step in range(1, 4):
            touch("touchMove", (cx - 20 - 10 * step, cy), (cx + 20 + 10 * step, cy))
        touch("touchEnd")
        assert abs(zoom_of(page) - 2.5) < 0.05
        assert answer_of(page) == []
        expect(image_area(page).locator(".widget-point")).to_have_count(0)
    assert list(browser_errors) == []


def tag_rects(page: Page) -> list[dict]:
    return image_area(page).locator(".widget-tag").evaluate_all(
        "tags => tags.map(t => { const r = t.getBoundingClientRect(); "
        "return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, "
        "text: t.textContent}; })")


def assert_apart_and_inside(page: Page, rects: list[dict]) -> None:
    for a, b in itertools.combinations(rects, 2):
        apart = (a["right"] <= b["left"] or b["right"] <= a["left"]
                 or a["bottom"] <= b["top"] or b["bottom"] <= a["top"])
        assert apart, f"tags {a} and {b} overlap"
    area = image_area(page).bounding_box()
    for r in rects:
        assert area["x"] <= r["left"] and r["right"] <= area["x"] + area["width"] + 0.5, r
        assert area["y"] <= r["top"] and r["bottom"] <= area["y"] + area["height"] + 0.5, r


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_tags_of_close_and_nested_boxes_do_not_overlap(open_widget, viewport: dict) -> None:
    boxes = [{"label": "car", "x": 100, "y": 100, "w": 120, "h": 80},
             {"label": "pedestrian", "x": 104, "y": 104, "w": 120, "h": 80},
             {"label": "cyclist", "x": 110, "y": 112, "w": 30, "h": 30},
             {"label": "car", "x": 226, "y": 100, "w": 40, "h": 40},
             {"label": "car", "x": 600, "y": 0, "w": 40, "h": 20}]  # in the top right corner
    page = open_widget("boxes", BOXES, answer=json.dumps(boxes), viewport=viewport)
    show_image(page)
    rects = tag_rects(page)
    assert [r["text"] for r in rects] == ["1 car", "2 pedestrian", "3 cyclist", "4 car", "5 car"]
    assert_apart_and_inside(page, rects)
    page.get_by_role("toolbar", name="Zoom").get_by_role("button", name="Zoom in").click()
    zoomed = tag_rects(page)
    assert_apart_and_inside(page, zoomed[:4])
    # The box in the corner is out of view: so is its tag, not stuck to the edge of the view.
    area = image_area(page).bounding_box()
    assert zoomed[4]["left"] >= area["x"] + area["width"] or zoomed[4]["bottom"] <= area["y"]
    assert answer_of(page) == boxes


def test_names_of_close_keypoints_do_not_overlap(open_widget) -> None:
    points = [{"keypoints": {"nose": [300, 200, 2], "left_wrist": [304, 204, 2],
                             "right_wrist": [296, 206, 2], "left_knee": [638, 2, 2]}}]
    page = open_widget("points", POINTS, answer=json.dumps(points))
    show_image(page)
    rects = tag_rects(page)
    assert sorted(r["text"] for r in rects) == ["left_knee", "left_wrist", "nose", "right_wrist"]
    assert_apart_and_inside(page, rects)
