"""Manuals stay cheap to render: linear heading ids, size and structure limits wherever a
manual enters, and outlines kept at publishing so that dashboards never render a manual."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.users.models import User
from courses import rendering
from courses.models import Course, ManualVersion, VersionStatus
from courses.rendering import MAX_MANUAL_BYTES, render_manual
from courses.services import manuals
from tests.courses.test_bundle_format import COURSE_YAML, VERSION_2, errors_with
from tests.factories import make_course, post_form, signed_in
from tests.helpers import csrf_token

LIMIT_WORDS = "the limit is 1 MB (1,048,576 bytes)"


def too_big() -> str:
    """One byte over the limit, in characters of two bytes each: bytes are what count."""
    return "# Big\n\n" + "é" * ((MAX_MANUAL_BYTES - 6) // 2)


# Heading ids: unique, linear, and the same as they always were.


def reference_ids(bases: list[str]) -> list[str]:
    """The ids the quadratic search always gave: base, else base-2, base-3... not yet used."""
    used: set[str] = set()
    ids = []
    for base in bases:
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}-{n}", n + 1
        used.add(candidate)
        ids.append(candidate)
    return ids


class CountingSet(set):
    lookups = 0

    def __contains__(self, item: object) -> bool:
        CountingSet.lookups += 1
        return super().__contains__(item)


def test_identical_headings_take_linear_time():
    ids = rendering._Ids()
    ids.used = CountingSet()
    CountingSet.lookups = 0
    claimed = [ids.claim("rule") for _ in range(3_000)]
    assert claimed == reference_ids(["rule"] * 3_000)
    assert CountingSet.lookups <= 3 * 3_000


@pytest.mark.parametrize("markdown, expected", [
    ("# x\n\n# x {#x-2}\n\n# x", ["x", "x-2", "x-3"]),
    ("# x {#x-2}\n\n# x\n\n# x", ["x-2", "x", "x-3"]),
    ("# x\n\n# x\n\n# x {#x-2}\n\n# x", ["x", "x-2", "x-2-2", "x-3"]),
    ("# x-2\n\n# x\n\n# x\n\n# x-2", ["x-2", "x", "x-3", "x-2-2"]),
    ("Intro.\n\n# Introduction\n\n# introduction", ["introduction", "introduction-2",
                                                    "introduction-3"]),
])
def test_ids_around_explicit_collisions_stay_as_they_were(markdown, expected):
    assert [s.id for s in render_manual(markdown).sections] == expected


def test_ids_match_the_old_search_on_random_documents():
    rng = random.Random(9)  # noqa: S311 -- reproducible test data
    names = ["a", "a-2", "a-3", "a-2-2", "b", "introduction", "section"]
    for _ in range(200):
        bases = [rng.choice(names) for _ in range(rng.randint(1, 25))]
        markdown = "\n\n".join(f"# t {{#{base}}}" for base in bases)
        assert [s.id for s in render_manual(markdown).sections] == reference_ids(bases)


# Pathological but small inputs render with bounded structure.


@pytest.mark.parametrize("markdown", [
    ">" * 500 + " deep",
    "- " * 500 + "deep",
    "*a **b " * 1_000,
    "[" * 3_000,
    "::: do\n" * 300,
    "<div>\n\n" * 500,
])
def test_pathological_inputs_render_with_bounded_nesting(markdown):
    html = render_manual(markdown).html
    assert html.count("<blockquote>") <= 20
    assert html.count("<ul>") <= 20
    assert html.count('class="rule rule-do"') <= 20


def test_many_identical_headings_get_unique_ids():
    sections = render_manual("# Rule\n\n" * 1_000).sections
    assert [s.id for s in sections] == ["rule"] + [f"rule-{n}" for n in range(2, 1_001)]


@pytest.mark.parametrize("markdown, line, what", [
    ("# a\n\n" * 1_001, 2_001, "1,000 headings"),
    ("x\n" * 10_002, 10_001, "10,000 lines"),
    ("| a |\n" * 5_001, 5_001, "10,000 table cell borders (|)"),
    ("*a* " * 5_001, 1, "10,000 emphasis marks (*, _ and ~)"),
    ("text\n\n" + "[a](b)\n" * 5_001, 5_003, "10,000 brackets"),
    ("<b>\n" * 5_001, 5_001, "10,000 angle brackets"),
    ("::: do\nx\n:::\n" * 501, 1_501, "1,000 call-out fences (:::)"),
])
def test_structure_limits_name_the_line_that_passes_them(markdown, line, what):
    problems = rendering.limit_problems(markdown)
    assert len(problems) == 1
    assert problems[0].startswith(f"Line {line}: a manual may have at most {what}")


def test_a_manual_at_the_limits_is_accepted():
    assert rendering.limit_problems("# a\n\n" * 1_000) == []
    assert rendering.limit_problems("x" * MAX_MANUAL_BYTES) == []
    assert rendering.limit_problems(too_big()) == [
        f"The manual is 1.0 MB (1,048,577 bytes); {LIMIT_WORDS}."]


# Bundles.


def test_a_bundle_manual_over_the_size_limit_is_refused_naming_the_file(tmp_path: Path):
    errors = errors_with(tmp_path, {"manual/002.md": VERSION_2 + "\n" + "x" * MAX_MANUAL_BYTES})
    assert len(errors) == 1
    assert errors[0].startswith("manual/002.md:1: the manual text is 1.0 MB (1,048,7")
    assert errors[0].endswith(f" bytes); {LIMIT_WORDS}")


def test_a_huge_bundle_manual_file_is_refused_unread(tmp_path: Path):
    errors = errors_with(tmp_path, {"manual/002.md": VERSION_2 + "x" * (2 * MAX_MANUAL_BYTES)})
    assert len(errors) == 1
    assert errors[0].startswith("manual/002.md:1: the file is 2.0 MB")
    assert errors[0].endswith("the limit is 1.25 MB (1,310,720 bytes)")


def test_bundle_structure_limits_name_the_file_line(tmp_path: Path):
    text = VERSION_2 + "\n" + "## a\n\n" * 1_000
    headings = [n for n, line in enumerate(text.split("\n"), start=1) if line.startswith("#")]
    assert errors_with(tmp_path, {"manual/002.md": text}) == [
        f"manual/002.md:{headings[1_000]}: a manual may have at most 1,000 headings, and this "
        "line goes past that"]


def test_bundle_changelogs_and_descriptions_are_capped(tmp_path: Path):
    long = "x" * 20_001
    changelog = VERSION_2.replace("Clarified that a photo of clothing is clothing.", long)
    errors = errors_with(tmp_path / "a", {"manual/002.md": changelog})
    assert errors == ["manual/002.md:4: changelog is 20,001 characters long; the limit is 20,000"]
    yaml = COURSE_YAML.replace("Takes about an hour and a half.", long)
    assert errors_with(tmp_path / "b", {"course.yaml": yaml}) == [
        "course.yaml:4: description is 20,037 characters long; the limit is 20,000"]


# The browser: draft, preview and publish.


@pytest.fixture
def author(app, instructor):
    make_course(app, instructor, "tagging", versions=("# Rules\n\nTag clothing.",))
    return signed_in(app, instructor)


def test_the_draft_form_refuses_a_manual_over_the_limit(app, author):
    response = post_form(author, "/courses/tagging/manual/draft",
                         {"markdown": too_big(), "action": "save"},
                         page="/courses/tagging/manual/draft")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"The manual is 1.0 MB (1,048,577 bytes); {LIMIT_WORDS}." in page
    with app.app_context():
        assert db.session.scalar(select(ManualVersion).where(
            ManualVersion.status == VersionStatus.DRAFT)) is None


def test_the_draft_form_refuses_too_many_headings(app, author):
    response = post_form(author, "/courses/tagging/manual/draft",
                         {"markdown": "# a\n\n" * 1_001, "action": "save"},
                         page="/courses/tagging/manual/draft")
    assert "Line 2001: a manual may have at most 1,000 headings" in response.get_data(
        as_text=True)


def refuse_to_render(monkeypatch):
    """Any rendering of a manual's sections fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a manual was rendered")

    monkeypatch.setattr(rendering, "_heading_section", refuse)
    monkeypatch.setattr(rendering, "_introduction", refuse)


def test_the_live_preview_explains_instead_of_rendering(app, author, monkeypatch):
    token = csrf_token(author, "/courses/tagging/manual/draft")
    refuse_to_render(monkeypatch)
    response = author.post("/courses/tagging/manual/preview",
                           data={"markdown": too_big(), "csrf_token": token})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page
    assert f"The manual is 1.0 MB (1,048,577 bytes); {LIMIT_WORDS}." in page
    deep = author.post("/courses/tagging/manual/preview",
                       data={"markdown": ">" * 10_001, "csrf_token": token})
    assert deep.status_code == 422
    assert "Line 1: a manual may have at most 10,000 angle brackets" in deep.get_data(
        as_text=True)


def test_a_draft_saved_before_the_limits_cannot_be_published(app, author, instructor,
                                                               monkeypatch):
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "tagging"))
        manuals.save_draft(course, too_big(), db.session.get(User, instructor.id))
        db.session.commit()
        course_id = course.id
    refuse_to_render(monkeypatch)
    page = author.get("/courses/tagging/manual/publish").get_data(as_text=True)
    assert f"The manual is 1.0 MB (1,048,577 bytes); {LIMIT_WORDS}." in page
    published = post_form(author, "/courses/tagging/manual/publish", {"changelog": "More."},
                          page="/courses/tagging/manual/publish")
    assert f"The manual is 1.0 MB (1,048,577 bytes); {LIMIT_WORDS}." in published.get_data(
        as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ManualVersion).where(
            ManualVersion.status == VersionStatus.DRAFT)) is not None
        with pytest.raises(manuals.ManualError, match="the limit is 1 MB"):
            manuals.publish_draft(db.session.get(Course, course_id), "More.", [],
                                  db.session.get(User, instructor.id))


def test_publishing_refuses_a_changelog_over_its_limit():
    problems = manuals.publish_problems("# A\n\nText.", "x" * 20_001, [], first=False)
    assert problems == ["The changelog is 20,001 characters long; the limit is 20,000."]


# Outlines: kept at publishing; dashboards and course homes never render.


V1 = "# Rules {#rules}\n\nTag clothing.\n\n## Shoes {#shoes}\n\nShoes yes.\n\n## Towels\n\nNo."
V2 = V1.replace("Shoes yes.", "Shoes and boots.")


def test_publishing_keeps_the_outline(app, instructor):
    course_id = make_course(app, instructor, "tagging", versions=(V1,))
    with app.app_context():
        version = db.session.scalar(select(ManualVersion).where(
            ManualVersion.course_id == course_id))
        sections = render_manual(V1).sections
        assert version.outline == [
            {"id": s.id, "title": s.title, "digest": rendering.section_digest(s)}
            for s in sections]
        assert [entry["id"] for entry in version.outline] == ["rules", "shoes", "towels"]


def test_dashboard_and_course_home_never_render_a_manual(app, instructor, trainee,
                                                         monkeypatch):
    for slug in ("tagging", "boxes", "poses"):
        make_course(app, instructor, slug, versions=(V1,))
    learner = signed_in(app, trainee)
    for slug in ("tagging", "boxes"):
        post_form(learner, f"/courses/{slug}/enrol", page=f"/courses/{slug}")
        learner.get(f"/courses/{slug}/manual")
        for section in ("rules", "shoes", "towels"):
            post_form(learner, f"/courses/{slug}/manual/read",
                      {"version": "1", "section": section}, page=f"/courses/{slug}/manual")
    with app.app_context():  # version 2 rewrites "shoes": two of three sections still read
        course = db.session.scalar(select(Course).where(Course.slug == "tagging"))
        author = db.session.get(User, instructor.id)
        manuals.save_draft(course, V2, author)
        manuals.publish_draft(course, "Boots.", [], author)
        db.session.commit()

    refuse_to_render(monkeypatch)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    monkeypatch.setattr(engine.dialect, "do_execute", recording(engine.dialect.do_execute,
                                                                 statements))
    for path in ("/dashboard", "/courses/"):
        page = learner.get(path).get_data(as_text=True)
        assert "2 of 3 sections" in page
        assert "3 of 3 sections" in page
    home = learner.get("/courses/tagging").get_data(as_text=True)
    assert "3 sections; you have read 2." in home
    assert learner.get("/courses/poses").status_code == 200
    assert [sql for sql in statements if "FROM manual_versions" in sql]
    assert not [sql for sql in statements if "manual_versions.markdown" in sql]


def recording(execute, statements: list[str]):
    """The dialect's execute, noting each statement: no page here may load a manual's text."""
    def record(cursor, statement, parameters, context=None):
        statements.append(statement)
        return execute(cursor, statement, parameters, context)

    return record


def test_the_migration_keeps_an_outline_for_every_published_version(empty_database_url: str):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from tests.conftest import make_app

    app = make_app(empty_database_url)
    with app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO courses (id, slug, title, description, qualifies_for, status, "
                "created_at, updated_at) VALUES (1, 'old', 'Old', '', '', 'open', "
                "'2026-01-01', '2026-01-01')"))
            for number, status, markdown in ((1, "published", V1), (None, "draft", V2)):
                connection.execute(text(
                    "INSERT INTO manual_versions (course_id, number, status, markdown, changelog, "
                    "material_sections, created_at, updated_at) VALUES (1, :number, :status, "
                    ":markdown, '', '[]', '2026-01-01', '2026-01-01')"),
                    {"number": number, "status": status, "markdown": markdown})
        upgrade(revision="0007")
        rows = db.session.execute(select(ManualVersion.status, ManualVersion.outline)).all()
        outlines = {row.status: row.outline for row in rows}
        assert outlines == {VersionStatus.PUBLISHED: rendering.manual_outline(render_manual(V1)),
                            VersionStatus.DRAFT: []}
        db.session.remove()
        downgrade(revision="0006")
        db.engine.dispose()
