"""Practice in a real browser: a trainee answers, reads why, retries and sees progress.

The course is the clothing example bundle (as `bootcamp demo` loads it). A trainee practises a
choice item and a labels item, gets each wrong first with the explanation and a link to the
rule, retries, gets it right and sees the module's progress. Elements are found by role and
accessible name only; the pages must raise no console errors or CSP violations and fit a
360 px phone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import EnrollmentSource
from courses.services import bundles, enrolment
from tests.e2e.steps import DESKTOP, PHONE, expect_fits_the_screen, log_in
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

EXAMPLE_BUNDLE = Path(__file__).resolve().parents[2] / "examples" / "clothing-tagging"
TITLE = "Tagging clothing in photos"
MODULE = "Leggings and tights"


def example_course_with(app: Flask, trainee: User) -> None:
    """Import the clothing example bundle and enrol the trainee."""
    with app.app_context():
        result = bundles.import_bundle(EXAMPLE_BUNDLE, actor=None)
        enrolment.enrol(db.session.get(User, trainee.id), result.course,
                        EnrollmentSource.SELF)
        db.session.commit()


def feedback(page: Page):
    return page.get_by_role("region", name="Not quite").or_(
        page.get_by_role("region", name="Correct"))


def check(page: Page) -> None:
    page.get_by_role("button", name="Check answer", exact=True).click()


def expect_module(page: Page, answered: str, mastery: str) -> None:
    """The practice page's card of the module shows these counts."""
    card = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=MODULE, exact=True))
    expect(card.get_by_role("definition").first).to_have_text(answered)
    expect(card.get_by_role("definition").nth(1)).to_have_text(mastery)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
def test_a_trainee_practises_gets_it_wrong_reads_why_retries_and_sees_progress(
        app: Flask, page: Page, make_user, browser_errors, viewport):
    trainee = make_user(Role.TRAINEE)
    example_course_with(app, trainee)
    log_in(page, trainee.email, PASSWORD)
    page.goto("/courses/clothing-tagging")
    syllabus = page.get_by_role("region", name="Syllabus")
    syllabus.get_by_role("link", name="Practise", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Practice: {TITLE}")
    expect_module(page, "0 of 3", "Round 1: 0 of 3 items answered.")
    expect_fits_the_screen(page, viewport)
    page.get_by_role("link", name=f"Start practising: {MODULE}", exact=True).click()

    # A choice item: wrong first, with the explanation and the rule it tests.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Practice: {MODULE}")
    question = page.get_by_role("group", name="A runner in a park wears black leggings. "
                                               "Do you tag the leggings?")
    question.get_by_role("radio", name="No, do not tag it").check()
    check(page)
    result = feedback(page)
    expect(result).to_have_accessible_name("Not quite")
    expect(result).to_contain_text("Leggings yes, tights no.")
    expect(result.get_by_role("list", name="The options, your answer and the correct answer")
           .get_by_role("listitem").filter(has_text="Yes, tag it")).to_contain_text(
        "correct answer")
    rule = result.get_by_role("link", name=f"Read the rule: {MODULE}", exact=True)
    expect(rule).to_have_attribute("href", "/courses/clothing-tagging/manual#legwear")
    expect_fits_the_screen(page, viewport)
    result.get_by_role("link", name="Try again", exact=True).click()
    expect(feedback(page)).to_have_count(0)
    question.get_by_role("radio", name="Yes, tag it").check()
    check(page)
    expect(feedback(page)).to_have_accessible_name("Correct")
    expect(page.get_by_text("This try did not count toward mastery")).to_be_visible()

    # On to the labels item of the module (skipping one).
    feedback(page).get_by_role("link", name="Next item", exact=True).click()
    page.get_by_role("link", name="Skip to the next item", exact=True).click()
    labels = page.get_by_role("group", name="A child wears a pleated skirt, woollen tights "
                                             "and ankle boots. Tick everything you tag.")
    labels.get_by_role("checkbox", name="skirt", exact=True).check()
    labels.get_by_role("checkbox", name="tights", exact=True).check()
    check(page)
    result = feedback(page)
    expect(result).to_have_accessible_name("Not quite")
    expect(result).to_contain_text("tights are hosiery, which is not tagged")
    expect(result.get_by_role("listitem").filter(has_text="ankle boots")).to_contain_text(
        "missed")
    expect(result.get_by_role("link", name="Read the rule: Shoes and footwear")).to_be_visible()

    # Retry from the form, which kept the answer, then rightly.
    labels.get_by_role("checkbox", name="tights", exact=True).uncheck()
    labels.get_by_role("checkbox", name="ankle boots", exact=True).check()
    check(page)
    expect(feedback(page)).to_have_accessible_name("Correct")
    expect(feedback(page)).to_contain_text("100% of the points")

    # The module's progress on the practice page.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Practice", exact=True).click()
    expect_module(page, "2 of 3 (2 answered correctly)", "Round 1: 2 of 3 items answered.")
    page.get_by_role("link", name=f"Continue practising: {MODULE}", exact=True).click()
    expect(page.get_by_role("group", name="A woman wears a skirt over sheer tights. Do you "
                                           "tag the tights?")).to_be_visible()

    # The rule link's target: the manual at that section.
    page.goto("/courses/clothing-tagging/manual#legwear")
    expect(page.get_by_role("heading", name=MODULE, exact=True)).to_be_in_viewport()
    assert browser_errors == []
