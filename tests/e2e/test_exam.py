"""Taking a timed exam in real Chromium: autosave through a lost connection, and the deadline.

The course (tests/factories.py make_exam_course) mixes choice, labels, boxes and spans items with
real PNG pictures. The first test answers some items, loses the network (Playwright's offline mode),
answers more, comes back, and finds every answer saved, on the page after a reload and in the
database; answers that could not be sent survive a reload in the browser's storage. The second
lets the deadline pass on the page and finds the attempt graded. Elements are found by role and
accessible name; the pages must raise no console errors or CSP violations.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import Role
from exams.models import Attempt, AttemptState, ExamSettings
from tests.e2e.steps import PHONE, expect_fits_the_screen, log_in
from tests.e2e.test_widgets import png, select_text
from tests.factories import (
    CHOICE_GOLD,
    TAKING_BOXES_SPEC,
    TAKING_SLUG,
    TAKING_SPAN_TEXT,
    make_exam_course,
    stored_answers,
)
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

SAVE_TIMEOUT = 15_000


def real_png(spec: dict | None) -> bytes:
    return png(spec["width"], spec["height"])


@pytest.fixture
def exam_page(app: Flask, page: Page, make_user):
    """An enrolled trainee, logged in, on the exam page of the course."""
    trainee = make_user(Role.TRAINEE)
    make_exam_course(app, make_user(Role.INSTRUCTOR), (trainee,), image=real_png)
    log_in(page, trainee.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto(f"/courses/{TAKING_SLUG}/exam")
    expect(page.get_by_role("heading", level=1)).to_have_text("Qualification exam")
    return page


def start(page: Page) -> int:
    page.get_by_role("button", name="Start the exam", exact=True).click()
    expect(page.get_by_role("heading", name="Item 1 of 6")).to_be_visible()
    return int(re.search(r"/attempts/(\d+)$", page.url).group(1))


def item(page: Page, n: int) -> Locator:
    return page.get_by_role("region", name=f"Item {n} of 6", exact=True)


def save_status(page: Page, n: int) -> Locator:
    """The item's save status (the drawing tools have a status of their own after it)."""
    return item(page, n).get_by_role("status").first


def draw_box(page: Page, section: Locator, start: tuple[float, float],
             end: tuple[float, float]) -> None:
    area = section.get_by_role("application", name=re.compile("^Image to annotate"))
    area.scroll_into_view_if_needed()
    box = area.locator("image").bounding_box()
    assert box is not None

    def screen(x: float, y: float) -> tuple[float, float]:
        return (box["x"] + x * box["width"] / TAKING_BOXES_SPEC["width"],
                box["y"] + y * box["height"] / TAKING_BOXES_SPEC["height"])

    page.mouse.move(*screen(*start))
    page.mouse.down()
    page.mouse.move(*screen(*end), steps=6)
    page.mouse.up()


def test_answers_survive_a_lost_connection_and_a_reload(app: Flask, exam_page: Page,
                                                        browser_errors):
    page = exam_page
    attempt_id = start(page)
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^(29:[0-5]\d|30:00) left$"))
    for n in range(1, 7):
        expect(save_status(page, n)).to_have_text("Not answered")
    notices = page.get_by_text("This task needs JavaScript")
    expect(notices).to_have_count(2)
    for n in range(2):  # both tools started: each hid its notice
        expect(notices.nth(n)).to_have_attribute("hidden", "")

    # Online: a choice, two labels and a box drawn with the mouse.
    item(page, 1).get_by_label("zebra-wrong-opt", exact=True).check()
    expect(save_status(page, 1)).to_have_text("Saved", timeout=SAVE_TIMEOUT)
    item(page, 2).get_by_label("armour", exact=True).check()
    item(page, 2).get_by_label("tights", exact=True).check()
    expect(save_status(page, 2)).to_have_text("Saved", timeout=SAVE_TIMEOUT)
    draw_box(page, item(page, 3), (20, 30), (120, 110))
    expect(item(page, 3).get_by_role("status").nth(1)).to_have_text("Added car box 1")
    expect(save_status(page, 3)).to_have_text("Saved", timeout=SAVE_TIMEOUT)

    # The network goes: answers wait in the browser, and the page says so.
    banner = page.get_by_text("You are offline. Your answers are kept on this device")
    expect(banner).to_be_hidden()
    page.context.set_offline(True)
    expect(banner).to_be_visible()
    item(page, 4).get_by_role("textbox", name=re.compile("^Text to label")).evaluate(
        "element => element.scrollIntoView({block: 'center'})")
    select_text(page, "cancel")
    item(page, 4).get_by_role("button", name="Label: intent").click()
    expect(save_status(page, 4)).to_have_text("Offline: will retry", timeout=SAVE_TIMEOUT)
    item(page, 5).get_by_label("walking-rider-cyclist", exact=True).check()
    expect(save_status(page, 5)).to_have_text("Offline: will retry", timeout=SAVE_TIMEOUT)
    item(page, 6).get_by_label("heron-opt", exact=True).check()
    expect(save_status(page, 6)).to_have_text("Offline: will retry", timeout=SAVE_TIMEOUT)
    page.wait_for_timeout(800)  # longer than the autosave pause: nothing got through
    stored = stored_answers(app, attempt_id)
    assert [stored[n][0] for n in (4, 5, 6)] == [None, None, None]

    # Back online: everything is sent.
    page.context.set_offline(False)
    expect(banner).to_be_hidden()
    for n in range(1, 7):
        expect(save_status(page, n)).to_have_text("Saved", timeout=SAVE_TIMEOUT)
    stored = stored_answers(app, attempt_id)
    span_start = stored[4][0][0]["start"]
    assert stored[1][0] == "zebra-wrong-opt"
    assert stored[2][0] == ["armour", "tights"]
    assert [b["label"] for b in stored[3][0]] == ["car"]
    assert span_start == TAKING_SPAN_TEXT.index("cancel")
    assert stored[4][0] == [{"start": span_start, "end": span_start + 6, "label": "intent"}]
    assert stored[5][0] == "walking-rider-cyclist" and stored[6][0] == "heron-opt"

    # A reload shows every answer.
    page.reload()
    expect(item(page, 1).get_by_label("zebra-wrong-opt", exact=True)).to_be_checked()
    expect(item(page, 2).get_by_label("armour", exact=True)).to_be_checked()
    expect(item(page, 2).get_by_label("tights", exact=True)).to_be_checked()
    expect(item(page, 2).get_by_label("hat", exact=True)).not_to_be_checked()
    expect(item(page, 3).get_by_role("button", name=re.compile(r"^car box 1 at "))
           ).to_have_count(2)
    expect(item(page, 4).get_by_role("button", name="Delete intent span 1")).to_have_count(1)
    expect(item(page, 5).get_by_label("walking-rider-cyclist", exact=True)).to_be_checked()
    expect(item(page, 6).get_by_label("heron-opt", exact=True)).to_be_checked()
    for n in range(1, 7):
        expect(save_status(page, n)).to_have_text("Saved")

    # An answer the server never got survives a reload from the browser's storage.
    assert list(browser_errors) == []
    page.route("**/answers/*", lambda route: route.abort())
    item(page, 6).get_by_label("ibis-gold-opt", exact=True).check()
    expect(save_status(page, 6)).to_have_text("Offline: will retry", timeout=SAVE_TIMEOUT)
    page.reload()
    expect(item(page, 6).get_by_label("ibis-gold-opt", exact=True)).to_be_checked()
    expect(save_status(page, 6)).to_have_text("Offline: will retry", timeout=SAVE_TIMEOUT)
    assert stored_answers(app, attempt_id)[6][0] == "heron-opt"
    page.unroute("**/answers/*")
    expect(save_status(page, 6)).to_have_text("Saved", timeout=SAVE_TIMEOUT)
    assert stored_answers(app, attempt_id)[6][0] == "ibis-gold-opt"
    # The saves the test itself cut off are the only errors the browser reported.
    assert browser_errors and all(error.endswith("Failed to load resource: net::ERR_FAILED")
                                  for error in browser_errors)
    browser_errors.clear()

    # Submitting grades the attempt and shows the result.
    page.get_by_role("button", name="Submit the exam").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Exam result: (passed|not passed)$"))
    expect(page.get_by_role("heading", name="What to re-read")).to_be_visible()
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).state == AttemptState.GRADED
    assert page.evaluate("() => Object.keys(localStorage).length") == 0
    assert list(browser_errors) == []


@pytest.mark.parametrize("viewport", [PHONE], ids=["360px"])
def test_the_deadline_passes_on_the_page_and_the_attempt_is_graded(
        app: Flask, exam_page: Page, browser_errors, viewport):
    page = exam_page
    with app.app_context():
        settings = db.session.scalar(select(ExamSettings))
        settings.time_limit_seconds = 60
        db.session.commit()
    attempt_id = start(page)
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^(0:[0-5]\d|1:00) left$"))
    expect_fits_the_screen(page, viewport)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline = utcnow() + timedelta(seconds=6)
        db.session.commit()
    page.reload()
    item(page, 5).get_by_label("walking-rider-pedestrian", exact=True).check()
    expect(save_status(page, 5)).to_have_text("Saved", timeout=SAVE_TIMEOUT)
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^0:0\d left$"))

    expect(page).to_have_url(re.compile(rf"/attempts/{attempt_id}/result$"), timeout=20_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Exam result: not passed")
    expect(page.get_by_text("(time was up)")).to_be_visible()
    with app.app_context():
        graded = db.session.get(Attempt, attempt_id)
        assert graded.state == AttemptState.GRADED and graded.closed_by == "deadline"
        assert graded.score == pytest.approx(1 / 6, abs=1e-6)
    expect_fits_the_screen(page, viewport)
    assert list(browser_errors) == []


def test_submitting_asks_about_unanswered_items_and_waits_for_the_connection(
        app: Flask, exam_page: Page, browser_errors):
    page = exam_page
    attempt_id = start(page)
    item(page, 1).get_by_label(CHOICE_GOLD, exact=True).check()
    expect(save_status(page, 1)).to_have_text("Saved", timeout=SAVE_TIMEOUT)
    submit = page.get_by_role("button", name="Submit the exam")
    submit.click()
    question = page.get_by_role("alert").filter(has_text="no answer")
    expect(question).to_have_text(re.compile(
        r"^5 items have no answer \(items 2, 3, 4, 5, 6\)\. One of them is critical: "))
    expect(question).to_be_in_viewport()
    question.get_by_role("button", name="Go to item 2").click()
    expect(item(page, 2).get_by_role("heading", level=2)).to_be_focused()
    expect(page).to_have_url(re.compile(rf"/attempts/{attempt_id}$"))  # nothing was submitted

    # Offline, "Submit anyway" waits for the connection, then submits by itself.
    page.context.set_offline(True)
    expect(page.get_by_text("You are offline. Your answers are kept")).to_be_in_viewport()
    submit.click()
    page.get_by_role("button", name="Submit anyway").click()
    waiting = page.get_by_role("alert").filter(has_text="You are offline")
    expect(waiting).to_contain_text("will be submitted as soon as the connection comes back")
    page.context.set_offline(False)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Exam result: (passed|not passed)$"))
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).state == AttemptState.GRADED
    assert list(browser_errors) == []


def test_the_timer_tells_screen_readers_when_5_and_1_minutes_are_left(
        app: Flask, exam_page: Page, browser_errors):
    page = exam_page
    attempt_id = start(page)
    told = page.get_by_role("status").filter(has_text=re.compile(r"minutes? left\.$"))
    for seconds, words in ((302, "5 minutes left."), (62, "1 minute left.")):
        with app.app_context():
            db.session.get(Attempt, attempt_id).deadline = utcnow() + timedelta(seconds=seconds)
            db.session.commit()
        page.reload()
        expect(told).to_have_count(0)  # nothing said until the mark passes
        expect(told).to_have_text(words, timeout=8_000)
    assert list(browser_errors) == []
