"""An exam with a tracks item in real Chromium.

The course (tests/factories.py make_kinds_exam_course) has every kind in its exam, the tracks
item on the street-scenes demo's exam clip and the cuboids item on its exam cloud. The trainee
starts a track of the car on frame 1, moves it on frame 11 (a second key frame), sees the
answer saved, reloads and finds the track again (and no save sent for it), submits and reads
the answer on the result.
On a 360 px phone the page with both tools fits the screen. No console errors or CSP
violations.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from bootcamp.users.models import Role
from tests.e2e.steps import PHONE, expect_fits_the_screen, log_in
from tests.e2e.test_widgets import png
from tests.factories import KINDS_SLUG, TRACKS_SPEC, make_kinds_exam_course, stored_answers
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

SAVE_TIMEOUT = 15_000
TRACKS, CUBOIDS = 7, 8  # the items' positions: bank order, no shuffle
SHOTS = Path("/tmp/shots")  # noqa: S108  (a fixed place to look at them)


def item(page: Page, n: int) -> Locator:
    return page.get_by_role("region", name=f"Item {n} of 8", exact=True)


def picture(page: Page) -> Locator:
    return item(page, TRACKS).get_by_role("application", name=re.compile("^Clip to annotate"))


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag on the clip's frame from one pixel of it to another, the frame in view."""
    picture(page).evaluate("element => element.scrollIntoView({block: 'center'})")
    box = picture(page).bounding_box()
    assert box is not None

    def screen(x: float, y: float) -> tuple[float, float]:
        return (box["x"] + x / TRACKS_SPEC["width"] * box["width"],
                box["y"] + y / TRACKS_SPEC["height"] * box["height"])

    page.mouse.move(*screen(*start))
    page.mouse.down()
    page.mouse.move(*screen(*end), steps=6)
    page.mouse.up()


@pytest.fixture
def take_page(app: Flask, page: Page, make_user) -> tuple[Page, int]:
    """An enrolled trainee, logged in, on a started attempt whose tools have started."""
    trainee = make_user(Role.TRAINEE)
    make_kinds_exam_course(app, make_user(Role.INSTRUCTOR), (trainee,),
                           image=lambda spec: png(spec["width"], spec["height"]))
    log_in(page, trainee.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto(f"/courses/{KINDS_SLUG}/exam")
    page.get_by_role("button", name="Start the exam", exact=True).click()
    expect(page.get_by_role("heading", name="Item 1 of 8")).to_be_visible()
    expect_tools_started(page)
    SHOTS.mkdir(exist_ok=True)
    return page, int(re.search(r"/attempts/(\d+)$", page.url).group(1))


def expect_tools_started(page: Page) -> None:
    """The boxes, spans, tracks and cuboids tools have hidden their notices; the cloud is in."""
    notices = page.get_by_text("This task needs JavaScript")
    expect(notices).to_have_count(4)
    for n in range(4):
        expect(notices.nth(n)).to_have_attribute("hidden", "")
    expect(item(page, CUBOIDS).get_by_role("status").filter(has_text="Point cloud loaded")
           ).to_have_text(re.compile(r"Point cloud loaded: [\d,]+ points\."))


def test_a_track_drawn_in_the_exam_is_saved_restored_and_graded(
        app: Flask, take_page: tuple[Page, int], browser_errors):
    page, attempt_id = take_page
    section = item(page, TRACKS)
    saved = section.get_by_role("status").first
    expect(saved).to_have_text("Not answered")
    frames = section.get_by_role("group", name="Frames")

    # Frame 1: the car's box starts a track; frame 11: moved, it makes a second key frame.
    section.get_by_role("button", name="Label: car").click()
    drag(page, (170, 88), (222, 110))
    tool = section.get_by_role("status").filter(has_text=re.compile("track"))
    expect(tool).to_contain_text("Started track 1 (car) at frame 1")
    frames.get_by_role("slider", name="Frame").fill("11")
    expect(frames.locator("output")).to_have_text("Frame 11 of 24")
    drag(page, (196, 99), (76, 99))
    expect(tool).to_contain_text("Moved track 1 (car)")
    expect(saved).to_have_text("Saved", timeout=SAVE_TIMEOUT)
    track = section.get_by_role("button", name=re.compile("^Track 1, car"))
    expect(track).to_contain_text("key frames 1, 11")
    answer, seq = stored_answers(app, attempt_id)[TRACKS]
    assert [t["label"] for t in answer] == ["car"] and len(answer[0]["boxes"]) == 24
    x = [answer[0]["boxes"][str(frame)]["x"] for frame in (0, 5, 10)]
    assert x[0] > x[1] > x[2]  # interpolated between the key frames
    page.screenshot(path=SHOTS / "exam-tracks-desktop.png", full_page=False)

    # A reload gives the tool the saved track back, and does not save it again: the tool
    # rewrites it when it starts, the same answer in another key order.
    saves: list[str] = []
    page.on("request", lambda request: saves.append(request.url) if request.method == "PUT"
            else None)
    page.reload()
    expect_tools_started(page)
    expect(item(page, TRACKS).get_by_role("button", name=re.compile("^Track 1, car"))
           ).to_contain_text("key frames 1, 11")
    page.wait_for_timeout(1500)  # longer than the autosave's pause
    expect(item(page, TRACKS).get_by_role("status").first).to_have_text("Saved")
    assert saves == [] and stored_answers(app, attempt_id)[TRACKS] == (answer, seq)

    page.get_by_role("button", name="Submit the exam").click()
    expect(page.get_by_role("alert")).to_contain_text("7 items have no answer (items 1, 2, 3")
    page.get_by_role("button", name="Submit anyway").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Exam result: (passed|not passed)$"))
    answers = page.get_by_role("listitem").filter(has=page.get_by_role("heading",
                                                                          name="Item 7"))
    expect(answers).to_contain_text("Your answer: 1 track drawn (1 car)")
    expect(page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Item 8"))
           ).to_contain_text("Your answer: Not answered")
    page.screenshot(path=SHOTS / "exam-tracks-result.png", full_page=True)
    assert list(browser_errors) == []


@pytest.mark.parametrize("viewport", [PHONE], ids=["360px"])
def test_the_exam_with_both_tools_fits_a_phone(take_page: tuple[Page, int], browser_errors,
                                              viewport):
    page, _ = take_page
    expect_fits_the_screen(page, viewport)
    for n, name in ((TRACKS, "tracks"), (CUBOIDS, "cuboids")):
        section = item(page, n)
        section.scroll_into_view_if_needed()
        section.screenshot(path=SHOTS / f"exam-{name}-phone.png")
        box = section.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert list(browser_errors) == []
