"""A sequential exam in real Chromium: blocks of five items behind "Next items", a reload and
an offline block in the middle, a strong trainee passing in fewer items than the most, a weak
one failing at the first block; the page on a 360 px phone (screenshots into BOOTCAMP_SHOTS).

The course is tests/factories.py make_sequential_world (yes/no items, p0 0.5, p1 0.9, 5 to
20 items); its rules reach the attempt through the seam (exams.services.settings
.sequential_rules), patched by use_sequential, as the live server runs in this process.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from bootcamp.extensions import db
from courses.models import Item
from exams.models import Attempt
from tests.e2e.steps import PHONE, expect_fits_the_screen, log_in
from tests.factories import (
    SEQUENTIAL_TEST,
    make_sequential_world,
    stored_answers,
    use_sequential,
)
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

SAVE_TIMEOUT = 15_000
SHOTS = os.environ.get("BOOTCAMP_SHOTS", "")  # a folder for screenshots; none when unset


@pytest.fixture
def seq_page(app: Flask, page: Page, make_user, monkeypatch) -> tuple[Page, object]:
    """The trainee of the sequential course, logged in, on its exam page."""
    use_sequential(monkeypatch)
    world = make_sequential_world(app, make_user)
    log_in(page, world.trainee.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto("/courses/sequential-course/exam")
    return page, world


def start(page: Page) -> int:
    page.get_by_role("button", name="Start the exam", exact=True).click()
    expect(page.get_by_role("heading", name="Item 1", exact=True)).to_be_visible()
    return int(re.search(r"/attempts/(\d+)$", page.url).group(1))


def shown(page: Page) -> list[int]:
    """The positions of the items the page shows."""
    headings = page.get_by_role("heading", level=2, name=re.compile(r"^Item \d+$"))
    return [int(text.split()[1]) for text in headings.all_inner_texts()]


def golds(app: Flask, attempt_id: int) -> dict[int, str]:
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        return {r.position: db.session.get(Item, r.item_id).gold for r in attempt.responses}


def critical_position(app: Flask, attempt_id: int) -> int:
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        return next(r.position for r in attempt.responses
                    if db.session.get(Item, r.item_id).critical)


def answer(page: Page, position: int, value: str) -> None:
    region = page.get_by_role("region", name=f"Item {position}", exact=True)
    region.get_by_label(value, exact=True).check()


def other(value: str) -> str:
    return "no" if value == "yes" else "yes"


def shoot(page: Page, name: str) -> None:
    """A full-page screenshot into BOOTCAMP_SHOTS, if set, to look at the pages."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_a_strong_trainee_passes_early_through_a_reload_and_an_offline_block(
        app: Flask, seq_page, browser_errors):
    page, _ = seq_page
    attempt_id = start(page)
    progress = page.get_by_text(re.compile(r"^Items handed in: \d+$"))
    expect(progress).to_have_text("Items handed in: 0")
    expect(page.get_by_text("The exam ends as soon as the result is certain.").first
           ).to_be_visible()
    assert shown(page) == [1, 2, 3, 4, 5]
    gold = golds(app, attempt_id)
    for position in (1, 2, 3):
        answer(page, position, gold[position])
    for position in (1, 2, 3):
        expect(page.get_by_role("region", name=f"Item {position}", exact=True)
               .get_by_role("status").first).to_have_text("Saved", timeout=SAVE_TIMEOUT)
    shoot(page, "sequential-block1-desktop")

    # A reload in the middle of the block keeps what was answered.
    page.reload()
    for position in (1, 2, 3):
        expect(page.get_by_role("region", name=f"Item {position}", exact=True)
               .get_by_label(gold[position], exact=True)).to_be_checked()
    answer(page, 4, gold[4])
    answer(page, 5, other(gold[5]) if critical_position(app, attempt_id) != 5 else gold[5])
    page.get_by_role("button", name="Next items").click()
    expect(progress).to_have_text("Items handed in: 5")
    assert shown(page) == [6, 7, 8, 9, 10]

    # The second block answered offline: "Next items" waits for the connection.
    gold = golds(app, attempt_id)
    banner = page.get_by_text("You are offline. Your answers are kept on this device")
    page.context.set_offline(True)
    expect(banner).to_be_visible()
    for position in shown(page):
        answer(page, position, gold[position])
    page.wait_for_timeout(800)
    assert all(stored_answers(app, attempt_id)[n][0] is None for n in range(6, 11))
    page.get_by_role("button", name="Next items").click()
    waiting = page.get_by_role("alert").filter(has_text="You are offline")
    expect(waiting).to_contain_text("These answers will be sent and the exam will go on")
    page.context.set_offline(False)
    expect(page.get_by_role("heading", level=1)).to_have_text("Exam result: passed")
    ended = page.get_by_text(re.compile(r"^The exam ended after \d+ items: it stops as soon "
                                        r"as its result is certain"))
    expect(ended).to_be_visible()
    items = int(re.search(r"after (\d+) items", ended.inner_text()).group(1))
    assert items < SEQUENTIAL_TEST.max_items
    with app.app_context():  # the trainee is told the items they saw, not where it decided
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.passed, len(attempt.responses)) == (True, items)
        assert attempt.decision_items <= items
    shoot(page, "sequential-result-desktop")
    assert list(browser_errors) == []


def test_a_weak_trainee_fails_at_the_first_block(app: Flask, seq_page, browser_errors):
    page, _ = seq_page
    attempt_id = start(page)
    gold, critical = golds(app, attempt_id), critical_position(app, attempt_id)
    for position in shown(page):  # everything wrong but the critical item
        answer(page, position, gold[position] if position == critical else other(gold[position]))
    page.get_by_role("button", name="Next items").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exam result: not passed")
    expect(page.get_by_text("The exam ended after 5 items: it stops as soon as its result is "
                            f"certain, and after {SEQUENTIAL_TEST.max_items} items at the most.")
           ).to_be_visible()
    assert list(browser_errors) == []


@pytest.mark.parametrize("viewport", [PHONE])
def test_the_block_page_fits_a_phone(app: Flask, seq_page, viewport, browser_errors):
    page, _ = seq_page
    attempt_id = start(page)
    expect_fits_the_screen(page, viewport)
    answer(page, 1, golds(app, attempt_id)[1])
    page.get_by_role("button", name="Next items").click()
    question = page.get_by_role("alert").filter(has_text="no answer")
    expect(question).to_contain_text("Go on anyway?")
    shoot(page, "sequential-block1-phone")
    question.get_by_role("button", name="Go on anyway").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect_fits_the_screen(page, viewport)
    shoot(page, "sequential-after-block1-phone")
    assert list(browser_errors) == []
