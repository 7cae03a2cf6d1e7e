"""An admin changes a role, then finds the change in the audit log, in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bootcamp.users.models import Role
from tests.e2e.steps import PHONE, expect_fits_the_screen, log_in, main_nav
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")  # noqa: S108  (a fixed place to look at them)


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE],
                         ids=["desktop", "phone"])
def test_a_role_change_is_found_in_the_audit_log(make_user, page: Page, viewport,
                                                 browser_errors):
    admin = make_user(Role.ADMIN)
    trainee = make_user(email="tess@example.com")
    log_in(page, admin.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto("/admin/users")
    page.get_by_role("combobox", name=f"Role of {trainee.email}").select_option("instructor")
    page.get_by_role("button", name=f"Save role of {trainee.email}").click()
    expect(page.get_by_role("status")).to_contain_text(f"{trainee.email} is now instructor.")
    main_nav(page).get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    page.get_by_label("Action").select_option(label="Role changed")
    page.get_by_label("Who (email or name)").fill(admin.email)
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        "1 entry matches these filters. Times are UTC.")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Role changed"))
    expect(row).to_contain_text(admin.email)
    expect(row).to_contain_text(trainee.email)
    expect_fits_the_screen(page, viewport)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"audit-{viewport['width']}.png"), full_page=True)
    assert list(browser_errors) == []


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE],
                         ids=["desktop", "phone"])
def test_a_locked_out_user_sets_a_password_through_the_admins_link(
        make_user, page: Page, new_page, live_server, viewport, browser_errors):
    admin = make_user(Role.ADMIN)
    user = make_user(email="locked@example.com")
    log_in(page, admin.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto("/admin/users")
    expect_fits_the_screen(page, viewport)
    page.screenshot(path=str(SHOTS / f"users-{viewport['width']}.png"), full_page=True)
    page.get_by_role("button", name=f"Password link for {user.email}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Password link for {user.email}")
    link = page.get_by_role("textbox", name="Password link to copy").input_value()
    expect_fits_the_screen(page, viewport)
    page.screenshot(path=str(SHOTS / f"password-link-{viewport['width']}.png"), full_page=True)
    them = new_page(live_server, viewport)
    them.goto(link)
    them.get_by_label("New password", exact=True).fill("violet kettle harbour")
    them.get_by_label("Repeat new password").fill("violet kettle harbour")
    them.get_by_role("button", name="Set the new password").click()
    expect(them.get_by_role("status")).to_contain_text("Your new password is set")
    expect(them.get_by_label("Email", exact=True)).to_have_value(user.email)
    them.get_by_label("Password", exact=True).fill("violet kettle harbour")
    them.get_by_role("button", name="Log in", exact=True).click()
    expect(them.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    assert list(browser_errors) == []
