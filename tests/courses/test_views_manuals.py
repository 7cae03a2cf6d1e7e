"""Manual pages through the browser: authoring, preview, reading, changes, diffs, access, media."""

from __future__ import annotations

import hashlib
import re

import pytest

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course, CourseStatus, MediaFile
from courses.services import enrolment, manuals
from tests.factories import (
    DIFF_NEW,
    DIFF_OLD,
    MANUAL_V1,
    MANUAL_V2,
    events_of,
    make_course,
    post_form,
    signed_in,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def add_media(app, course_id: int, path: str, content: bytes) -> str:
    sha = hashlib.sha256(content).hexdigest()
    with app.app_context():
        db.session.add(MediaFile(course_id=course_id, path=path, content=content, sha256=sha))
        db.session.commit()
    return sha


def publish_more(app, course_id: int, author: User, markdown: str, changelog: str,
                 material: list[str] | None = None) -> None:
    with app.app_context():
        course = db.session.get(Course, course_id)
        actor = db.session.get(User, author.id)
        manuals.save_draft(course, markdown, actor)
        manuals.publish_draft(course, changelog, material or [], actor)
        db.session.commit()


def version_rows(app, course_id: int) -> list[tuple[int | None, str]]:
    with app.app_context():
        course = db.session.get(Course, course_id)
        return [(v.number, v.status.value) for v in course.versions]


# Authoring.


def test_an_instructor_writes_saves_and_publishes_three_versions(app, instructor):
    course_id = make_course(app, instructor)
    client = signed_in(app, instructor)
    draft_page = client.get("/courses/tagging/manual/draft")
    assert draft_page.status_code == 200
    assert "Publishing makes it version 1." in text_of(draft_page)

    for number, (markdown, changelog) in enumerate(
            [(MANUAL_V1, ""), (MANUAL_V2, "Hats count."), (MANUAL_V2 + "\nEnd.\n", "End.")], 1):
        saved = post_form(client, "/courses/tagging/manual/draft",
                          {"markdown": markdown, "action": "save"},
                          page="/courses/tagging/manual/draft")
        assert saved.status_code == 302
        assert saved.headers["Location"] == "/courses/tagging/manual/draft"
        assert "Draft saved." in text_of(client.get(saved.headers["Location"]))
        to_publish = post_form(client, "/courses/tagging/manual/draft",
                               {"markdown": markdown, "action": "publish"},
                               page="/courses/tagging/manual/draft")
        assert to_publish.headers["Location"] == "/courses/tagging/manual/publish"
        page = text_of(client.get("/courses/tagging/manual/publish"))
        assert f"Publish version {number}" in page
        published = post_form(client, "/courses/tagging/manual/publish",
                              {"changelog": changelog}, page="/courses/tagging/manual/publish")
        assert published.status_code == 302, text_of(published)
        assert published.headers["Location"] == "/courses/tagging/manual/history"
        history = text_of(client.get("/courses/tagging/manual/history"))
        assert f"Version {number} is published." in history
    assert version_rows(app, course_id) == [(1, "published"), (2, "published"), (3, "published")]


def test_opening_the_editor_writes_nothing(app, instructor):
    course_id = make_course(app, instructor, versions=(MANUAL_V1,))
    client = signed_in(app, instructor)
    page = text_of(client.get("/courses/tagging/manual/draft"))
    assert "Based on version 1." in page and "Discard this draft" not in page
    assert "Tag every piece of clothing." in page  # the editor opens on the latest text
    assert version_rows(app, course_id) == [(1, "published")]
    assert "Unpublished draft" not in text_of(client.get("/courses/tagging/manual/history"))
    post_form(client, "/courses/tagging/manual/draft", {"markdown": MANUAL_V2, "action": "save"})
    assert "Discard this draft" in text_of(client.get("/courses/tagging/manual/draft"))
    assert version_rows(app, course_id) == [(1, "published"), (None, "draft")]


def test_the_publish_page_lists_every_problem_and_publishes_nothing(app, instructor):
    course_id = make_course(app, instructor, versions=(MANUAL_V1,))
    client = signed_in(app, instructor)
    post_form(client, "/courses/tagging/manual/draft",
              {"markdown": MANUAL_V2 + "\n<script>alert(1)</script>\n", "action": "save"})
    page = text_of(client.get("/courses/tagging/manual/publish"))
    assert 'value="armour"' in page and 'value="what-counts"' in page
    refused = post_form(client, "/courses/tagging/manual/publish", {"changelog": " "})
    assert refused.status_code == 200
    body = text_of(refused)
    alert = re.search(r'<div class="alert" role="alert">(.*?)</div>', body, re.S).group(1)
    assert "Describe what changed in the changelog." in alert
    assert "Line 17: unsafe HTML: &lt;script&gt; element is not allowed" in alert
    assert version_rows(app, course_id) == [(1, "published"), (None, "draft")]


def test_marking_an_unknown_section_material_is_refused(app, instructor):
    course_id = make_course(app, instructor, versions=(MANUAL_V1,))
    client = signed_in(app, instructor)
    post_form(client, "/courses/tagging/manual/draft", {"markdown": MANUAL_V2, "action": "save"})
    refused = post_form(client, "/courses/tagging/manual/publish",
                        {"changelog": "Hats.", "material": ["no-such-section"]})
    assert refused.status_code == 200
    assert "&#39;no-such-section&#39; is not a valid choice for this field." in text_of(refused)
    accepted = post_form(client, "/courses/tagging/manual/publish",
                         {"changelog": "Hats.", "material": ["what-counts", "armour"]})
    assert accepted.status_code == 302
    with app.app_context():
        latest = manuals.latest_version(db.session.get(Course, course_id))
        assert latest.number == 2 and latest.material_sections == ["what-counts", "armour"]


def test_publishing_without_a_draft_sends_the_author_to_write_one(app, instructor):
    course_id = make_course(app, instructor, versions=(MANUAL_V1,))
    client = signed_in(app, instructor)
    response = post_form(client, "/courses/tagging/manual/publish", {"changelog": "Nothing."})
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses/tagging/manual/draft"
    assert version_rows(app, course_id) == [(1, "published")]


def test_discarding_the_draft(app, instructor):
    course_id = make_course(app, instructor, versions=(MANUAL_V1,))
    client = signed_in(app, instructor)
    post_form(client, "/courses/tagging/manual/draft", {"markdown": MANUAL_V2, "action": "save"})
    assert "Unpublished draft" in text_of(client.get("/courses/tagging/manual/history"))
    response = post_form(client, "/courses/tagging/manual/draft/discard")
    assert response.headers["Location"] == "/courses/tagging/manual/history"
    assert version_rows(app, course_id) == [(1, "published")]


def test_the_preview_endpoint_returns_sanitised_html(app, instructor):
    make_course(app, instructor)
    client = signed_in(app, instructor)
    markdown = ("# Rules {#rules}\n\n::: do\nTag shirts.\n:::\n\n<script>alert(1)</script>\n\n"
                '<img src="media/a.png" onerror="alert(2)">\n\n[bad](javascript:alert(3))\n\n'
                '<a href="jav&#x09;ascript:alert(4)">x</a>\n\n<p style="color:red">styled</p>\n')
    response = post_form(client, "/courses/tagging/manual/preview", {"markdown": markdown})
    assert response.status_code == 200
    html = text_of(response)
    assert '<h2 id="rules">Rules</h2>' in html
    assert '<a href="#rules">Rules</a>' in html
    assert 'class="rule rule-do"' in html
    assert 'src="/courses/tagging/media/a.png"' in html
    for banned in ("<script", "alert(1)", "onerror", "href=\"jav", "style="):
        assert banned not in html.lower()
    assert "<p>[bad](javascript:alert(3))</p>" in html  # not a link: shown as the text it is
    assert '<a rel="noopener noreferrer">x</a>' in html
    assert "<!doctype" not in html.lower()  # a fragment for the live editor, not a page


def test_the_preview_needs_a_csrf_token_and_an_instructor(app, instructor, trainee):
    make_course(app, instructor)
    staff = signed_in(app, instructor)
    assert staff.post("/courses/tagging/manual/preview", data={"markdown": "# A"}).status_code \
        == 400
    learner = signed_in(app, trainee)
    assert post_form(learner, "/courses/tagging/manual/preview",
                     {"markdown": "# A"}).status_code == 403


def test_the_draft_editor_renders_its_preview(app, instructor):
    make_course(app, instructor, versions=(MANUAL_V1,))
    client = signed_in(app, instructor)
    page = text_of(client.get("/courses/tagging/manual/draft"))
    assert "Based on version 1. Publishing makes it version 2." in page
    assert '<h3 id="what-counts">What counts</h3>' in page
    preview = post_form(client, "/courses/tagging/manual/draft",
                        {"markdown": "# New {#new}\n\nText.", "action": "preview"})
    assert preview.status_code == 302  # saved, then shown again
    assert '<h2 id="new">New</h2>' in text_of(client.get("/courses/tagging/manual/draft"))


# Reading.


@pytest.fixture
def reading(app, instructor, trainee):
    """An open course with version 1, the trainee enrolled."""
    course_id = make_course(app, instructor, versions=(MANUAL_V1,))
    with app.app_context():
        enrolment.enrol(db.session.get(User, trainee.id), db.session.get(Course, course_id),
                        enrolment.EnrollmentSource.SELF)
        db.session.commit()
    return course_id


def test_reading_the_manual_records_opened_and_read_events(app, trainee, reading):
    client = signed_in(app, trainee)
    page = client.get("/courses/tagging/manual")
    assert page.status_code == 200
    assert "Version 1, published" in text_of(page)
    assert [e["version"] for e in events_of(app, "manual_opened", trainee.id)] == [1]
    response = post_form(client, "/courses/tagging/manual/read",
                         {"version": "1", "section": "shoes"}, page="/courses/tagging")
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses/tagging/manual/v1#shoes"
    as_json = post_form(client, "/courses/tagging/manual/read",
                        {"version": "1", "section": "towels"}, page="/courses/tagging",
                        headers={"Accept": "application/json"})
    assert as_json.get_json() == {"section": "towels", "read": True}
    read = events_of(app, "section_read", trainee.id)
    assert [(e["version"], e["section"], e["course_id"]) for e in read] == [
        (1, "shoes", reading), (1, "towels", reading)]
    page = text_of(client.get("/courses/tagging/manual"))
    assert page.count("You marked this section as read.") == 2
    assert page.count('<span class="tag tag-read">Read</span>') == 2
    with app.app_context():
        assert manuals.last_read_version(trainee.id, reading) == 1
        assert manuals.read_sections(trainee.id, reading) == {"shoes", "towels"}
    home = text_of(client.get("/courses/tagging"))
    assert "you have read 2" in home and "Continue reading" in home


@pytest.mark.parametrize("data", [
    {"version": "1", "section": "armour"},
    {"version": "9", "section": "shoes"},
    {"section": "shoes"},
    {"version": "1"},
])
def test_marking_an_unknown_section_or_version_read_is_a_bad_request(app, trainee, reading,
                                                                     data):
    client = signed_in(app, trainee)
    assert post_form(client, "/courses/tagging/manual/read", data).status_code == 400
    assert events_of(app, "section_read") == []


def test_old_versions_are_readable_and_unpublished_ones_are_not(app, instructor, trainee,
                                                               reading):
    publish_more(app, reading, instructor, MANUAL_V2, "Armour.")
    with app.app_context():
        manuals.save_draft(db.session.get(Course, reading), "# Draft", db.session.get(
            User, instructor.id))
        db.session.commit()
    client = signed_in(app, trainee)
    old = text_of(client.get("/courses/tagging/manual/v1"))
    assert "This is an older version." in old and "Shoes yes, flippers no." in old
    assert "This is an older version." not in text_of(client.get("/courses/tagging/manual/v2"))
    assert client.get("/courses/tagging/manual/v3").status_code == 404
    assert [e["version"] for e in events_of(app, "manual_opened", trainee.id)] == [1, 2]


def test_the_manual_of_a_course_without_versions_redirects_home(app, instructor, trainee):
    make_course(app, instructor)
    client = signed_in(app, trainee)
    response = client.get("/courses/tagging/manual")
    assert response.headers["Location"] == "/courses/tagging"
    assert "no published manual yet" in text_of(client.get("/courses/tagging"))


# What changed.


def test_what_changed_lists_changelogs_after_the_version_read_and_marks_changed_sections(
        app, instructor, trainee, reading):
    client = signed_in(app, trainee)
    client.get("/courses/tagging/manual")  # reads version 1
    publish_more(app, reading, instructor, MANUAL_V2, "Hats **count** now.", ["what-counts"])
    publish_more(app, reading, instructor, MANUAL_V2.replace("armour no", "armour never"),
                 "Armour clarified.")

    home = text_of(client.get("/courses/tagging"))
    assert "See what changed since version 1" in home
    page = text_of(client.get("/courses/tagging/manual/changes"))
    assert "What changed since version 1" in page
    assert "The manual is now at version 3." in page
    assert page.index("Version 3") < page.index("Version 2")  # newest first
    assert "Hats <strong>count</strong> now." in page and "Armour clarified." in page
    assert "Version 1 <span" not in page
    assert '<section class="diff-section diff-changed" id="diff-what-counts"' in page
    assert '<section class="diff-section diff-removed" id="diff-shoes"' in page
    assert '<section class="diff-section diff-added" id="diff-armour"' in page
    assert 'id="diff-towels"' not in page  # unchanged sections are not repeated

    since_2 = text_of(client.get("/courses/tagging/manual/changes?since=2"))
    assert "What changed since version 2" in since_2 and "Hats <strong>" not in since_2
    assert "Armour clarified." in since_2

    manual = text_of(client.get("/courses/tagging/manual"))  # the banner, then reads v3
    assert "The manual changed since you last read it (version 1)" in manual
    assert '<section class="manual-section is-changed" aria-labelledby="what-counts">' in manual
    assert '<section class="manual-section" aria-labelledby="towels">' in manual
    after = text_of(client.get("/courses/tagging/manual/changes"))
    assert "Nothing has changed" in after and "You have read the current version" in after


def test_after_a_new_version_unchanged_sections_stay_read_and_every_page_counts_alike(
        app, instructor, trainee, reading):
    client = signed_in(app, trainee)
    client.get("/courses/tagging/manual")
    for section in ("what-counts", "towels"):
        post_form(client, "/courses/tagging/manual/read", {"version": "1", "section": section},
                  page="/courses/tagging")
    publish_more(app, reading, instructor, MANUAL_V2, "Hats count now.", ["what-counts"])

    # One sentence, the same on the manual's banner and on the changes page.
    summary = "1 section changed, 1 added and 1 removed"
    manual = text_of(client.get("/courses/tagging/manual"))
    assert f"{summary}; the sections to read again are marked" in manual
    assert f"Since version 1: {summary}." in text_of(
        client.get("/courses/tagging/manual/changes?since=1"))
    # Towels said the same in both versions: still read. What counts was rewritten: not.
    assert re.search(r'href="#towels">Towels</a>\s*<span class="tag tag-read">', manual)
    assert not re.search(r'href="#what-counts">What counts</a>\s*(<span class="tag tag-'
                         r'changed">Changed</span>\s*)?<span class="tag tag-read">', manual)
    assert "you have read 1." in text_of(client.get("/courses/tagging"))


def test_image_descriptions_in_a_diff_are_set_apart_from_the_words_around_them(
        app, instructor, trainee):
    old = MANUAL_V1.replace("Shoes yes", "![a red shoe](shoe.png) Shoes yes")
    new = MANUAL_V1.replace("Shoes yes", "![a red boot](shoe.png) Shoes yes")
    make_course(app, instructor, versions=(old, new))
    page = text_of(signed_in(app, trainee).get("/courses/tagging/manual/diff"))
    assert '<del><span class="diff-image">[image: a red shoe]</span></del>' in page
    assert '<ins><span class="diff-image">[image: a red boot]</span></ins>' in page
    assert "Shoes yes" in page and "red</del>" not in page


def test_what_changed_before_opening_the_manual(app, trainee, reading):
    client = signed_in(app, trainee)
    page = text_of(client.get("/courses/tagging/manual/changes"))
    assert "Nothing has changed" in page and "You have not opened the manual yet." in page


# Diffs.


def test_the_diff_page_shows_added_removed_changed_and_moved_sections(app, instructor,
                                                                      trainee):
    make_course(app, instructor, versions=(DIFF_OLD, DIFF_NEW))
    client = signed_in(app, trainee)
    page = text_of(client.get("/courses/tagging/manual/diff"))
    assert "Version 1 compared with version 2" in page
    for tag in ("1 added", "1 removed", "1 changed", "1 moved", "2 unchanged"):
        assert tag in page
    for status, section in [("added", "hats"), ("removed", "shoes"), ("changed", "what-counts"),
                            ("moved", "gloves")]:
        assert f'<section class="diff-section diff-{status}" id="diff-{section}"' in page
    assert "<ins>" in page and "<del>" in page
    assert "This section moved; its text did not change." in page
    same = text_of(client.get("/courses/tagging/manual/diff?from=2&to=2"))
    assert "No section changed." in same


def test_the_diff_page_needs_two_published_versions(app, instructor, trainee):
    make_course(app, instructor, versions=(MANUAL_V1,))
    client = signed_in(app, trainee)
    response = client.get("/courses/tagging/manual/diff")
    assert response.headers["Location"] == "/courses/tagging/manual/history"
    publish_more(app, 1, instructor, MANUAL_V2, "Two.")
    assert client.get("/courses/tagging/manual/diff?from=1&to=5").status_code == 404


def test_the_history_lists_versions_and_only_staff_see_the_draft(app, instructor, trainee):
    course_id = make_course(app, instructor, versions=(MANUAL_V1, MANUAL_V2))
    with app.app_context():
        manuals.save_draft(db.session.get(Course, course_id), "# Draft",
                           db.session.get(User, instructor.id))
        db.session.commit()
    learner = text_of(signed_in(app, trainee).get("/courses/tagging/manual/history"))
    assert "Version 2" in learner and "Changed in 2." in learner
    assert "Unpublished draft" not in learner
    staff = text_of(signed_in(app, instructor).get("/courses/tagging/manual/history"))
    assert "Unpublished draft" in staff


# Who may see which course.

COURSE_PAGES = ["", "/manual", "/manual/v1", "/manual/history", "/manual/changes?since=1",
                "/manual/diff?from=1&to=2", "/media/a.png"]


@pytest.mark.parametrize("page", COURSE_PAGES)
def test_draft_courses_are_hidden_from_trainees(app, instructor, trainee, page):
    course_id = make_course(app, instructor, status=CourseStatus.DRAFT,
                            versions=(MANUAL_V1, MANUAL_V2))
    add_media(app, course_id, "media/a.png", PNG)
    assert signed_in(app, trainee).get(f"/courses/tagging{page}").status_code == 404
    assert signed_in(app, instructor).get(f"/courses/tagging{page}").status_code == 200
    assert "Tagging" not in text_of(signed_in(app, trainee).get("/courses/"))


@pytest.mark.parametrize("page", COURSE_PAGES)
def test_archived_courses_are_open_only_to_their_trainees(app, instructor, make_user, page):
    course_id = make_course(app, instructor, versions=(MANUAL_V1, MANUAL_V2))
    add_media(app, course_id, "media/a.png", PNG)
    member, stranger = make_user(Role.TRAINEE), make_user(Role.TRAINEE)
    with app.app_context():
        course = db.session.get(Course, course_id)
        enrolment.enrol(db.session.get(User, member.id), course, enrolment.EnrollmentSource.SELF)
        course.status = CourseStatus.ARCHIVED
        db.session.commit()
    assert signed_in(app, member).get(f"/courses/tagging{page}").status_code == 200
    assert signed_in(app, stranger).get(f"/courses/tagging{page}").status_code == 404


def test_the_training_centre_shows_open_courses_and_archived_ones_taken(app, instructor,
                                                                       trainee):
    make_course(app, instructor, "open-one", title="Open course")
    make_course(app, instructor, "draft-one", title="Draft course", status=CourseStatus.DRAFT)
    archived = make_course(app, instructor, "old-one", title="Old course")
    make_course(app, instructor, "closed-one", title="Closed course",
                status=CourseStatus.ARCHIVED)
    with app.app_context():
        course = db.session.get(Course, archived)
        enrolment.enrol(db.session.get(User, trainee.id), course, enrolment.EnrollmentSource.SELF)
        course.status = CourseStatus.ARCHIVED
        db.session.commit()
    client = signed_in(app, trainee)
    for path in ("/courses/", "/dashboard"):
        page = text_of(client.get(path))
        assert "Open course" in page and "Old course" in page
        assert "Draft course" not in page and "Closed course" not in page


# Media.


def test_media_is_served_with_an_etag_and_revalidated(app, instructor, trainee):
    course_id = make_course(app, instructor, versions=(MANUAL_V1,))
    sha = add_media(app, course_id, "media/photos/a.png", PNG)
    add_media(app, course_id, "media/notes.json", b'{"a": 1}')
    client = signed_in(app, trainee)
    response = client.get("/courses/tagging/media/photos/a.png")
    assert response.status_code == 200
    assert response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["ETag"] == f'"{sha}"'
    assert response.headers["Content-Disposition"] == "inline"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    cached = client.get("/courses/tagging/media/photos/a.png",
                        headers={"If-None-Match": f'"{sha}"'})
    assert cached.status_code == 304 and cached.data == b""
    stale = client.get("/courses/tagging/media/photos/a.png",
                       headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200 and stale.data == PNG
    download = client.get("/courses/tagging/media/notes.json")
    assert download.headers["Content-Disposition"] == "attachment"


def test_media_of_another_course_is_not_found(app, instructor, trainee):
    make_course(app, instructor, "first")
    second = make_course(app, instructor, "second")
    add_media(app, second, "media/secret.png", PNG)
    client = signed_in(app, trainee)
    assert client.get("/courses/second/media/secret.png").status_code == 200
    assert client.get("/courses/first/media/secret.png").status_code == 404
    assert client.get("/courses/first/media/../second/media/secret.png").status_code == 404
    assert client.get("/courses/second/media/missing.png").status_code == 404


def test_media_needs_a_login(app, instructor):
    course_id = make_course(app, instructor)
    add_media(app, course_id, "media/a.png", PNG)
    response = app.test_client().get("/courses/tagging/media/a.png")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_manage_page_counts_published_versions_only(app, instructor):
    course_id = make_course(app, instructor, versions=(MANUAL_V1, MANUAL_V2))
    with app.app_context():
        manuals.save_draft(db.session.get(Course, course_id), "# Draft",
                           db.session.get(User, instructor.id))
        db.session.commit()
    page = text_of(signed_in(app, instructor).get("/courses/manage"))
    assert "Tagging" in page and "<td>2</td>" in page
