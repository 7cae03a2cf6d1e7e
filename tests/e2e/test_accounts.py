"""Accounts in a real browser: sign-up, log-in and log-out, errors, layout and keyboard use."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from bootcamp.users.models import Role
from tests.e2e.steps import (
    DESKTOP,
    PHONE,
    expect_dashboard,
    expect_fits_the_screen,
    log_in,
    sign_up,
)
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e


def main_nav(page: Page):
    return page.get_by_role("navigation", name="Main")


def expect_logged_out(page: Page) -> None:
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect(main_nav(page).get_by_role("link", name="Log in", exact=True)).to_be_visible()


def test_sign_up_log_in_log_out_and_log_in_again(page: Page, browser_errors):
    page.goto("/")
    main_nav(page).get_by_role("link", name="Sign up", exact=True).click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()

    sign_up(page, "Grace Hopper", "  Grace@Example.com ", PASSWORD)  # and logged in at once
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect_dashboard(page, "Grace Hopper")
    expect(page.get_by_text("You are signed in as grace@example.com")).to_be_visible()

    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("You are logged out.")
    expect_logged_out(page)
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Please log in to see that page.")

    page.goto("/")
    main_nav(page).get_by_role("link", name="Log in", exact=True).click()
    log_in(page, "grace@example.com", PASSWORD)
    expect_dashboard(page, "Grace Hopper")
    assert browser_errors == []


def test_a_wrong_password_shows_an_error_and_stays_logged_out(page: Page, make_user):
    user = make_user(email="ada@example.com")
    log_in(page, user.email, "not the right password")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        "That email and password do not match an account. Check both and try again."
    )
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect_logged_out(page)
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)

    # An unknown address gets exactly the same answer.
    log_in(page, "nobody@example.com", "not the right password")
    expect(page.get_by_role("alert")).to_have_text(
        "That email and password do not match an account. Check both and try again."
    )
    expect_logged_out(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
def test_pages_load_cleanly_and_fit_the_screen(page: Page, browser_errors, make_user, viewport):
    """No console errors or CSP violations, and no sideways scrolling even on a 360 px phone."""

    def check(path: str, heading: str) -> None:
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert page.evaluate("document.readyState") == "complete", path
        # The stylesheet loaded (and was allowed by the CSP): the skip link is moved off-screen.
        skip_link = page.get_by_role("link", name="Skip to main content")
        expect(skip_link).not_to_be_in_viewport()
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= viewport["width"], (
            f"{path} scrolls sideways: {scroll_width}px wide at a {viewport['width']}px viewport"
        )

    user = make_user(Role.ADMIN, email="admin@example.com")
    pages = [
        ("/", "Learn the guidelines. Practise. Qualify."),
        ("/auth/signup", "Create your account"),
        ("/auth/login", "Log in"),
    ]
    for path, heading in pages:
        page.goto(path, wait_until="load")
        check(path, heading)

    log_in(page, user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.wait_for_load_state("load")
    check("/dashboard", f"Welcome, {user.name}")
    for path, heading in [("/auth/account", "Your account"), ("/auth/password", "Change password"),
                          ("/admin/users", "Users")]:
        page.goto(path, wait_until="load")
        check(path, heading)

    assert browser_errors == []


@pytest.mark.parametrize("path", ["/", "/auth/signup", "/auth/login"])
def test_the_first_tab_focuses_the_skip_link(page: Page, path: str):
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()  # visible while focused
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()


def test_the_first_tab_focuses_the_skip_link_when_logged_in(page: Page, make_user):
    user = make_user()
    log_in(page, user.email, PASSWORD)
    expect_dashboard(page, user.name)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
def test_the_account_page_logs_out_other_devices(page: Page, new_page, live_server,
                                                 browser_errors, make_user, viewport):
    user = make_user(email="sam@example.com")
    phone = new_page(live_server, PHONE)
    log_in(phone, user.email, PASSWORD)
    expect_dashboard(phone, user.name)
    log_in(page, user.email, PASSWORD)
    expect_dashboard(page, user.name)

    main_nav(page).get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    sessions = page.get_by_role("region", name="Where you are logged in").get_by_role("listitem")
    expect(sessions).to_have_count(2)
    expect(sessions.first).to_contain_text("This device")
    expect(page.get_by_role("link", name="Change password")).to_be_visible()
    expect_fits_the_screen(page, viewport)

    page.get_by_role("button", name="Log out other sessions").click()
    expect(page.get_by_role("status")).to_have_text(
        "Logged out of 1 other session. This device stays logged in.")
    expect(sessions).to_have_count(1)
    expect(page.get_by_role("button", name="Log out other sessions")).to_have_count(0)
    phone.reload()
    expect(phone.get_by_role("heading", name="Log in", exact=True)).to_be_visible()

    page.get_by_role("button", name="Log out everywhere").click()
    expect(page.get_by_role("status")).to_contain_text("You are logged out everywhere")
    expect_logged_out(page)
    assert browser_errors == []
