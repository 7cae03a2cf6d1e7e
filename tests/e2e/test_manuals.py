"""Versioned manuals in a real browser: writing and publishing them, reading them, what changed.

An instructor writes a manual with a live preview, publishes two versions and compares them; a
trainee enrols, reads version 1, marks a section read and, once version 2 is out, is told what
changed. Every page is checked for console errors and CSP violations and for sideways scrolling
on a 360 px phone. Elements are found by role and accessible name only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, Request, expect

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import CourseStatus, EnrollmentSource
from courses.services import bundles, catalog, enrolment, manuals
from tests.e2e.steps import (
    DESKTOP,
    PHONE,
    expect_fits_the_screen,
    log_in,
    main_nav,
)
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

TITLE = "Tagging clothing in photos"
SLUG = "clothing-e2e"

MANUAL_V1 = """\
## What to tag

Tag every real piece of clothing that a person wears.

## Tricky cases

::: do
Tag a dress on a mannequin: a person could wear it.
:::
"""

MANUAL_V2 = """\
## What to tag

Tag every wearable piece of clothing that a person wears.

## Tricky cases

::: do
Tag a dress on a mannequin: a person could wear it.
:::

## Shoes

Shoes are clothing; flippers are not.
"""

CHANGELOG_V2 = "Only wearable items count, and a new section on shoes."

EXAMPLE_BUNDLE = Path(__file__).resolve().parents[2] / "examples" / "clothing-tagging"


# Setting up through the services, so that each test stands on its own.


def create_course(app: Flask, author: User, slug: str = SLUG, title: str = TITLE) -> None:
    with app.app_context():
        actor = db.session.get(User, author.id)
        catalog.create_course(
            catalog.CourseFields(slug=slug, title=title, status=CourseStatus.OPEN,
                                 qualifies_for="Paid clothing-tagging projects",
                                 estimated_minutes=45),
            actor,
        )
        db.session.commit()


def publish(app: Flask, author: User, markdown: str, changelog: str = "",
            material: tuple[str, ...] = (), slug: str = SLUG) -> None:
    with app.app_context():
        actor = db.session.get(User, author.id)
        course = catalog.find_course(slug)
        manuals.save_draft(course, markdown, actor)
        manuals.publish_draft(course, changelog, list(material), actor)
        db.session.commit()


# Steps through the course pages.


def stored(markdown: str) -> re.Pattern:
    """The text as the editor shows it again after saving (stored canonically: the line
    endings and the final newline may differ)."""
    return re.compile(r"^\s*" + re.escape(markdown.strip()) + r"\s*$")


def expect_flash(page: Page, text: str) -> None:
    """The message shown at the top of the page after an action."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def manual_section(page: Page, title: str):
    """A section of the manual on screen, named by its heading."""
    return page.get_by_role("article").get_by_role("region", name=title, exact=True)


def expect_word_diff(page: Page, section_name: str, removed: str, added: str) -> None:
    """The changed section shows the removed word struck (<del>) and the added one (<ins>)."""
    section = page.get_by_role("region", name=section_name, exact=True)
    expect(section.get_by_role("deletion")).to_have_text(removed)
    expect(section.get_by_role("insertion")).to_have_text(added)
    struck = section.get_by_role("deletion").evaluate("e => getComputedStyle(e).textDecorationLine")
    assert "line-through" in struck


def expect_summary(page: Page, **counts: int) -> None:
    summary = page.get_by_role("region", name="Summary", exact=True)
    for status, count in counts.items():
        expect(summary.get_by_text(f"{count} {status}", exact=True)).to_be_visible()


# (a) An instructor writes, previews, publishes and compares.


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
def test_an_instructor_writes_publishes_and_compares_manual_versions(
    page: Page, make_user, browser_errors, viewport
):
    instructor = make_user(Role.INSTRUCTOR)
    log_in(page, instructor.email, PASSWORD)
    main_nav(page).get_by_role("link", name="Manage", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage courses")
    page.get_by_role("link", name="New course", exact=True).click()

    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Short name for links", exact=True).fill(SLUG)
    page.get_by_label("Status", exact=True).select_option(label="Open — trainees can enrol")
    page.get_by_role("button", name="Create course", exact=True).click()

    # The draft editor, empty, with a live preview beside it.
    expect(page.get_by_role("heading", level=1)).to_have_text("Manual draft")
    expect_flash(page, "Course created")
    editor_url = page.url
    assert editor_url.endswith(f"/courses/{SLUG}/manual/draft")
    posts: list[str] = []

    def remember_post(request: Request) -> None:
        if request.method == "POST":
            posts.append(request.url)

    page.on("request", remember_post)
    source = page.get_by_label("Manual (Markdown)", exact=True)
    preview = page.get_by_role("region", name="Preview", exact=True)
    source.fill(MANUAL_V1)
    expect(preview.get_by_role("heading", name="What to tag", exact=True)).to_be_visible()
    expect(preview.get_by_role("heading", name="Tricky cases", exact=True)).to_be_visible()
    rule = preview.get_by_role("note").filter(has_text="Tag a dress on a mannequin")
    expect(rule).to_have_class("rule rule-do")
    expect(rule.get_by_text("Do", exact=True)).to_be_visible()  # its label, in words
    expect(preview.get_by_role("status")).to_have_text("Preview up to date.")
    # Nothing was submitted: the page only asked the server to render the preview.
    expect(page).to_have_url(editor_url)
    assert posts and all(url.endswith(f"/courses/{SLUG}/manual/preview") for url in posts), posts
    page.remove_listener("request", remember_post)
    expect_fits_the_screen(page, viewport)

    page.get_by_role("button", name="Save draft", exact=True).click()
    expect_flash(page, "Draft saved.")
    expect(source).to_have_value(stored(MANUAL_V1))
    page.get_by_role("button", name="Save and publish…", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish version 1")
    page.get_by_role("button", name="Publish version 1", exact=True).click()
    expect_flash(page, "Version 1 is published.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Manual version history")

    # Version 2: one section reworded, one added; a changelog and one material section.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=TITLE).click()
    page.get_by_role("link", name="Edit the manual draft", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manual draft")
    expect(source).to_have_value(stored(MANUAL_V1))  # the draft starts from the latest version
    source.fill(MANUAL_V2)
    expect(preview.get_by_role("heading", name="Shoes", exact=True)).to_be_visible()
    page.get_by_role("button", name="Save and publish…", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish version 2")
    expect_fits_the_screen(page, viewport)
    page.get_by_label("Changelog (Markdown)", exact=True).fill(CHANGELOG_V2)
    material = page.get_by_role("group", name="Material changes")
    material.get_by_role("checkbox", name="What to tag", exact=True).check()
    expect(material.get_by_role("checkbox", name="Shoes", exact=True)).not_to_be_checked()
    page.get_by_role("button", name="Publish version 2", exact=True).click()
    expect_flash(page, "Version 2 is published.")

    # Version history, from the course home, then compare version 1 with version 2.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=TITLE).click()
    page.get_by_role("link", name="Version history", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manual version history")
    version_2 = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=re.compile(r"^Version 2\b"))
    )
    expect(version_2).to_contain_text(CHANGELOG_V2)
    version_2.get_by_role("link", name="Compare with version 1", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Version 1 compared with version 2"
    )
    expect_summary(page, added=1, changed=1, removed=0, moved=0)
    summary_table = page.get_by_role("table", name="Sections of version 2 compared with version 1")
    expect(summary_table.get_by_role("row", name="What to tag Changed")).to_be_visible()
    expect(summary_table.get_by_role("row", name="Shoes Added")).to_be_visible()
    expect(summary_table.get_by_role("row", name=re.compile("Tricky cases"))).to_have_count(0)
    expect_word_diff(page, "Changed What to tag", removed="real", added="wearable")
    added = page.get_by_role("region", name="Added Shoes", exact=True)
    expect(added).to_contain_text("Shoes are clothing; flippers are not.")
    expect_fits_the_screen(page, viewport)
    assert browser_errors == []


# (b) A trainee enrols, reads version 1, and is told what changed in version 2.


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
def test_a_trainee_reads_the_manual_and_sees_what_changed(
    app: Flask, page: Page, make_user, browser_errors, viewport
):
    instructor = make_user(Role.INSTRUCTOR)
    create_course(app, instructor)
    publish(app, instructor, MANUAL_V1)
    trainee = make_user(Role.TRAINEE)

    log_in(page, trainee.email, PASSWORD)
    main_nav(page).get_by_role("link", name="Courses", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Training centre")
    card = page.get_by_role("article", name=TITLE, exact=True)
    expect(card).to_contain_text("Not enrolled")
    card.get_by_role("link", name=TITLE, exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    page.get_by_role("button", name="Enrol in this course", exact=True).click()
    expect_flash(page, f"You are enrolled in {TITLE}.")
    page.get_by_role("link", name="Start reading the manual", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"{TITLE}: manual")
    expect(page.get_by_role("article", name="Manual version 1")).to_be_visible()
    section = manual_section(page, "What to tag")
    expect(section).to_contain_text("Tag every real piece of clothing")
    expect_fits_the_screen(page, viewport)
    manual_url = page.url
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    section.get_by_role("button", name="Mark as read: What to tag", exact=True).click()
    expect(section.get_by_role("status")).to_have_text("You marked this section as read.")
    expect(section.get_by_role("button")).to_have_count(0)
    contents = page.get_by_role("navigation", name="Contents", exact=True)
    expect(
        contents.get_by_role("listitem").filter(has_text="What to tag").get_by_text("Read")
    ).to_be_visible()
    expect(page).to_have_url(manual_url)
    assert loads == [], f"marking a section read reloaded the page: {loads}"
    # The other section still offers its button.
    other = manual_section(page, "Tricky cases")
    expect(other.get_by_role("button", name="Mark as read: Tricky cases")).to_be_visible()

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("link", name="Continue reading the manual")).to_be_visible()
    publish(app, instructor, MANUAL_V2, CHANGELOG_V2, material=("what-to-tag",))
    page.reload()

    changed_link = page.get_by_role("link", name="See what changed since version 1", exact=True)
    expect(changed_link).to_be_visible()
    changed_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What changed since version 1")
    changelog = page.get_by_role("region", name="Changelog", exact=True)
    entry = changelog.get_by_role("article", name=re.compile(r"^Version 2\b"))
    expect(entry).to_contain_text(CHANGELOG_V2)
    expect(changelog.get_by_role("article")).to_have_count(1)
    expect_summary(page, added=1, changed=1)
    expect_word_diff(page, "Changed What to tag", removed="real", added="wearable")
    expect(page.get_by_role("region", name="Added Shoes", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("Tricky cases"))).to_have_count(0)
    expect_fits_the_screen(page, viewport)

    page.get_by_role("link", name="Read the current manual", exact=True).click()
    expect(page.get_by_role("article", name="Manual version 2")).to_be_visible()
    banner = page.get_by_role(
        "region", name="The manual changed since you last read it (version 1)", exact=True
    )
    expect(banner).to_contain_text("1 section changed and 1 added")
    for title in ("What to tag", "Shoes"):
        expect(manual_section(page, title).get_by_text("Changed", exact=True)).to_be_visible()
        expect(
            contents.get_by_role("listitem").filter(has_text=title).get_by_text("Changed")
        ).to_be_visible()
    expect(manual_section(page, "Tricky cases").get_by_text("Changed", exact=True)).to_have_count(0)
    expect(manual_section(page, "What to tag")).to_contain_text("Tag every wearable piece")
    expect_fits_the_screen(page, viewport)

    # Having read version 2, the course home no longer offers what changed.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("link", name=re.compile("See what changed"))).to_have_count(0)
    assert browser_errors == []


# (c) The pages fit a phone, lay the manual out for the screen, and load cleanly.


def load_example_course(app: Flask, instructor: User, trainee: User) -> str:
    """The clothing-tagging example (4 versions, images), plus a version 5 with a wide table;
    the trainee is enrolled and has read version 2."""
    with app.app_context():
        result = bundles.import_bundle(EXAMPLE_BUNDLE, actor=None)
        course = result.course
        author = db.session.get(User, instructor.id)
        latest = manuals.latest_version(course)
        table = (
            "\n## Labels at a glance {#labels}\n\n"
            "| Item | Label | Why |\n|---|---|---|\n"
            "| Mannequin's dress | clothing | A person could wear it |\n"
            "| Reflection of a jacket in a shop window | clothing | Reflections of real "
            "clothing are real clothing |\n"
            "| Flippers | none | Sports equipment |\n"
            "| Supercalifragilisticexpialidocious-waterproof-overtrousers | clothing | "
            "Long words must wrap |\n"
        )
        manuals.save_draft(course, latest.markdown + table, author)
        manuals.publish_draft(course, "A table of labels.", [], author)
        reader = db.session.get(User, trainee.id)
        enrolment.enrol(reader, course, EnrollmentSource.SELF)
        manuals.record_opened(reader, course, manuals.version_by_number(course, 2))
        db.session.commit()
        return course.slug


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
def test_course_pages_fit_the_screen_and_load_cleanly(
    app: Flask, page: Page, make_user, browser_errors, viewport
):
    trainee = make_user(Role.TRAINEE)
    slug = load_example_course(app, make_user(Role.INSTRUCTOR), trainee)
    log_in(page, trainee.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    for path, heading in [
        ("/courses/", "Training centre"),
        (f"/courses/{slug}", "Tagging clothing in photos"),
        (f"/courses/{slug}/manual/changes?since=2", "What changed since version 2"),
        (f"/courses/{slug}/manual/diff?from=1&to=5", "Version 1 compared with version 5"),
        (f"/courses/{slug}/manual/history", "Manual version history"),
        (f"/courses/{slug}/manual", "Tagging clothing in photos: manual"),
    ]:
        page.goto(path)
        # (A manual's own top heading is a level-1 heading too: find the page's by name.)
        expect(page.get_by_role("heading", level=1, name=heading, exact=True)).to_be_visible()
        expect_fits_the_screen(page, viewport)

    # The manual (opened last): images and tables stay within the page, the contents sit
    # beside the text on a wide screen and above it on a phone, and stay in view when scrolling.
    article = page.get_by_role("article", name="Manual version 5")
    for image in article.get_by_role("img").all():
        expect(image).to_be_visible()
        box = image.bounding_box()
        assert box and box["x"] + box["width"] <= viewport["width"], box
    expect(article.get_by_role("table")).to_be_visible()
    contents = page.get_by_role("navigation", name="Contents", exact=True)
    toc, text = contents.bounding_box(), article.bounding_box()
    if viewport == PHONE:
        assert toc["y"] + toc["height"] <= text["y"], (toc, text)
    else:
        assert toc["x"] + toc["width"] <= text["x"], (toc, text)
        manual_section(page, "Things that are not clothing").scroll_into_view_if_needed()
        expect(contents).to_be_in_viewport()
    assert browser_errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
def test_authoring_pages_fit_the_screen_and_load_cleanly(
    app: Flask, page: Page, make_user, browser_errors, viewport
):
    instructor = make_user(Role.INSTRUCTOR)
    create_course(app, instructor)
    publish(app, instructor, MANUAL_V1)
    log_in(page, instructor.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto(f"/courses/{SLUG}/manual/draft")
    expect(page.get_by_role("heading", level=1)).to_have_text("Manual draft")
    source = page.get_by_label("Manual (Markdown)", exact=True)
    preview = page.get_by_role("region", name="Preview", exact=True)
    expect(preview.get_by_role("note").first).to_be_visible()
    expect_fits_the_screen(page, viewport)
    # Source and preview side by side on a wide screen, one above the other on a phone.
    left, right = source.bounding_box(), preview.bounding_box()
    if viewport == PHONE:
        assert left["y"] + left["height"] <= right["y"], (left, right)
    else:
        assert left["x"] + left["width"] <= right["x"], (left, right)
        assert left["height"] >= 400, left

    source.fill(MANUAL_V2)
    expect(preview.get_by_role("heading", name="Shoes", exact=True)).to_be_visible()
    page.get_by_role("button", name="Save and publish…", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish version 2")
    expect(page.get_by_role("group", name="Material changes")).to_be_visible()
    expect_fits_the_screen(page, viewport)

    for path, heading in [
        ("/courses/manage", "Manage courses"),
        ("/courses/new", "New course"),
        (f"/courses/{SLUG}/edit", "Edit course"),
    ]:
        page.goto(path)
        # (A manual's own top heading is a level-1 heading too: find the page's by name.)
        expect(page.get_by_role("heading", level=1, name=heading, exact=True)).to_be_visible()
        expect_fits_the_screen(page, viewport)
    assert browser_errors == []
