"""The annotation widgets (static/js/widgets/) in real Chromium, on a page of their own.

The practice page is not needed: a tiny Flask app made here (not a product route) serves the real
static folder, a generated PNG and the contract markup, with the product's Content-Security-Policy,
so an inline script or style would show up as a console error (and every test fails on those).
Mouse, keyboard and touch-sized layouts are driven like a trainee would; the hidden answer field
must hold what graders.validate_answer accepts, in image pixels or code points, and a plain form
post must send it. Elements are found by role and accessible name.
"""

from __future__ import annotations

import html
import json
import re
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, Response, request
from playwright.sync_api import Browser, Locator, Page, Route, expect
from werkzeug.serving import make_server

import graders
from bootcamp.security import CONTENT_SECURITY_POLICY
from tests.e2e.conftest import BrowserErrors
from tests.e2e.steps import DESKTOP, PHONE, expect_fits_the_screen

pytestmark = pytest.mark.e2e

STATIC = Path(__file__).resolve().parents[2] / "bootcamp" / "static"
MEDIA = "/courses/demo/media/street.png"
WIDTH, HEIGHT = 640, 480
BOXES = {"width": WIDTH, "height": HEIGHT, "labels": ["car", "pedestrian", "cyclist"]}
POINTS = {"width": WIDTH, "height": HEIGHT,
          "keypoints": ["nose", "left_wrist", "right_wrist", "left_knee"]}
TEXT = "Olá 👋 pizza e café ☕ à noite.\nAté amanhã!"
SPANS = {"text": TEXT, "labels": ["greeting", "food"]}

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Widget test</title>
  <link rel="stylesheet" href="/static/css/bootcamp.css">
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <script type="module" src="/static/js/widgets/index.js"></script>
</head>
<body>
<main id="main">
  <h1>Practice</h1>
  <form method="post">
    <div class="widget" data-kind="{kind}" data-spec='{spec}' data-media="{media}"
         data-widget="/static/js/widgets/{kind}.js">
      <input type="hidden" name="answer" id="answer-json" value='{answer}'>
      <p class="widget-fallback">This task needs JavaScript to draw on the image.</p>
    </div>
    <button type="submit">Check answer</button>
  </form>
</main>
</body>
</html>
"""
CHECKED = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checked</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml"></head><body><p>Checked.</p>
</body></html>"""


def png(width: int, height: int) -> bytes:
    """A checkerboard PNG (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    light, dark = bytes((170, 185, 200)), bytes((90, 105, 120))
    rows = []
    for y in range(height):
        cells = [light if (x // 40 + y // 40) % 2 else dark for x in range(width)]
        rows.append(b"\x00" + b"".join(cells))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


class WidgetSite:
    """The test's own site: pages to show, and the form posts it received."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.posts: list[dict] = []
        self.base_url = ""

    def add(self, kind: str, spec: dict, answer: str = "[]") -> str:
        """Register a page with one widget; returns its path."""
        path = f"/practice/{len(self.pages)}"
        self.pages[path] = PAGE.format(
            kind=kind, spec=html.escape(json.dumps(spec), quote=True), media=MEDIA,
            answer=html.escape(answer, quote=True),
        )
        return path


def make_site(site: WidgetSite) -> Flask:
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    image = png(WIDTH, HEIGHT)

    @app.route("/practice/<int:number>", methods=["GET", "POST"])
    def practice(number: int) -> Response:
        if request.method == "POST":
            site.posts.append(request.form.to_dict(flat=False))
            return Response(CHECKED, mimetype="text/html")
        return Response(site.pages[request.path], mimetype="text/html")

    @app.get(MEDIA)
    def media() -> Response:
        return Response(image, mimetype="image/png")

    @app.after_request
    def csp(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return app


@pytest.fixture(scope="module")
def site() -> Iterator[WidgetSite]:
    """Serve the widget pages on a free port in a background thread."""
    site = WidgetSite()
    server = make_server("127.0.0.1", 0, make_site(site), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    site.base_url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def open_widget(site: WidgetSite, new_page, browser_errors: BrowserErrors):
    """Open a page with one widget of `kind`; every test ends with no browser error."""
    def open_page(kind: str, spec: dict, answer: str = "[]", viewport: dict = DESKTOP) -> Page:
        page = new_page(site.base_url, viewport)
        page.goto(site.add(kind, spec, answer))
        # The tool started: it set the notice's hidden attribute (the notice is invisible for
        # its first 2 s anyway, so being hidden says nothing).
        expect(page.get_by_text("This task needs JavaScript")).to_have_attribute("hidden", "")
        return page

    yield open_page
    assert list(browser_errors) == []


def answer_of(page: Page) -> list:
    return json.loads(page.locator("#answer-json").input_value())


def status(page: Page) -> Locator:
    return page.get_by_role("status")


def image_area(page: Page) -> Locator:
    return page.get_by_role("application", name=re.compile("^Image to annotate"))


def screen(page: Page, x: float, y: float) -> tuple[float, float]:
    """Where image pixel (x, y) is on the screen, from the displayed image's own rectangle."""
    box = image_area(page).locator("image").bounding_box()
    assert box is not None
    return box["x"] + x * box["width"] / WIDTH, box["y"] + y * box["height"] / HEIGHT


def show_image(page: Page) -> None:
    image_area(page).evaluate("element => element.scrollIntoView({block: 'center'})")


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*screen(page, *start))
    page.mouse.down()
    page.mouse.move(*screen(page, *end), steps=6)
    page.mouse.up()


def assert_near(actual: dict, expected: dict) -> None:
    """Same keys; numbers within a pixel (screen to image conversion and rounding)."""
    assert actual.keys() == expected.keys(), actual
    for key, value in expected.items():
        if isinstance(value, int | float):
            assert abs(actual[key] - value) <= 1, f"{key}: {actual} is not near {expected}"
        else:
            assert actual[key] == value, actual


def submit(page: Page, site: WidgetSite) -> list:
    """Post the form like a trainee; returns the answer the server received."""
    sent = len(site.posts)
    page.get_by_role("button", name="Check answer").click()
    expect(page.get_by_text("Checked.")).to_be_visible()
    assert len(site.posts) == sent + 1
    form = site.posts[-1]
    assert list(form) == ["answer"] and len(form["answer"]) == 1, form  # no widget control leaks
    return json.loads(form["answer"][0])


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_boxes_with_the_mouse(open_widget, site: WidgetSite, viewport: dict) -> None:
    page = open_widget("boxes", BOXES, viewport=viewport)
    toolbar = page.get_by_role("toolbar", name="Label for new boxes")
    expect(toolbar.get_by_role("button", name="Label: car")).to_have_attribute(
        "aria-pressed", "true")
    expect(toolbar.get_by_role("button", name="Label: car")).to_have_attribute(
        "aria-keyshortcuts", "1")
    keys = page.get_by_text("Shift+arrows resize")
    expect(keys).to_be_visible() if viewport is DESKTOP else expect(keys).to_be_hidden()
    show_image(page)

    drag(page, (60, 50), (260, 200))
    expect(status(page)).to_have_text("Added car box 1")
    page.get_by_role("button", name="Label: pedestrian").click()
    show_image(page)
    drag(page, (350, 220), (450, 420))
    expect(status(page)).to_have_text("Added pedestrian box 2")
    boxes = answer_of(page)
    assert len(boxes) == 2
    assert_near(boxes[0], {"label": "car", "x": 60, "y": 50, "w": 200, "h": 150})
    assert_near(boxes[1], {"label": "pedestrian", "x": 350, "y": 220, "w": 100, "h": 200})
    car = boxes[0]

    # Relabel box 1 with a number key, then nudge it with the arrows (Ctrl: 10 pixels).
    first = page.get_by_role("button", name=re.compile(r"^car box 1 at "))
    expect(first).to_have_count(2)  # on the image, and in the list below it
    first.first.focus()
    page.keyboard.press("3")
    expect(status(page)).to_have_text("Relabelled box 1 as cyclist")
    expect(page.get_by_role("button", name="Label: pedestrian")).to_have_attribute(
        "aria-pressed", "true")  # still the label for new boxes
    for key in ("ArrowRight", "ArrowRight", "Control+ArrowRight", "ArrowDown"):
        page.keyboard.press(key)
    moved = {**car, "label": "cyclist", "x": car["x"] + 12, "y": car["y"] + 1}
    expect(status(page)).to_have_text(
        f"cyclist box 1 at {moved['x']}, {moved['y']}, {car['w']} by {car['h']}")
    expect(page.get_by_role("button", name=f"cyclist box 1 at {moved['x']}, {moved['y']}, "
                                           f"{car['w']} by {car['h']}")).to_have_count(2)

    # Delete box 2 from the keyboard.
    page.get_by_role("button", name=re.compile(r"^pedestrian box 2 at ")).first.focus()
    page.keyboard.press("Delete")
    expect(status(page)).to_have_text("Deleted pedestrian box 2")
    assert answer_of(page) == [moved]
    assert graders.validate_answer("boxes", BOXES, answer_of(page)) is None
    expect(page.get_by_role("button", name="Delete cyclist box 1")).to_be_visible()
    expect_fits_the_screen(page, viewport)
    assert submit(page, site) == [moved]


def test_boxes_move_and_resize_by_dragging(open_widget) -> None:
    page = open_widget("boxes", BOXES, answer=json.dumps(
        [{"label": "car", "x": 100, "y": 100, "w": 100, "h": 100}]))
    expect(status(page)).to_have_text("Your last answer: 1 box")
    show_image(page)
    page.mouse.click(*screen(page, 150, 150))  # select it: only the selected box moves
    drag(page, (150, 150), (250, 190))
    expect(status(page)).to_have_text(re.compile("^Moved car box 1"))
    assert_near(answer_of(page)[0], {"label": "car", "x": 200, "y": 140, "w": 100, "h": 100})
    drag(page, (300, 240), (340, 300))  # its bottom-right corner: resize it
    expect(status(page)).to_have_text(re.compile("^Resized car box 1"))
    assert_near(answer_of(page)[0], {"label": "car", "x": 200, "y": 140, "w": 140, "h": 160})

    # Let go of it; a drag inside it now draws a new box (a pedestrian inside a car's box).
    page.keyboard.press("Escape")
    page.keyboard.press("2")
    expect(status(page)).to_have_text("Label for new boxes: pedestrian")
    drag(page, (220, 160), (260, 230))
    expect(status(page)).to_have_text("Added pedestrian box 2")
    boxes = answer_of(page)
    assert_near(boxes[0], {"label": "car", "x": 200, "y": 140, "w": 140, "h": 160})
    assert_near(boxes[1], {"label": "pedestrian", "x": 220, "y": 160, "w": 40, "h": 70})
    page.get_by_role("combobox", name="Label of car box 1").select_option("cyclist")
    expect(status(page)).to_have_text("Relabelled box 1 as cyclist")
    page.get_by_role("button", name="Delete cyclist box 1").click()
    expect(status(page)).to_have_text("Deleted cyclist box 1")
    page.get_by_role("button", name="Delete pedestrian box 1").click()
    expect(status(page)).to_have_text("Deleted pedestrian box 1")
    assert answer_of(page) == []
    expect(page.get_by_role("heading", name="No boxes yet")).to_be_visible()


def test_boxes_with_the_keyboard_only(open_widget, site: WidgetSite) -> None:
    page = open_widget("boxes", BOXES)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Label: car")).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Label: pedestrian")).to_have_attribute(
        "aria-pressed", "true")
    page.keyboard.press("Tab")
    expect(page.get_by_text("Keyboard shortcuts", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(image_area(page)).to_be_focused()
    page.keyboard.press("n")
    expect(status(page)).to_have_text("Added pedestrian box 1")
    expect(page.get_by_role("button", name="pedestrian box 1 at 240, 180, 160 by 120").first
           ).to_be_focused()
    for key in ("Shift+ArrowRight", "Shift+ArrowRight", "Shift+ArrowUp", "ArrowLeft", "1"):
        page.keyboard.press(key)
    box = {"label": "car", "x": 239, "y": 180, "w": 162, "h": 119}
    assert answer_of(page) == [box]
    page.keyboard.press("n")  # a new box gets the label for new boxes, still pedestrian
    expect(status(page)).to_have_text("Added pedestrian box 2")
    page.keyboard.press("Delete")
    expect(status(page)).to_have_text("Deleted pedestrian box 2")
    expect(page.get_by_role("button", name="car box 1 at 239, 180, 162 by 119").first
           ).to_be_focused()
    assert graders.validate_answer("boxes", BOXES, answer_of(page)) is None
    page.keyboard.press("Escape")
    expect(image_area(page)).to_be_focused()
    assert submit(page, site) == [box]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_points(open_widget, site: WidgetSite, viewport: dict) -> None:
    page = open_widget("points", POINTS, viewport=viewport)
    expect(page.get_by_role("button", name="Keypoint: nose")).to_have_attribute(
        "aria-pressed", "true")
    show_image(page)
    spots = {"nose": (320, 100), "left_wrist": (250, 240), "right_wrist": (400, 250)}
    for name, (x, y) in spots.items():
        page.mouse.click(*screen(page, x, y))
        expect(status(page)).to_have_text(re.compile(f"^Placed {name} of person 1 at "))
    expect(page.get_by_role("button", name="Keypoint: left_knee")).to_have_attribute(
        "aria-pressed", "true")

    # Drag the nose a little; mark the left wrist not visible.
    drag(page, spots["nose"], (330, 110))
    expect(status(page)).to_have_text(re.compile("^Moved nose of person 1 at "))
    page.get_by_role("button", name="Keypoint: left_wrist").click()
    page.get_by_label("Mark as not visible (occluded)").check()
    expect(status(page)).to_have_text("left_wrist of person 1 marked not visible")
    expect(page.get_by_role("button", name=re.compile(
        r"^left_wrist of person 1 at \d+, \d+, not visible$"))).to_be_visible()

    [person] = answer_of(page)
    points = person["keypoints"]
    assert list(points) == ["nose", "left_wrist", "right_wrist"]  # left_knee is not placed
    for name, (x, y), v in (("nose", (330, 110), 2), ("left_wrist", spots["left_wrist"], 1),
                            ("right_wrist", spots["right_wrist"], 2)):
        assert_near(dict(zip("xyv", points[name], strict=True)), {"x": x, "y": y, "v": v})
    assert graders.validate_answer("points", POINTS, answer_of(page)) is None

    # Unplace the right wrist; a second person gets a nose from the keyboard.
    page.get_by_role("button", name="Delete right_wrist").click()
    expect(status(page)).to_have_text("Removed right_wrist of person 1")
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("button", name="Person 2", exact=True)).to_have_attribute(
        "aria-pressed", "true")
    image_area(page).focus()
    page.keyboard.press("n")
    expect(status(page)).to_have_text(
        "Placed nose of person 2 at 320, 240. Arrows move it; N places left_wrist")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("o")
    expect(status(page)).to_have_text("nose of person 2 marked not visible")
    answer = answer_of(page)
    assert len(answer) == 2
    assert list(answer[0]["keypoints"]) == ["nose", "left_wrist"]
    assert answer[1] == {"keypoints": {"nose": [320, 239, 1]}}
    assert graders.validate_answer("points", POINTS, answer) is None
    expect_fits_the_screen(page, viewport)
    assert submit(page, site) == answer


def select_text(page: Page, words: str, double_click: bool = False) -> None:
    """Drag the mouse across `words` in the text to label (or double-click the word)."""
    rect = page.get_by_role("textbox", name=re.compile("^Text to label")).evaluate(
        """(element, words) => {
          const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(words);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + words.length);
            const r = range.getBoundingClientRect();
            return {left: r.left, right: r.right, y: r.top + r.height / 2};
          }
          return null;
        }""",
        words,
    )
    assert rect is not None, words
    if double_click:
        page.mouse.dblclick((rect["left"] + rect["right"]) / 2, rect["y"])
        return
    page.mouse.move(rect["left"] + 1, rect["y"])
    page.mouse.down()
    page.mouse.move(rect["right"] - 1, rect["y"], steps=5)
    page.mouse.up()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_spans(open_widget, site: WidgetSite, viewport: dict) -> None:
    page = open_widget("spans", SPANS, viewport=viewport)
    text = page.get_by_role("textbox", name=re.compile("^Text to label"))
    expect(text).to_have_text(TEXT)

    # The mouse: "pizza" comes after an emoji, two UTF-16 units but one code point.
    select_text(page, "pizza")
    expect(page.get_by_text("Selected: “pizza” (characters 6 to 11)")).to_be_visible()
    page.get_by_role("button", name="Label: food").click()
    expect(status(page)).to_have_text("Added food span 1: “pizza”")
    assert answer_of(page) == [{"start": 6, "end": 11, "label": "food"}]
    assert TEXT[6:11] == "pizza"

    # A double click picks a word with an accent; its number key labels it.
    select_text(page, "café", double_click=True)
    page.keyboard.press("2")
    expect(status(page)).to_have_text("Added food span 2: “café”")

    # The keyboard: Home, then Shift+arrows select "Olá 👋" (5 code points).
    text.focus()
    page.keyboard.press("Home")
    for _ in range(5):
        page.keyboard.press("Shift+ArrowRight")
    expect(status(page)).to_have_text("Selected “Olá 👋”")
    page.keyboard.press("1")
    expect(status(page)).to_have_text("Added greeting span 1: “Olá 👋”")
    page.keyboard.press("Control+End")
    page.keyboard.press("Control+Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")  # "amanhã!" without the "!" ...
    page.keyboard.press("Shift+ArrowRight")  # ... and back
    page.keyboard.press("2")
    expect(status(page)).to_have_text("Added food span 4: “amanhã!”")

    expected = [
        {"start": 0, "end": 5, "label": "greeting"},
        {"start": 6, "end": 11, "label": "food"},
        {"start": 14, "end": 18, "label": "food"},
        {"start": TEXT.index("amanhã"), "end": len(TEXT), "label": "food"},
    ]
    assert answer_of(page) == expected
    assert [TEXT[s["start"]:s["end"]] for s in expected] == ["Olá 👋", "pizza", "café", "amanhã!"]
    marks = text.locator("mark")
    expect(marks).to_have_text(["Olá 👋", "pizza", "café", "amanhã!"])
    expect(marks.nth(1)).to_have_attribute("data-label", "food")
    assert graders.validate_answer("spans", SPANS, answer_of(page)) is None

    page.get_by_role("button", name="Delete food span 4").click()
    expect(status(page)).to_have_text("Deleted food span 4: “amanhã!”")
    expect(page.get_by_role("list").get_by_role("listitem")).to_have_count(3)
    expect_fits_the_screen(page, viewport)
    assert submit(page, site) == expected[:3]


Touch = Callable[..., None]


@contextmanager
def touch_phone(browser: Browser, site: WidgetSite,
                browser_errors: BrowserErrors) -> Iterator[tuple[Page, Touch]]:
    """A phone with a touch screen, and `touch(kind, *points)` sending touches through the
    DevTools protocol, so Chromium makes the pointer events as a finger would."""
    context = browser.new_context(base_url=site.base_url, viewport=PHONE, has_touch=True,
                                  is_mobile=True)
    try:
        page = context.new_page()
        browser_errors.watch(page)
        cdp = context.new_cdp_session(page)

        def touch(kind: str, *points: tuple[float, float]) -> None:
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
                {"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})

        yield page, touch
    finally:
        context.close()


def test_touch_on_a_phone(browser: Browser, site: WidgetSite,
                          browser_errors: BrowserErrors) -> None:
    """A finger draws a box and places a keypoint; the page does not scroll under it."""
    with touch_phone(browser, site, browser_errors) as (page, touch):

        def swipe(start: tuple[float, float], end: tuple[float, float]) -> None:
            (x0, y0), (x1, y1) = screen(page, *start), screen(page, *end)
            points = [(x0 + (x1 - x0) * i / 6, y0 + (y1 - y0) * i / 6) for i in range(7)]
            for i, point in enumerate(points):
                touch("touchStart" if i == 0 else "touchMove", point)
            touch("touchEnd")

        page.goto(site.add("boxes", BOXES))
        show_image(page)
        scrolled = page.evaluate("window.scrollY")
        swipe((100, 100), (300, 250))
        expect(status(page)).to_have_text("Added car box 1")
        assert_near(answer_of(page)[0], {"label": "car", "x": 100, "y": 100, "w": 200, "h": 150})
        swipe((200, 175), (240, 215))  # drag the box by its middle
        expect(status(page)).to_have_text(re.compile("^Moved car box 1"))
        assert_near(answer_of(page)[0], {"label": "car", "x": 140, "y": 140, "w": 200, "h": 150})
        assert page.evaluate("window.scrollY") == scrolled

        page.goto(site.add("points", POINTS))
        show_image(page)
        page.touchscreen.tap(*screen(page, 320, 100))
        expect(status(page)).to_have_text(re.compile("^Placed nose of person 1 at "))
        swipe((320, 100), (300, 140))
        expect(status(page)).to_have_text(re.compile("^Moved nose of person 1 at "))
        [person] = answer_of(page)
        assert_near(dict(zip("xyv", person["keypoints"]["nose"], strict=True)),
                    {"x": 300, "y": 140, "v": 2})
    assert list(browser_errors) == []


def test_previous_answer_comes_back(open_widget) -> None:
    boxes = [{"label": "pedestrian", "x": 10, "y": 20, "w": 30, "h": 40}]
    page = open_widget("boxes", BOXES, answer=json.dumps(boxes))
    expect(page.get_by_role("button", name="pedestrian box 1 at 10, 20, 30 by 40")).to_have_count(2)
    assert answer_of(page) == boxes
    spans = [{"start": 4, "end": 5, "label": "greeting"}]
    page = open_widget("spans", SPANS, answer=json.dumps(spans))
    expect(page.get_by_text("greeting: “👋” (characters 4 to 5)")).to_be_visible()
    assert answer_of(page) == spans
    points = [{"keypoints": {"left_knee": [5, 6, 1]}}]
    page = open_widget("points", POINTS, answer=json.dumps(points))
    expect(page.get_by_role("button", name="left_knee of person 1 at 5, 6, not visible")
           ).to_be_visible()
    expect(page.get_by_role("button", name="Keypoint: nose")).to_have_attribute(
        "aria-pressed", "true")
    assert answer_of(page) == points


def test_the_javascript_notice_never_flashes_up_while_the_tool_loads(
        site: WidgetSite, new_page, browser, browser_errors: BrowserErrors) -> None:
    page = new_page(site.base_url)
    held: list[Route] = []
    page.route("**/static/js/widgets/boxes.js", lambda route: held.append(route))  # held back
    page.goto(site.add("boxes", BOXES), wait_until="domcontentloaded")
    notice = page.get_by_text("This task needs JavaScript")
    while not held:
        page.wait_for_timeout(20)
    page.wait_for_timeout(300)
    assert notice.count() == 1 and not notice.is_visible()  # still loading: no notice
    held[0].continue_()
    expect(image_area(page)).to_be_visible()
    expect(notice).to_be_hidden()
    assert list(browser_errors) == []
    # Without JavaScript the notice is what the trainee gets, after the short pause.
    context = browser.new_context(base_url=site.base_url, java_script_enabled=False)
    try:
        plain = context.new_page()
        plain.goto(site.add("boxes", BOXES))
        expect(plain.get_by_text("This task needs JavaScript")).to_be_visible(timeout=5_000)
    finally:
        context.close()


def test_keypoints_by_keyboard_move_on_to_the_next_as_clicks_do(open_widget) -> None:
    page = open_widget("points", POINTS)
    image_area(page).focus()
    pressed = page.get_by_role("button", name=re.compile("^Keypoint: ")).and_(
        page.locator("[aria-pressed=true]"))
    for name, following in (("nose", "left_wrist"), ("left_wrist", "right_wrist"),
                            ("right_wrist", "left_knee")):
        page.keyboard.press("n")
        expect(status(page)).to_have_text(
            f"Placed {name} of person 1 at 320, 240. Arrows move it; N places {following}")
        expect(pressed).to_have_accessible_name(f"Keypoint: {name}")  # the one arrows move
        page.keyboard.press("ArrowLeft")
        expect(status(page)).to_have_text(f"{name} of person 1 at 319, 240")
    page.keyboard.press("n")
    expect(status(page)).to_have_text("Placed left_knee of person 1 at 320, 240")
    page.keyboard.press("n")
    expect(status(page)).to_have_text("Every keypoint of person 1 is placed: use the arrows "
                                      "to move one")
    assert [list(person["keypoints"]) for person in answer_of(page)] == [
        ["nose", "left_wrist", "right_wrist", "left_knee"]]


@pytest.mark.parametrize(("viewport", "shown"), [(DESKTOP, True), (PHONE, False)],
                         ids=["desktop", "phone"])
def test_the_keyboard_help_folds_away_on_a_small_screen(open_widget, viewport: dict,
                                                        shown: bool) -> None:
    for kind, spec in (("boxes", BOXES), ("points", POINTS), ("spans", SPANS)):
        page = open_widget(kind, spec, viewport=viewport)
        keys = page.get_by_text(re.compile("^Keys: "))
        expect(keys).to_be_visible() if shown else expect(keys).to_be_hidden()
        page.get_by_text("Keyboard shortcuts", exact=True).click()
        expect(keys).to_be_hidden() if shown else expect(keys).to_be_visible()
