"""A trainee's first day, in real Chromium, start to finish: a new person follows an invite link,
creates an account and lands enrolled; reads the manual; practises, with the feedback in view
after every check; masters a module only by answering its items right; takes the exam (the
example's is sequential: two blocks of five answered right pass it); and the training centre
and the course home then show the same, correct next step."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.services import bundles, enrolment
from tests.e2e.steps import DESKTOP, PHONE, expect_fits_the_screen
from tests.e2e.test_practice import EXAMPLE_BUNDLE, check, feedback
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")  # noqa: S108  (a fixed place to look at them)
TITLE = "Tagging clothing in photos"
MODULE = "Leggings and tights"
GOLD = {entry["prompt"]: entry["gold"] for entry in map(
    json.loads, (EXAMPLE_BUNDLE / "items.jsonl").read_text().splitlines())}


def invite_link(app: Flask, instructor: User) -> str:
    """The clothing example course, a cohort of it, and the cohort's invite link."""
    with app.app_context():
        course = bundles.import_bundle(EXAMPLE_BUNDLE, actor=None).course
        cohort = enrolment.create_cohort(course, "January intake", date(2027, 1, 11), 20,
                                         db.session.get(User, instructor.id))
        db.session.commit()
        return "/courses/invite/" + enrolment.make_invite_token(app.config["SECRET_KEY"],
                                                                cohort, 14)


def answer(page: Page, scope, prompt: str) -> None:
    """Give the gold answer of the item with this prompt (the example bundle's own)."""
    group = scope.get_by_role("group", name=prompt, exact=True)
    gold = GOLD[prompt]
    if isinstance(gold, str):
        group.get_by_role("radio", name=gold, exact=True).check()
        return
    for box in group.get_by_role("checkbox").all():
        label = box.evaluate("b => b.labels[0].textContent.trim()")
        box.check() if label in gold else box.uncheck()


def next_steps(page: Page) -> tuple[str, str]:
    """The next step on the training-centre card and on the course home."""
    page.goto("/courses/")
    card = page.get_by_role("article", name=TITLE).locator(".next-step a").text_content()
    page.get_by_role("article", name=TITLE).get_by_role("link", name=TITLE).click()
    home = page.get_by_role("region", name="What to do next").locator(
        ".next-step a.button").last.text_content()
    return " ".join(card.split()), " ".join(home.split())


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_new_person_goes_from_an_invite_to_a_qualification(
        app: Flask, page: Page, make_user, browser_errors, viewport):
    page.goto(invite_link(app, make_user(Role.INSTRUCTOR)))

    # An account from the invite page; the new trainee lands enrolled on the course home.
    page.get_by_label("Your name", exact=True).fill("Nia Newcomer")
    page.get_by_label("Email", exact=True).fill("nia@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create an account and join").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to {TITLE} (January intake)")

    # Reading: every section marked read, and the course home says so.
    page.get_by_role("link", name="Start reading the manual", exact=True).click()
    buttons = page.get_by_role("button", name=re.compile("^Mark as read: "))
    sections = buttons.count()
    assert sections >= 5
    for _ in range(sections):
        buttons.first.click()
        expect(page.get_by_role("button", name=re.compile("^Mark as read: "))).to_have_count(
            sections - _ - 1)
    card, home = next_steps(page)
    assert card == home == "Start practising"

    # Practice: the feedback lands in view after every check; three right answers in the
    # round master the module, and the next module is offered.
    page.goto("/courses/clothing-tagging/practice")
    page.get_by_role("link", name=f"Start practising: {MODULE}", exact=True).click()
    for n in range(3):
        prompt = page.get_by_role("group").first.get_attribute("aria-label") or \
            page.locator("fieldset legend").first.inner_text()
        answer(page, page, prompt.strip())
        check(page)
        expect(feedback(page)).to_be_in_viewport()
        expect(feedback(page).get_by_role("heading").first).to_be_focused()
        if n < 2:
            feedback(page).get_by_role("link", name="Next item", exact=True).click()
    expect(page.get_by_text("You have mastered this module.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Next module: "))).to_be_visible()
    expect_fits_the_screen(page, viewport)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"journey-mastered-{viewport['width']}.png", full_page=True)
    page.goto("/courses/")
    expect(page.get_by_role("article", name=TITLE)).to_contain_text(
        re.compile(r"Practice\s*1 of \d+ modules mastered"))

    # The exam, sequential, answered right block by block; then both pages agree: qualified.
    page.goto("/courses/clothing-tagging/exam")
    page.get_by_role("button", name="Start the exam", exact=True).click()
    expect(page.get_by_text("The exam ends as soon as the result is certain.").first
           ).to_be_visible()
    progress = page.get_by_text(re.compile(r"^Items handed in: \d+$"))
    for block in range(2):  # all right: certain after the fewest items, 10 (exam settings)
        expect(progress).to_have_text(f"Items handed in: {5 * block}")
        for n in range(5 * block + 1, 5 * block + 6):
            item = page.get_by_role("region", name=f"Item {n}", exact=True)
            prompt = item.get_by_role("group").first.get_attribute("aria-label") or \
                item.locator("fieldset legend").first.inner_text()
            answer(page, item, prompt.strip())
        page.get_by_role("button", name="Next items").click()
    expect(page.get_by_text("The exam ended after 10 items: it stops as soon as its result is "
                            "certain, and after 25 items at the most.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("passed"))
    expect(page.get_by_text("Valid until")).to_be_visible()
    card, home = next_steps(page)
    assert card == home and card.startswith("You are qualified until ")
    page.screenshot(path=SHOTS / f"journey-qualified-{viewport['width']}.png", full_page=True)
    assert list(browser_errors) == []
