"""The sequential exam mode on the demo's exam settings page, in Chromium: the demo's clothing
exam is sequential and the page shows its characteristics; the preview shows those of the
form's values (the issue's example) without saving them, a truncation that breaks the error
rates is refused with the fewest items that keep them, and saving shows the saved test's
characteristics. On a desktop and on a 360 px phone; screenshots go to
/tmp/shots-sequential.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from bootcamp.demo import seed_demo
from bootcamp.extensions import db
from courses.models import Course
from exams.models import ExamSettings
from tests.e2e.steps import DESKTOP, PHONE, expect_fits_the_screen, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SHOTS = Path("/tmp/shots-sequential")  # noqa: S108  (a fixed place to look at them)
COURSE = "clothing-tagging"
INSTRUCTOR = "instructor@example.com"


def shoot(page: Page, name: str, viewport: dict) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{viewport['width']}.png"), full_page=True)


def stored_mode(app) -> tuple[str, int] | None:
    with app.app_context():
        row = db.session.execute(select(ExamSettings.mode, ExamSettings.sequential_max_items)
                                 .join(Course, Course.id == ExamSettings.course_id)
                                 .where(Course.slug == COURSE)).first()
        return None if row is None else tuple(row)


def expect_charts_drawn(page: Page) -> None:
    """Both charts' images loaded (an SVG that failed would have no natural width)."""
    for name in ("Line chart of the chance of passing",
                 "Line chart of the number of items answered"):
        image = page.get_by_role("img", name=name)
        expect(image).to_be_visible()
        image.evaluate("img => img.decode()")
        assert image.evaluate("img => img.naturalWidth") > 0, name


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_preview_then_save_a_sequential_exam(app, live_server, new_page: Callable[..., Page],
                                             browser_errors, viewport):
    with app.app_context():
        password = {account.email: account.password for account in seed_demo()}[INSTRUCTOR]
    before = stored_mode(app)
    page = new_page(live_server, viewport)
    log_in(page, INSTRUCTOR, password)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto(f"/courses/{COURSE}/exam/settings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Exam settings")
    expect(page.get_by_role("radio", name="Sequential: the exam ends as soon as the result is "
                                          "certain", exact=False)).to_be_checked()
    region = page.get_by_role("region", name="How the sequential exam decides")
    expect(region.get_by_role("table")).to_contain_text("At the fail level (60% right)")
    expect_charts_drawn(page)
    shoot(page, "settings-demo", viewport)

    page.get_by_label("Fail level (% of items right)", exact=True).fill("70")
    page.get_by_label("Pass level (% of items right)", exact=True).fill("85")
    page.get_by_label("Most items", exact=True).fill("200")
    page.get_by_role("button", name="Preview the sequential exam").click()
    expect(page.get_by_role("status")).to_contain_text("Preview, not saved")
    expect(region.get_by_role("table")).to_contain_text("At the fail level (70% right)")
    expect(page.get_by_label("Most items", exact=True)).to_have_value("200")
    expect_charts_drawn(page)
    expect_fits_the_screen(page, viewport)
    shoot(page, "preview", viewport)
    assert before == ("sequential", 25)  # the demo's (examples/clothing-tagging/course.yaml)
    assert stored_mode(app) == before  # a preview saves nothing

    page.get_by_label("Most items", exact=True).fill("60")
    page.get_by_role("button", name="Save exam settings").click()
    expect(page.get_by_role("alert")).to_contain_text("With at most 60 items the sequential "
                                                      "exam, computed exactly")
    expect(page.get_by_role("alert")).to_contain_text("123 items is the fewest that keeps both")
    expect_fits_the_screen(page, viewport)
    shoot(page, "refused", viewport)
    assert stored_mode(app) == before

    page.get_by_label("Most items", exact=True).fill("123")
    page.get_by_role("button", name="Save exam settings").click()
    expect(page.get_by_role("status").first).to_contain_text("Exam settings saved.")
    expect(page.get_by_role("heading", name="How the sequential exam decides")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Preview, not saved")).to_have_count(0)
    expect_charts_drawn(page)
    expect_fits_the_screen(page, viewport)
    shoot(page, "saved", viewport)
    assert stored_mode(app) == ("sequential", 123)
    assert browser_errors == []
