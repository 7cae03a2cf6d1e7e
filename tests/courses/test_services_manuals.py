"""Manual versions through the services: drafts, publishing, immutability, reading, changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bootcamp.audit import AuditEntry
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses.models import Course, ManualVersion, PublishedVersionImmutable, VersionStatus
from courses.services import manuals
from tests.factories import (
    DIFF_NEW,
    DIFF_OLD,
    MANUAL_V1,
    MANUAL_V2,
    events_of,
    make_course,
)

PREFIX = "/courses/tagging/media/"

@pytest.fixture
def course_id(app, instructor) -> int:
    return make_course(app, instructor)


def _load(course_id: int, user: User) -> tuple[Course, User]:
    return db.session.get(Course, course_id), db.session.get(User, user.id)


def test_publishing_numbers_versions_1_2_3(app, instructor, course_id):
    with app.app_context():
        course, author = _load(course_id, instructor)
        numbers = []
        for n, text in enumerate([MANUAL_V1, MANUAL_V2, MANUAL_V2 + "\nMore.\n"], start=1):
            draft = manuals.save_draft(course, text, author)
            assert draft.number is None and draft.status is VersionStatus.DRAFT
            version = manuals.publish_draft(course, "" if n == 1 else f"Change {n}.", [], author)
            numbers.append(version.number)
            assert manuals.draft_of(course) is None
        db.session.commit()
        assert numbers == [1, 2, 3]
        versions = manuals.published_versions(course)
        assert [v.number for v in versions] == [1, 2, 3]
        assert all(v.published_at is not None and v.author_id == author.id for v in versions)
        assert [v.changelog for v in versions] == ["", "Change 2.", "Change 3."]
        assert manuals.latest_version(course).number == 3
        assert manuals.version_by_number(course, 2).markdown == MANUAL_V2.rstrip()
        audit = db.session.scalars(select(AuditEntry.data).where(
            AuditEntry.action == "manual_published").order_by(AuditEntry.id)).all()
        assert [entry["version"] for entry in audit] == [1, 2, 3]


def test_a_course_has_one_draft_that_starts_from_the_latest_version(app, instructor, course_id):
    with app.app_context():
        course, author = _load(course_id, instructor)
        assert manuals.draft_text(course) == ""
        first = manuals.save_draft(course, "\n# A\r\n\r\nWindows line ends.\r\n", author)
        assert first.markdown == "# A\n\nWindows line ends."
        again = manuals.save_draft(course, MANUAL_V1, author)
        assert first.id == again.id and again.markdown == MANUAL_V1.rstrip()
        manuals.publish_draft(course, "", [], author)
        assert manuals.draft_of(course) is None
        assert manuals.draft_text(course) == MANUAL_V1.rstrip()  # opened, not yet saved
        started = manuals.save_draft(course, manuals.draft_text(course), author)
        assert started.markdown == MANUAL_V1.rstrip() and started.status is VersionStatus.DRAFT
        assert manuals.save_draft(course, MANUAL_V2, author).id == started.id
        assert manuals.draft_text(course) == MANUAL_V2.rstrip()
        db.session.commit()
        assert len(db.session.scalars(select(ManualVersion).where(
            ManualVersion.status == VersionStatus.DRAFT)).all()) == 1


def test_discarding_a_draft_keeps_the_published_versions(app, instructor, course_id):
    with app.app_context():
        course, author = _load(course_id, instructor)
        manuals.save_draft(course, MANUAL_V1, author)
        manuals.publish_draft(course, "", [], author)
        manuals.save_draft(course, MANUAL_V2, author)
        manuals.discard_draft(course)
        manuals.discard_draft(course)  # nothing left to discard: no error
        db.session.commit()
        assert manuals.draft_of(course) is None
        assert [v.number for v in manuals.published_versions(course)] == [1]


# MANUAL_V2 has 15 lines, so what is appended after a blank line starts at line 17.
@pytest.mark.parametrize("markdown, changelog, material, problem", [
    (MANUAL_V2, "", [], "Describe what changed in the changelog."),
    (MANUAL_V2, "  \n\t", [], "Describe what changed in the changelog."),
    (MANUAL_V2, "Hats.", ["what-counts", "nope"],
     "There is no section 'nope' to mark as a material change."),
    ("   \n", "Emptied.", [], "The manual is empty."),
    (MANUAL_V2 + "\nFine.\n\n<script>alert(1)</script>\n", "Script.", [],
     "Line 19: unsafe HTML: <script> element is not allowed"),
    (MANUAL_V2 + '\n<img src="x.png" onerror="alert(1)">\n', "Image.", [],
     'Line 17: unsafe HTML: event handler attribute "onerror" is not allowed'),
    (MANUAL_V2 + "\n[Go](javascript:alert(1))\n", "Link.", [],
     'Line 17: unsafe URL "javascript:alert(1)"'),
    (MANUAL_V2, "Fixed.\n\n<iframe src=x></iframe>", [], "Changelog line 3: "),
], ids=["empty-changelog", "blank-changelog", "unknown-section", "empty-manual", "script",
        "onerror", "javascript-link", "unsafe-changelog"])
def test_publishing_refuses_what_trainees_must_not_get(app, instructor, course_id, markdown,
                                                       changelog, material, problem):
    with app.app_context():
        course, author = _load(course_id, instructor)
        manuals.save_draft(course, MANUAL_V1, author)
        manuals.publish_draft(course, "", [], author)
        db.session.commit()
        draft = manuals.save_draft(course, markdown, author)
        audits = db.session.scalar(select(db.func.count()).select_from(AuditEntry))
        with pytest.raises(manuals.ManualError) as refused:
            manuals.publish_draft(course, changelog, material, author)
        assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems
        assert draft.status is VersionStatus.DRAFT and draft.number is None
        assert manuals.latest_version(course).number == 1
        assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)) == audits


def test_publishing_lists_every_problem_at_once(app, instructor, course_id):
    with app.app_context():
        course, author = _load(course_id, instructor)
        manuals.save_draft(course, "# A\n\n<script>x</script>\n\n<svg onload=alert(1)>", author)
        with pytest.raises(manuals.ManualError) as refused:
            manuals.publish_draft(course, "", ["a", "b"], author)
        problems = refused.value.problems
        assert "Line 3: unsafe HTML: <script> element is not allowed" in problems
        assert any(p.startswith("Line 5: ") for p in problems)
        assert "The first version has nothing to change: mark no material sections." in problems
        assert "There is no section 'b' to mark as a material change." in problems
        assert str(refused.value) == "; ".join(problems)


def test_the_first_version_needs_no_changelog_but_no_material_sections(app, instructor,
                                                                       course_id):
    with app.app_context():
        course, author = _load(course_id, instructor)
        manuals.save_draft(course, MANUAL_V1, author)
        with pytest.raises(manuals.ManualError, match="nothing to change"):
            manuals.publish_draft(course, "", ["shoes"], author)
        assert manuals.publish_draft(course, "", [], author).number == 1


def test_publishing_without_a_draft_is_refused(app, instructor, course_id):
    with app.app_context():
        course, author = _load(course_id, instructor)
        with pytest.raises(manuals.ManualError) as refused:
            manuals.publish_draft(course, "Nothing.", [], author)
        assert refused.value.problems == ["There is no draft to publish."]


def test_material_sections_and_changelog_are_stored(app, instructor, course_id):
    with app.app_context():
        course, author = _load(course_id, instructor)
        manuals.save_draft(course, MANUAL_V1, author)
        manuals.publish_draft(course, "", [], author)
        manuals.save_draft(course, MANUAL_V2, author)
        version = manuals.publish_draft(course, "Hats are clothing.\r\n\r\n", ["what-counts"],
                                        author)
        db.session.commit()
        db.session.expire_all()
        assert version.changelog == "Hats are clothing."
        assert version.material_sections == ["what-counts"]


@pytest.fixture
def published(app, instructor):
    """A course with one published version and a draft of the next."""
    course_id = make_course(app, instructor, versions=(MANUAL_V1,))
    with app.app_context():
        course, author = _load(course_id, instructor)
        manuals.save_draft(course, MANUAL_V2, author)
        db.session.commit()
    return course_id


@pytest.mark.parametrize("change", [
    lambda v: setattr(v, "markdown", "# Rewritten"),
    lambda v: setattr(v, "changelog", "Rewritten history."),
    lambda v: setattr(v, "material_sections", ["shoes"]),
    lambda v: setattr(v, "number", 7),
    lambda v: setattr(v, "status", VersionStatus.DRAFT),
], ids=["markdown", "changelog", "material", "number", "unpublish"])
def test_a_published_version_cannot_be_changed(app, published, change):
    with app.app_context():
        version = manuals.version_by_number(db.session.get(Course, published), 1)
        change(version)
        with pytest.raises(PublishedVersionImmutable):
            db.session.flush()
        db.session.rollback()
        assert manuals.version_by_number(db.session.get(Course, published), 1).markdown \
            == MANUAL_V1.rstrip()


def test_a_published_version_cannot_be_deleted(app, published):
    with app.app_context():
        course = db.session.get(Course, published)
        db.session.delete(manuals.version_by_number(course, 1))
        with pytest.raises(PublishedVersionImmutable):
            db.session.flush()
        db.session.rollback()
        # Deleting the course would cascade to its versions: refused as well.
        db.session.delete(db.session.get(Course, published))
        with pytest.raises(PublishedVersionImmutable):
            db.session.flush()
        db.session.rollback()
        assert [v.number for v in manuals.published_versions(
            db.session.get(Course, published))] == [1]


def test_discarding_the_draft_never_touches_the_published_version(app, published):
    with app.app_context():
        course = db.session.get(Course, published)
        manuals.discard_draft(course)
        db.session.commit()
        assert db.session.scalar(select(db.func.count()).select_from(ManualVersion)) == 1


def test_drafts_render_unsafe_html_harmlessly(app, instructor, course_id):
    with app.app_context():
        course, author = _load(course_id, instructor)
        draft = manuals.save_draft(
            course, "# Title\n\n<script>alert(1)</script>\n\n"
                    '<img src="media/a.png" onerror="x()">\n\n[x](javascript:alert(1))', author)
        rendered = manuals.render_version(draft, PREFIX)
        assert "<script" not in rendered.html and "onerror" not in rendered.html
        assert "href" not in rendered.html  # the javascript: link is left as plain text
        assert f'src="{PREFIX}a.png"' in rendered.html


# Reading.


def test_opening_the_manual_again_within_a_minute_is_the_same_reading(app, instructor, trainee,
                                                                      published):
    with app.app_context():
        course = db.session.get(Course, published)
        user = db.session.get(User, trainee.id)
        v1 = manuals.version_by_number(course, 1)
        start = utcnow()
        assert manuals.open_manual(user, course, v1, now=start) is None
        db.session.commit()
        soon = start + timedelta(seconds=manuals.REOPEN_SECONDS - 1)
        assert manuals.open_manual(user, course, v1, now=soon) == 1  # a reload: not recorded
        manuals.publish_draft(course, "Armour.", ["armour"], db.session.get(User, instructor.id))
        v2 = manuals.version_by_number(course, 2)
        assert manuals.open_manual(user, course, v2, now=soon) == 1  # a newer version is
        assert manuals.open_manual(user, course, v1, now=soon) == 2  # and so is an older one
        db.session.commit()
        later = soon + timedelta(seconds=manuals.REOPEN_SECONDS + 1)
        assert manuals.open_manual(user, course, v2, now=later) == 2  # newest, but a minute on
        db.session.commit()
    opened = events_of(app, "manual_opened", trainee.id)
    assert [e["version"] for e in opened] == [1, 2, 1, 2]



def test_reading_records_events_with_version_and_section(app, instructor, trainee, published):
    with app.app_context():
        course = db.session.get(Course, published)
        user = db.session.get(User, trainee.id)
        v1 = manuals.version_by_number(course, 1)
        assert manuals.last_read_version(user.id, course.id) is None
        assert manuals.read_sections(user.id, course.id) == set()
        manuals.record_opened(user, course, v1)
        manuals.mark_section_read(user, course, v1, "shoes")
        manuals.mark_section_read(user, course, v1, "shoes")
        manuals.mark_section_read(user, course, v1, "towels")
        with pytest.raises(manuals.ManualError, match="Version 1 has no section 'armour'"):
            manuals.mark_section_read(user, course, v1, "armour")
        db.session.commit()
        assert manuals.last_read_version(user.id, course.id) == 1
        assert manuals.read_sections(user.id, course.id) == {"shoes", "towels"}

        manuals.publish_draft(course, "Armour.", ["armour"], db.session.get(User, instructor.id))
        v2 = manuals.version_by_number(course, 2)
        manuals.record_opened(user, course, v2)
        manuals.record_opened(user, course, v1)  # going back to an old version
        manuals.mark_section_read(user, course, v2, "armour")
        db.session.commit()
        assert manuals.last_read_version(user.id, course.id) == 2
        assert manuals.read_sections(user.id, course.id) == {"shoes", "towels", "armour"}
        assert manuals.last_read_version(instructor.id, course.id) is None
    opened = events_of(app, "manual_opened", trainee.id)
    assert [e["version"] for e in opened] == [1, 2, 1]
    assert {e["course_id"] for e in opened} == {published}
    read = events_of(app, "section_read", trainee.id)
    assert [(e["version"], e["section"]) for e in read] == [
        (1, "shoes"), (1, "shoes"), (1, "towels"), (2, "armour")]


def test_a_rewritten_section_needs_reading_again(app, instructor, trainee, published):
    with app.app_context():
        course = db.session.get(Course, published)
        user = db.session.get(User, trainee.id)
        v1 = manuals.version_by_number(course, 1)
        for section in ("what-counts", "towels", "shoes"):
            manuals.mark_section_read(user, course, v1, section)
        assert manuals.sections_still_read(user.id, course, v1) == {
            "what-counts", "towels", "shoes"}
        manuals.publish_draft(course, "Hats.", ["what-counts"],
                              db.session.get(User, instructor.id))
        v2 = manuals.version_by_number(course, 2)
        # "What counts" was rewritten and "Shoes" is gone; "Towels" reads the same as before.
        assert manuals.sections_still_read(user.id, course, v2) == {"towels"}
        manuals.mark_section_read(user, course, v2, "what-counts")
        assert manuals.sections_still_read(user.id, course, v2) == {
            "towels", "what-counts"}


def test_changes_since_lists_the_newer_versions_and_their_diff(app, instructor, course_id):
    with app.app_context():
        course, author = _load(course_id, instructor)
        for n, text in enumerate([MANUAL_V1, MANUAL_V2, MANUAL_V2 + "\nLast words.\n"], 1):
            manuals.save_draft(course, text, author)
            manuals.publish_draft(course, "" if n == 1 else f"Change {n}.", [], author)
        db.session.commit()
        summary = manuals.changes_since(course, 1, PREFIX)
        assert summary.since.number == 1 and summary.latest.number == 3
        assert [v.number for v in summary.versions] == [2, 3]
        counts = summary.diff.counts()
        assert (counts["added"], counts["removed"], counts["changed"]) == (1, 1, 1)
        assert summary.diff.changed_ids == {"what-counts", "armour"}
        assert [v.number for v in manuals.changes_since(course, 2, PREFIX).versions] == [3]
        assert manuals.changes_since(course, 3, PREFIX) is None
        assert manuals.changes_since(course, 9, PREFIX) is None


def test_diff_versions_classifies_every_section(app, instructor):
    course_id = make_course(app, instructor, versions=(DIFF_OLD, DIFF_NEW))
    with app.app_context():
        course = db.session.get(Course, course_id)
        old, new = manuals.published_versions(course)
        diff = manuals.diff_versions(old, new, PREFIX)
        status = {c.id: c.status for c in diff.changes}
        assert status == {"intro": "unchanged", "gloves": "moved", "what-counts": "changed",
                          "shoes": "removed", "towels": "unchanged", "hats": "added"}
        changed = next(c for c in diff.changes if c.id == "what-counts")
        assert "<del>" in changed.inline_diff_html and "<ins>" in changed.inline_diff_html
