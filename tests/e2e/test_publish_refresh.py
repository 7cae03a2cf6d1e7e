"""An instructor publishing material changes in Chromium is told first how many qualified
trainees will need a refresh exam, in view, and publishes by confirming."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bootcamp.extensions import db
from courses.services import manuals
from tests.e2e.steps import PHONE, expect_fits_the_screen, log_in
from tests.factories import WORLD_MANUAL_V2, make_world, take
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")  # noqa: S108  (a fixed place to look at them)


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE],
                         ids=["desktop", "phone"])
def test_publishing_a_material_change_says_who_must_refresh(app, make_user, page: Page,
                                                              viewport, browser_errors):
    world = make_world(app, make_user)
    with app.app_context():
        take(world, world.trainee)
        manuals.save_draft(world.course(), WORLD_MANUAL_V2, world.user(world.instructor))
        db.session.commit()
    log_in(page, world.instructor.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto("/courses/exam-course/manual/publish")
    page.get_by_label("Changelog (Markdown)").fill("Helmets are not hats.")
    page.get_by_role("group", name="Material changes").get_by_role(
        "checkbox", name="Hats", exact=True).check()
    page.get_by_role("button", name="Publish version 2", exact=True).click()
    warning = page.get_by_role("alert").filter(has_text="asked to take a refresh exam")
    expect(warning.get_by_role("heading")).to_have_text(
        "1 qualified trainee is asked to take a refresh exam")
    expect(warning).to_be_in_viewport()  # the page comes back at its top: the answer is there
    confirm = page.get_by_role("button", name="Publish and ask 1 trainee to refresh")
    expect_fits_the_screen(page, viewport)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"publish-refresh-{viewport['width']}.png"))
    confirm.click()
    expect(page.get_by_role("status")).to_contain_text("Version 2 is published.")
    assert list(browser_errors) == []
