"""A trainee with no attempts left asks for another round in Chromium; the instructor gives one
from their queue, and the trainee can take the exam again."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.steps import PHONE, expect_fits_the_screen, log_in
from tests.factories import make_manage_world, take
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")  # noqa: S108  (a fixed place to look at them)


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE],
                         ids=["desktop", "phone"])
def test_a_failed_trainee_asks_for_another_round_and_gets_one(app, make_user, page: Page,
                                                              new_page, live_server, viewport,
                                                              browser_errors):
    world = make_manage_world(app, make_user)  # one attempt, every item needed to pass
    with app.app_context():
        take(world, world.trainee, wrong={"hat-1"})
    log_in(page, world.trainee.email, PASSWORD)
    page.get_by_role("link", name="Ask for another round", exact=True).click()
    page.get_by_label("Message to your instructor (optional)").fill("I misread the hats rule.")
    page.get_by_role("button", name="Ask for another round", exact=True).click()
    sent = page.get_by_text("Your request for another round is sent to your instructor.")
    expect(sent).to_be_in_viewport()
    expect(page.get_by_text("Your instructor's answer will show here.")).to_be_visible()
    expect_fits_the_screen(page, viewport)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"round-asked-{viewport['width']}.png", full_page=True)

    staff = new_page(live_server, viewport)
    log_in(staff, world.instructor.email, PASSWORD)
    staff.get_by_role("link", name="1 request for another round to answer").click()
    request = staff.get_by_role("region").filter(has_text=world.trainee.email)
    expect(request.get_by_text("I misread the hats rule.")).to_be_visible()
    request.get_by_role("radio", name="Give another round of attempts").check()
    staff.screenshot(path=SHOTS / f"round-queue-{viewport['width']}.png", full_page=True)
    request.get_by_role("button", name="Send the answer").click()
    expect(staff.get_by_text("Another round given")).to_be_visible()
    expect(staff.get_by_text("No trainee is waiting for another round.")).to_be_visible()

    page.reload()
    expect(page.get_by_text("Your instructor gave you another round of exam attempts.")
           ).to_be_visible()
    expect(page.get_by_role("button", name="Start the exam", exact=True)).to_be_visible()
