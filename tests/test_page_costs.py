"""What the pages trainees hit all day cost: SQL statements per request, fixed however many
trainees, items and manual versions there are (no N+1), and a published manual's Markdown
rendered once, when it is published, never by a page."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.sql import cache_key

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses import rendering
from courses.models import Course, ManualRendering
from courses.services import enrolment, items, manuals
from exams.services import attempts
from tests.factories import (
    TAKING_MANUAL,
    TAKING_SLUG,
    make_exam_course,
    native,
    signed_in,
)
from tests.helpers import csrf_token

# Statements per request, at most; a page that needs more than it did has grown a query.
# The training-centre test below, whose trainee has two to four courses and has read sections in
# them, counts 11 for any number (10 here: no section read yet, no outlines of older versions).
# Answering a practice item (a POST, counted apart) takes 15 on PostgreSQL, 14 on SQLite
# (no advisory lock).
BUDGETS = {"manual": 5, "changes": 3, "centre": 11, "home": 13, "practice": 10, "exam": 4,
           "autosave": 4, "answer": 15}


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends inside the block."""
    seen: list[str] = []

    def listener(conn, cursor, statement, params, context, executemany) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


@pytest.fixture
def trainee_world(app: Flask, make_user):
    """The taking course (mixed kinds), an enrolled trainee with an open attempt, and how to
    grow it: more trainees with attempts, more practice items, more manual versions."""
    instructor, trainee = make_user(Role.INSTRUCTOR), make_user()
    course_id = make_exam_course(app, instructor, (trainee,))
    with app.app_context():
        course = db.session.get(Course, course_id)
        attempt_id = attempts.start(db.session.get(User, trainee.id), course).id
        db.session.commit()

    def grow(n: int) -> None:
        with app.app_context():
            course = db.session.get(Course, course_id)
            author = db.session.get(User, instructor.id)
            items.upsert_items(course, [native(f"grown-{n}-{k}", "choice",
                                               {"options": ["yes", "no"]}, "yes", ["clothing"])
                                        for k in range(4)], author, "test")
            manuals.save_draft(course, TAKING_MANUAL + f"\n## More rules {n}\n\nRule {n}.\n",
                               author)
            manuals.publish_draft(course, f"Rule {n}.", [], author)
            db.session.commit()
        for _ in range(3):
            other = make_user()
            with app.app_context():
                course = db.session.get(Course, course_id)
                user = db.session.get(User, other.id)
                enrolment.enrol(user, course, enrolment.EnrollmentSource.SELF)
                attempts.start(user, course)
                db.session.commit()

    client = signed_in(app, trainee)
    token, seq = csrf_token(client, f"/courses/{TAKING_SLUG}"), itertools.count(1)
    pages: dict[str, Callable[[FlaskClient], object]] = {
        "manual": lambda c: c.get(f"/courses/{TAKING_SLUG}/manual"),
        "changes": lambda c: c.get(f"/courses/{TAKING_SLUG}/manual/changes?since=1"),
        "centre": lambda c: c.get("/courses/"),
        "home": lambda c: c.get(f"/courses/{TAKING_SLUG}"),
        "practice": lambda c: c.get(f"/courses/{TAKING_SLUG}/practice/clothing/p-only"),
        "exam": lambda c: c.get(f"/attempts/{attempt_id}"),
        "autosave": lambda c: c.put(f"/attempts/{attempt_id}/answers/1",
                                    json={"answer": "zebra-wrong-opt", "seq": next(seq)},
                                    headers={"X-CSRFToken": token}),
    }
    return client, pages, grow


def statements(app: Flask, client: FlaskClient, pages) -> dict[str, int]:
    counts = {}
    for name, visit in pages.items():
        with counted(app) as seen:
            response = visit(client)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(seen)
    return counts


def test_the_main_pages_send_few_statements_however_much_data_there_is(app, trainee_world):
    client, pages, grow = trainee_world
    grow(1)
    statements(app, client, pages)  # the first visit: the manual says what changed since
    small = statements(app, client, pages)
    assert all(small[name] <= BUDGETS[name] for name in small), str(small)
    for n in range(2, 5):
        grow(n)
    statements(app, client, pages)
    assert statements(app, client, pages) == small


def test_a_manual_page_loads_no_markdown(app, trainee_world):
    """Each worker finds the rendering it keeps by the version's digest: the Markdown, up to
    a megabyte, stays in the database."""
    client, pages, _ = trainee_world
    for _ in range(2):
        with counted(app) as seen:
            assert pages["manual"](client).status_code == 200
        assert not [statement for statement in seen if "manual_versions.markdown" in statement]


def test_answering_a_practice_item_costs_the_same_however_much_data_there_is(
        app, trainee_world):
    """The answer is stored, its summary kept and the page drawn in a fixed number of
    statements: more answers, items and versions add rows, not statements."""
    client, pages, grow = trainee_world
    token = csrf_token(client, f"/courses/{TAKING_SLUG}")
    path = f"/courses/{TAKING_SLUG}/practice/clothing/p-only"
    answer = {"answer": lambda c: c.post(path, data={"csrf_token": token, "answer": "yes"})}
    for n in range(1, 5):
        grow(n)
        for _ in range(3):
            assert statements(app, client, answer)["answer"] <= BUDGETS["answer"]
            # one more than before any answer: the items tried in the open round
            assert statements(app, client, pages)["practice"] <= BUDGETS["practice"] + 1


def test_a_published_manual_is_rendered_once_when_published_never_by_pages(
        app, trainee_world, monkeypatch):
    client, pages, grow = trainee_world
    rendered: list[str] = []
    render = rendering.render_manual

    def counting(markdown: str, *args, **kwargs):
        rendered.append(markdown)
        return render(markdown, *args, **kwargs)

    monkeypatch.setattr(rendering, "render_manual", counting)
    monkeypatch.setattr(manuals, "render_manual", counting)
    grow(1)
    assert len(rendered) == 1  # publishing version 2
    for name in ("manual", "changes", "manual", "changes", "centre", "home", "practice"):
        assert pages[name](client).status_code == 200
    assert len(rendered) == 1


def test_a_kept_rendering_shows_the_same_page_as_rendering_anew(app, trainee_world):
    """The kept sections, media links put under the course's prefix, equal a fresh render."""
    with app.app_context():
        course = db.session.scalar(db.select(Course).where(Course.slug == TAKING_SLUG))
        version = manuals.latest_version(course)
        prefix = f"/courses/{TAKING_SLUG}/media/"
        kept = manuals.render_version(version, prefix)
        fresh = rendering.render_manual(version.markdown, manuals.media_url_for(prefix))
    assert kept == fresh


def test_a_rendering_kept_by_an_older_renderer_is_rendered_again_and_kept(
        app, trainee_world, monkeypatch):
    """A sanitiser fix raises RENDERER_VERSION: pages must not serve HTML the old code made."""
    client, pages, _ = trainee_world
    with app.app_context():
        course = db.session.scalar(db.select(Course).where(Course.slug == TAKING_SLUG))
        version_id = manuals.latest_version(course).id
        kept = db.session.get(ManualRendering, version_id)
        kept.sections = [dict(section, html="<p>stale</p>") for section in kept.sections]
        db.session.commit()
    monkeypatch.setattr(manuals, "RENDERER_VERSION", rendering.RENDERER_VERSION + 1)
    page = pages["manual"](client).get_data(as_text=True)
    assert "<p>stale</p>" not in page
    with app.app_context():
        kept = db.session.get(ManualRendering, version_id)
        assert kept.renderer == rendering.RENDERER_VERSION + 1
        assert "<p>stale</p>" not in str(kept.sections)


def test_the_training_centre_costs_the_same_for_two_courses_or_four(app, trainee_world,
                                                                    make_user):
    """No query per card: more courses (enrolled, read, with an open attempt or none) add rows
    to the same queries, not queries."""
    client, pages, _ = trainee_world
    centre = {"centre": pages["centre"]}
    instructor = make_user(Role.INSTRUCTOR)
    with app.app_context():
        trainee = db.session.scalar(db.select(User).where(User.role == Role.TRAINEE))

    def another(n: int, *, attempt: bool) -> None:
        course_id = make_exam_course(app, instructor, (trainee,), slug=f"more-{n}")
        if attempt:
            with app.app_context():
                attempts.start(db.session.get(User, trainee.id), db.session.get(Course, course_id))
                db.session.commit()
        client.get(f"/courses/more-{n}/manual")  # opened: the card says how much is read

    another(0, attempt=False)  # with the first course: every kind of card there is
    statements(app, client, centre)
    two = statements(app, client, centre)["centre"]
    another(1, attempt=True)
    another(2, attempt=False)
    statements(app, client, centre)
    assert statements(app, client, centre)["centre"] == two <= BUDGETS["centre"]
    page = pages["centre"](client).get_data(as_text=True)
    assert all(f"/courses/more-{n}" in page for n in range(3))


# Statements a page builds anew on each request: the others are built once per process with
# bound parameters (building one costs SQLAlchemy 30 µs to 1.3 ms of CPU). The exam page's two
# are Session.get's (the attempt, its course).
BUILT = {"manual": 0, "changes": 0, "centre": 0, "home": 0, "practice": 0, "exam": 2,
         "autosave": 0, "answer": 0}


def test_the_main_pages_build_their_statements_once(app, trainee_world, monkeypatch):
    client, pages, grow = trainee_world
    grow(1)
    token = csrf_token(client, f"/courses/{TAKING_SLUG}")
    path = f"/courses/{TAKING_SLUG}/practice/clothing/p-only"
    pages = {**pages,
             "answer": lambda c: c.post(path, data={"csrf_token": token, "answer": "yes"})}
    for visit in [*pages.values(), *pages.values()]:  # every statement built once, and kept
        visit(client)
    built: list[object] = []
    generate = cache_key.HasCacheKey._generate_cache_key

    def counting(self):
        built.append(self)
        return generate(self)

    monkeypatch.setattr(cache_key.HasCacheKey, "_generate_cache_key", counting)
    found = {}
    for name, visit in pages.items():
        built.clear()
        assert visit(client).status_code in (200, 302), name
        found[name] = len(built)
    assert found == BUILT
