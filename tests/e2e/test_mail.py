"""Mail in a real browser: "forgot password" by email, read from a real SMTP server, and
sign-up's two answers (a new address is logged in, a taken one is told to check its mail)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.steps import DESKTOP, PHONE, expect_dashboard, expect_fits_the_screen, log_in
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/shots")  # noqa: S108  (a fixed place to look at them)
NEW_PASSWORD = "purple elephant marching quietly"


def shot(page: Page, name: str, viewport: dict) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"mail-{name}-{viewport['width']}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_forgot_password_by_email_then_log_in_with_the_new_password(
        page: Page, make_user, smtp_server, viewport, browser_errors):
    make_user(email="forgetful@example.com")
    page.goto("/auth/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    expect_fits_the_screen(page, viewport)
    shot(page, "forgot", viewport)
    page.get_by_label("Email", exact=True).fill("forgetful@example.com")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("status")).to_contain_text(
        "If an account uses that address, we have sent a link")
    shot(page, "forgot-sent", viewport)

    [received] = smtp_server.wait_for(1)
    assert received.recipients == ["forgetful@example.com"]
    [link] = received.links()
    page.goto(urlsplit(link).path)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat new password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your new password is set")
    log_in(page, "forgetful@example.com", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    assert browser_errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_sign_up_with_a_taken_address_says_check_your_email(page: Page, make_user,
                                                            smtp_server, viewport):
    make_user(email="taken@example.com")
    page.goto("/auth/signup")
    page.get_by_label("Your name", exact=True).fill("Someone Else")
    page.get_by_label("Email", exact=True).fill("taken@example.com")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign up", exact=True).click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect_fits_the_screen(page, viewport)
    shot(page, "signup-taken", viewport)
    [received] = smtp_server.wait_for(1)
    assert received.recipients == ["taken@example.com"]


def test_sign_up_from_a_page_that_needs_a_log_in_comes_back_to_it(page: Page, make_user):
    page.goto("/auth/account")  # needs a log-in: the log-in page remembers where to go
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Your name", exact=True).fill("Nia Newcomer")
    page.get_by_label("Email", exact=True).fill("nia@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign up", exact=True).click()
    expect(page).to_have_url(re.compile(r"/auth/account$"))
    page.goto("/dashboard")
    expect_dashboard(page, "Nia Newcomer")
