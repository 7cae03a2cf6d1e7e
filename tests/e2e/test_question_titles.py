"""Long questions fit their cards, on a phone and on a desktop, in real Chromium.

Issue 13, point 19: a question's title (the prompt above a drawing tool, the legend of a choice)
is never cut by a card's border or runs out of it, however long, even with a word too long for
the line (a file name, an address).
"""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import update

from bootcamp.extensions import db
from bootcamp.users.models import Role
from courses.models import Item
from tests.e2e.steps import DESKTOP, expect_fits_the_screen, log_in
from tests.e2e.test_exam import real_png
from tests.e2e.test_practice_drawing import drawing_course
from tests.factories import TAKING_SLUG, make_exam_course
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
LONG = ("Draw a box around every car, van, truck and bus in this photograph, including the ones "
        "partly hidden behind pedestrians, cyclists or street furniture, as the manual says in "
        "street_scene_annotation_guidelines_for_cars_vans_trucks_buses_and_cyclists_version_"
        "two_final_reviewed.pdf before you start.")

INSIDE = """element => {
  const card = element.closest('.card').getBoundingClientRect();
  const own = element.getBoundingClientRect();
  const box = element.closest('fieldset')?.getBoundingClientRect();
  return {
    inside: own.left >= card.left && own.right <= card.right && own.top >= card.top
      && own.bottom <= card.bottom,
    wraps: element.scrollWidth <= element.clientWidth,
    // A legend drawn on its fieldset's top border has the same top; one inside it is lower.
    offBorder: !box || own.top > box.top,
    text: element.textContent.trim().slice(0, 40),
  };
}"""


def long_prompts(app: Flask) -> None:
    with app.app_context():
        db.session.execute(update(Item).values(prompt=LONG))
        db.session.commit()


def assert_titles_fit(page: Page, selector: str, count: int) -> None:
    titles = page.locator(selector)
    expect(titles).to_have_count(count)
    for n in range(count):
        fit = titles.nth(n).evaluate(INSIDE)
        assert fit["inside"] and fit["wraps"] and fit["offBorder"], fit


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_long_question_fits_its_card_on_the_practice_page(app: Flask, page: Page, make_user,
                                                            viewport: dict) -> None:
    trainee = make_user(Role.TRAINEE)
    drawing_course(app, make_user(Role.INSTRUCTOR), trainee)
    long_prompts(app)
    log_in(page, trainee.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto("/courses/drawing/practice/street/street")
    expect(page.get_by_text(LONG)).to_be_visible()
    assert_titles_fit(page, ".practice-question .prompt", 1)
    expect_fits_the_screen(page, viewport)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_long_questions_fit_their_cards_on_the_exam_page(app: Flask, page: Page, make_user,
                                                         viewport: dict) -> None:
    trainee = make_user(Role.TRAINEE)
    make_exam_course(app, make_user(Role.INSTRUCTOR), (trainee,), image=real_png)
    long_prompts(app)
    log_in(page, trainee.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto(f"/courses/{TAKING_SLUG}/exam")
    page.get_by_role("button", name="Start the exam", exact=True).click()
    expect(page.get_by_role("heading", name="Item 1 of 6")).to_be_visible()
    # Two drawing tools with a prompt above them; four choice items titled by their legend.
    assert_titles_fit(page, ".exam-item .prompt", 2)
    assert_titles_fit(page, ".exam-item .answer-options legend", 4)
    expect_fits_the_screen(page, viewport)
