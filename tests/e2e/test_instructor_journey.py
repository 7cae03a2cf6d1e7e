"""An instructor's first day, in real Chromium, start to finish: create a course, write and
publish its manual, create one item of every kind in the browser, set the exam, invite people
with a CSV file, and read the invitation that arrived at a real SMTP server."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from bootcamp.users.models import Role
from courses import kinds
from tests.e2e.steps import DESKTOP, expect_fits_the_screen, log_in, main_nav
from tests.e2e.test_widgets import png
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")  # noqa: S108  (a fixed place to look at them)
TITLE, SLUG = "Street scenes", "street-scenes"
WIDTH, HEIGHT = 320, 200
MANUAL = """# Vehicles {#vehicles}

Box every car, even a parked one.

# People {#people}

Mark each person's nose and wrists when you can see them.

# Reviews {#reviews}

Mark the passages that praise the food.
"""
IMAGE = {"name": "street.png", "mimeType": "image/png", "buffer": png(WIDTH, HEIGHT)}


def flash(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def image_area(page: Page):
    return page.get_by_role("application", name=re.compile("^Image to annotate"))


def new_item(page: Page, kind: str, prompt: str, names: str, section: str, *,
             exam: bool = False) -> None:
    """Gold items, New item, the kind; the question, up to the gold step."""
    page.goto(f"/courses/{SLUG}/items")
    page.get_by_role("link", name="New item", exact=True).click()
    page.get_by_role("link", name=kind, exact=True).click()
    page.get_by_label("Prompt (optional)").fill(prompt)
    if kind in ("Boxes", "Points"):
        page.get_by_label("Image (PNG, JPEG or GIF)").set_input_files(IMAGE)
    if kind == "Spans":
        page.get_by_label("Text to mark").fill("The pizza was great and the staff were kind.")
    page.get_by_label(re.compile("^(Options|Labels|Keypoint names)$")).fill(names)
    page.get_by_label(section, exact=True).check()
    if exam:
        page.get_by_role("checkbox", name="Practice", exact=True).uncheck()
        page.get_by_role("checkbox", name="Exam", exact=True).check()
    page.get_by_role("button", name="Next: give the gold").click()
    expect(page.get_by_role("heading", name="2. The gold answer")).to_be_visible()


def save(page: Page) -> None:
    page.get_by_role("button", name="Save item").click()
    expect(page.get_by_text("What changed: first gold.")).to_be_visible()


def test_an_instructor_sets_up_a_course_and_the_invitation_arrives(
        app, page: Page, make_user, smtp_server, browser_errors):
    instructor = make_user(Role.INSTRUCTOR, email="ines@example.com")
    log_in(page, instructor.email, PASSWORD)

    # 1. The course, and its manual written and published in the browser.
    main_nav(page).get_by_role("link", name="Manage", exact=True).click()
    page.get_by_role("link", name="New course", exact=True).click()
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Short name for links", exact=True).fill(SLUG)
    page.get_by_label("Status", exact=True).select_option(label="Open — trainees can enrol")
    page.get_by_role("button", name="Create course", exact=True).click()
    page.get_by_label("Manual (Markdown)", exact=True).fill(MANUAL)
    page.get_by_role("button", name="Save and publish…", exact=True).click()
    page.get_by_role("button", name="Publish version 1", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manual version history")

    # 2. One item of each kind, each gold given with the trainees' own widget.
    new_item(page, "Choice", "Is a parked car a vehicle to box?", "yes\nno", "Vehicles",
             exam=True)
    page.get_by_role("group", name="Is a parked car a vehicle to box?").get_by_label(
        "yes").check()
    save(page)
    new_item(page, "Labels", "Which of these are vehicles?", "car\nbus\ntree", "Vehicles",
             exam=True)
    group = page.get_by_role("group", name="Which of these are vehicles?")
    group.get_by_label("car").check()
    group.get_by_label("bus").check()
    save(page)
    new_item(page, "Boxes", "Box every car.", "car", "Vehicles")
    image_area(page).evaluate("element => element.scrollIntoView({block: 'center'})")
    box = image_area(page).locator("image").bounding_box()
    page.mouse.move(box["x"] + 40 * box["width"] / WIDTH, box["y"] + 40 * box["height"] / HEIGHT)
    page.mouse.down()
    page.mouse.move(box["x"] + 160 * box["width"] / WIDTH,
                    box["y"] + 120 * box["height"] / HEIGHT, steps=6)
    page.mouse.up()
    save(page)
    new_item(page, "Points", "Mark the person's nose and left wrist.", "nose\nleft_wrist",
             "People")
    image_area(page).focus()
    page.keyboard.press("n")  # the nose, at the centre, from the keyboard ...
    for key in ("ArrowUp", "ArrowLeft") * 10:
        page.keyboard.press(key)  # ... moved up and left
    page.keyboard.press("n")  # then the left wrist at the centre
    save(page)
    new_item(page, "Spans", "Mark the praise of the food.", "praise", "Reviews", exam=True)
    text = page.get_by_role("textbox", name=re.compile("^Text to label"))
    text.focus()
    page.keyboard.press("Home")
    for _ in range(len("The pizza was great")):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("1")
    save(page)
    page.goto(f"/courses/{SLUG}/items")
    bank = page.get_by_role("table", name=f"Gold items of {TITLE}")
    made = [kind for kind in kinds.KINDS.values() if kind.made_in_browser]
    expect(bank.get_by_role("row")).to_have_count(1 + len(made))  # a header, an item each

    # 3. The exam: three items from the exam pool, two thirds to pass.
    page.goto(f"/courses/{SLUG}/exam/settings")
    page.get_by_label("Number of items").fill("3")
    page.get_by_label("Pass mark (% of the points)").fill("66")
    page.get_by_role("button", name="Save exam settings").click()
    expect(page.get_by_text("Ready: the exam pool has 3 active items.")).to_be_visible()

    # 4. A cohort, and people invited with a CSV file: the invitation arrives by mail.
    page.goto(f"/courses/{SLUG}/cohorts")
    page.get_by_label("Cohort name").fill("January intake")
    page.get_by_label("Start date").fill("2027-01-11")
    page.get_by_role("button", name="Create cohort").click()
    flash(page, "Cohort January intake created.")
    page.get_by_label("CSV of email addresses").set_input_files(files=[{
        "name": "people.csv", "mimeType": "text/csv",
        "buffer": b"email\nnoor@example.com\nsam@example.com\n"}])
    page.get_by_role("button", name="Invite these people").click()
    expect(page.get_by_role("status")).to_contain_text("Invited (no account yet): 2.")
    expect_fits_the_screen(page, DESKTOP)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "journey-instructor-invited.png", full_page=True)

    received = smtp_server.wait_for(2)
    assert sorted(m.recipients[0] for m in received) == ["noor@example.com", "sam@example.com"]
    [noor] = smtp_server.to("noor@example.com")
    assert TITLE in noor.subject and "January intake" in noor.text
    [link] = [url for url in noor.links() if "/courses/invite/" in url]
    reader = page.context.browser.new_page()
    reader.goto(page.url.split("/courses/")[0] + urlsplit(link).path)
    expect(reader.get_by_role("heading", level=1)).to_have_text(f"Join {TITLE}")
    expect(reader.get_by_role("button", name="Create an account and join")).to_be_visible()
    reader.close()
    assert list(browser_errors) == []
