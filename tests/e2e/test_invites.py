"""A new person follows a cohort's invite link in Chromium, creates an account on the invite
page and lands enrolled on the course home; a full cohort says so before any form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course, Enrollment
from courses.services import enrolment
from tests.e2e.steps import DESKTOP, expect_fits_the_screen, log_in
from tests.factories import invite_link, make_cohort, make_course
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")  # noqa: S108  (a fixed place to look at them)
PHONE_390 = {"width": 390, "height": 844}


def shot(page: Page, name: str, viewport: dict) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"invite-{name}-{viewport['width']}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE_390], ids=["desktop", "phone"])
def test_a_new_person_follows_an_invite_link_and_lands_enrolled(app, page: Page, make_user,
                                                                viewport, browser_errors):
    instructor = make_user(Role.INSTRUCTOR)
    course_id = make_course(app, instructor, title="Tagging clothing in photos",
                            qualifies_for="Paid clothing tagging", estimated_minutes=90)
    cohort_id = make_cohort(app, course_id, instructor, capacity=3)
    link = invite_link(app, instructor, cohort_id)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Tagging clothing in photos")
    expect(page.get_by_text("March intake")).to_be_visible()
    expect(page.get_by_text("2 March 2026")).to_be_visible()
    expect(page.get_by_text("3 of 3")).to_be_visible()
    expect(page.get_by_role("link", name="I already have an account — log in")).to_be_visible()
    expect(page.get_by_role("heading", name="New here? Create an account")).to_be_visible()
    expect_fits_the_screen(page, viewport)
    shot(page, "page", viewport)

    page.get_by_label("Your name", exact=True).fill("Nia Newcomer")
    page.get_by_label("Email", exact=True).fill("nia@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create an account and join").click()

    expect(page).to_have_url(re.compile(r"/courses/tagging$"))
    expect(page.get_by_role("status")).to_contain_text(
        "Welcome to Tagging clothing in photos (March intake).")
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    expect_fits_the_screen(page, viewport)
    shot(page, "course-home", viewport)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nia@example.com"))
        assert enrolment.enrollment_of(user.id, course_id).cohort_id == cohort_id
    assert list(browser_errors) == []


def test_a_full_cohort_says_so_before_any_form(app, page: Page, make_user, browser_errors):
    instructor = make_user(Role.INSTRUCTOR)
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor, capacity=1)
    member = make_user(Role.TRAINEE)
    with app.app_context():
        db.session.add(Enrollment(user_id=member.id, course_id=course_id, cohort_id=cohort_id,
                                  source=enrolment.EnrollmentSource.INVITE_LINK))
        db.session.commit()
    page.set_viewport_size(PHONE_390)
    page.goto(invite_link(app, instructor, cohort_id))
    expect(page.get_by_role("alert")).to_have_text("The cohort March intake is full.")
    expect(page.get_by_label("Your name")).to_have_count(0)
    expect(page.get_by_role("button", name="Create an account and join")).to_have_count(0)
    shot(page, "full", PHONE_390)
    assert list(browser_errors) == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE_390], ids=["desktop", "phone"])
def test_an_instructor_adds_a_trainee_by_list_and_the_places_agree(app, page: Page, make_user,
                                                                   viewport, browser_errors):
    instructor = make_user(Role.INSTRUCTOR)
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor, capacity=3)
    trainee = make_user(Role.TRAINEE, email="tess@example.com")
    with app.app_context():  # in the course on her own, without a cohort
        enrolment.enrol(db.session.get(User, trainee.id), db.session.get(Course, course_id),
                        enrolment.EnrollmentSource.SELF)
        db.session.commit()
    log_in(page, instructor.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto(f"/courses/tagging/cohorts/{cohort_id}")
    page.get_by_label("CSV of email addresses").set_input_files(files=[{
        "name": "people.csv", "mimeType": "text/csv",
        "buffer": b"email\ntess@example.com\nnew@example.com\n"}])
    page.get_by_role("button", name="Invite these people").click()
    report = page.get_by_role("status")
    expect(report).to_contain_text("Added to the cohort: 1. Invited (no account yet): 1.")
    expect(report.get_by_role("group").filter(has_text="Added to the cohort now")
           ).to_contain_text("tess@example.com")
    expect(page.get_by_text("1 enrolled, 1 invited · places taken: 2 of 3")).to_be_visible()
    expect_fits_the_screen(page, viewport)
    shot(page, "cohort-report", viewport)
    page.get_by_role("link", name="Cohorts", exact=True).click()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="March intake"))
    expect(row).to_contain_text("2 of 3")
    shot(page, "cohort-list", viewport)
    assert list(browser_errors) == []
