"""Steps through the real pages, shared by the e2e test modules.

Elements are found by role and accessible name only, as assistive technology finds them.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from bootcamp.extensions import db
from bootcamp.users.models import User
from courses.services import catalog, enrolment
from courses.services.bundles import import_bundle
from tests.helpers import PASSWORD

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}

def sign_up(page: Page, name: str, email: str, password: str) -> None:
    """Create an account through the sign-up form; ends logged in, on the dashboard (or on
    the page a ?next= on the sign-up page names)."""
    if "/auth/signup" not in page.url:
        page.goto("/auth/signup")
    page.get_by_label("Your name", exact=True).fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password", exact=True).fill(password)
    page.get_by_role("button", name="Sign up", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to Bootcamp, {name.strip()}")
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()


def log_in(page: Page, email: str, password: str) -> None:
    """Fill in and submit the log-in form (opening it first unless it is already shown)."""
    if not re.search(r"/auth/login(\?|$)", page.url):
        page.goto("/auth/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def expect_dashboard(page: Page, name: str) -> None:
    """The logged-in dashboard greets `name`."""
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {name}")
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()


def main_nav(page: Page):
    """The site's main navigation in the header."""
    return page.get_by_role("navigation", name="Main")


def expect_fits_the_screen(page: Page, viewport: dict) -> None:
    """The page does not scroll sideways at this viewport's width.

    Callers first wait for the page they mean (its heading); waiting for the load here as
    well keeps a navigation still in flight from measuring a document that is not there yet.
    """
    page.wait_for_load_state()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= viewport["width"], (
        f"{page.url} scrolls sideways: {scroll_width}px wide at a {viewport['width']}px viewport"
    )


def open_demo_item(app, page: Page, trainee, repo_root, slug: str, path: str) -> Page:
    """A demo course imported, `trainee` enrolled and logged in, on one of its pages (`path`
    under /courses/<slug>/) whose widget has started."""
    with app.app_context():
        import_bundle(repo_root / "examples" / slug, actor=None)
        enrolment.enrol(db.session.get(User, trainee.id), catalog.find_course(slug),
                        enrolment.EnrollmentSource.SELF)
        db.session.commit()
    log_in(page, trainee.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto(f"/courses/{slug}/{path}")
    expect(page.get_by_text("This task needs JavaScript")).to_have_attribute("hidden", "")
    return page
