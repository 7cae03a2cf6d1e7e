"""Fixtures for the bootcamp package's tests."""

from __future__ import annotations

from datetime import date

import pytest

from bootcamp.users.models import Role


@pytest.fixture
def world(app, make_user):
    """One of everything a URL can name: a user, an open course with two versions, a cohort,
    a practice item."""
    from bootcamp.extensions import db
    from courses.models import CourseStatus, MediaFile
    from courses.services import catalog, enrolment, items, manuals

    author = make_user(Role.INSTRUCTOR)
    target = make_user(Role.TRAINEE)
    with app.app_context():
        author = db.session.merge(author)
        course = catalog.create_course(
            catalog.CourseFields(slug="sample", title="Sample", status=CourseStatus.OPEN), author)
        for number, text in enumerate(["# Rules\n\nOne.", "# Rules\n\nTwo."], start=1):
            manuals.save_draft(course, text, author)
            manuals.publish_draft(course, "" if number == 1 else "Changed.", [], author)
        manuals.save_draft(course, "# Rules\n\nThree.", author)
        db.session.add(MediaFile(course_id=course.id, path="media/a.png", content=b"png",
                                 sha256="0" * 64))
        items.upsert_items(course, [{
            "id": "q1", "kind": "choice", "prompt": "Which?", "media": None,
            "spec": {"options": ["one", "two"]}, "gold": "two", "explanation": "",
            "sections": ["rules"], "critical": False, "pools": ["practice"]}], author, "world")
        cohort = enrolment.create_cohort(course, "Cohort", date(2026, 1, 1), None, author)
        db.session.commit()
        token = enrolment.make_invite_token(app.config["SECRET_KEY"], cohort, 1)
        return {"user_id": target.id, "slug": course.slug, "cohort_id": cohort.id,
                "number": 1, "name": "a.png", "token": token, "module": "rules",
                "item_key": "q1", "key": "q1"}
