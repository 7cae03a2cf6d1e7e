"""Mastery in a real browser (issue 13, point 2): a trainee masters a module only by answering
its items right on the first try in a round, never by retrying an item whose answer was just
shown; the page says the rule in plain words, offers the next module when a round ends, and the
course home and the training centre count the modules mastered.

The course is the clothing example bundle; the module "Leggings and tights" holds three
choice and labels items, and "Things that are not clothing" comes next.
"""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from bootcamp.users.models import Role
from tests.e2e.steps import DESKTOP, PHONE, expect_fits_the_screen, log_in
from tests.e2e.test_practice import check, example_course_with, feedback
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

MODULE = "Leggings and tights"
NEXT = "Things that are not clothing"
RULE = "To master this module, answer each of its 3 items right on your first try in one round."
LEGGINGS = "A runner in a park wears black leggings. Do you tag the leggings?"
TIGHTS = "A woman wears a skirt over sheer tights. Do you tag the tights?"
OUTFIT = "A child wears a pleated skirt, woollen tights and ankle boots. Tick everything you tag."


def choose(page: Page, question: str, option: str) -> None:
    page.get_by_role("group", name=question).get_by_role("radio", name=option).check()
    check(page)


def tick(page: Page, *labels: str) -> None:
    group = page.get_by_role("group", name=OUTFIT)
    for label in ("skirt", "tights", "ankle boots"):
        box = group.get_by_role("checkbox", name=label, exact=True)
        box.check() if label in labels else box.uncheck()
    check(page)


def next_item(page: Page) -> None:
    feedback(page).get_by_role("link", name="Next item", exact=True).click()


def mastery_line(page: Page):
    return page.locator(".practice-meta")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_trainee_masters_a_module_only_by_answering_its_items_right(
        app: Flask, page: Page, make_user, browser_errors, viewport):
    trainee = make_user(Role.TRAINEE)
    example_course_with(app, trainee)
    log_in(page, trainee.email, PASSWORD)
    page.goto("/courses/clothing-tagging/practice")
    page.get_by_role("link", name=f"Start practising: {MODULE}", exact=True).click()
    expect(page.get_by_text(RULE)).to_be_visible()
    expect(mastery_line(page)).to_contain_text("Round 1: 0 of 3 items answered.")

    # Wrong on the first try; the retries after seeing the answer are right but never count.
    choose(page, LEGGINGS, "No, do not tag it")
    expect(feedback(page)).to_contain_text("This first try counted toward mastery.")
    for _ in range(3):
        feedback(page).get_by_role("link", name="Try again", exact=True).click()
        expect(page.get_by_text("This try will not count toward mastery")).to_be_visible()
        choose(page, LEGGINGS, "Yes, tag it")
        expect(feedback(page)).to_contain_text("This try did not count toward mastery")
    expect(mastery_line(page)).to_contain_text("Round 1: 1 of 3 items answered.")
    expect_fits_the_screen(page, viewport)
    next_item(page)
    choose(page, TIGHTS, "No, do not tag it")
    next_item(page)
    tick(page, "skirt", "ankle boots")

    # The round is over: not mastered (the leggings were wrong first), the next module offered.
    result = feedback(page)
    expect(result).to_contain_text("Round 1 done: 2 of 3 right on the first try.")
    expect(result).to_contain_text("Not mastered yet")
    expect(result.get_by_role("link", name=f"Next module: {NEXT}", exact=True)).to_be_visible()
    expect_fits_the_screen(page, viewport)

    # Round 2, every item right on the first try: mastered.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Practice", exact=True).click()
    page.get_by_role("link", name=f"Continue practising: {MODULE}", exact=True).click()
    choose(page, LEGGINGS, "Yes, tag it")
    next_item(page)
    choose(page, TIGHTS, "No, do not tag it")
    next_item(page)
    tick(page, "skirt", "ankle boots")
    result = feedback(page)
    expect(result).to_contain_text("Round 2 done: 3 of 3 right on the first try.")
    expect(result).to_contain_text("You have mastered this module.")
    expect(mastery_line(page)).to_contain_text("Mastered.")
    expect_fits_the_screen(page, viewport)
    result.get_by_role("link", name=f"Next module: {NEXT}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Practice: {NEXT}")

    # The course home and the training centre count it.
    page.goto("/courses/clothing-tagging")
    syllabus = page.get_by_role("region", name="Syllabus")
    expect(syllabus.get_by_text("Practice: 1 of 5 modules mastered.")).to_be_visible()
    expect_fits_the_screen(page, viewport)
    page.goto("/courses/")
    card = page.get_by_role("article", name="Tagging clothing in photos")
    expect(card.get_by_role("definition").filter(has_text="modules mastered")).to_have_text(
        "1 of 5 modules mastered")
    assert browser_errors == []
