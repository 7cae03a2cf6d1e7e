"""The append-only event log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bootcamp.events import AppendOnlyError, Event, record_event
from bootcamp.extensions import db
from courses.services.catalog import CourseFields, create_course


def test_record_event_keeps_user_course_kind_time_and_data(app, make_user):
    user = make_user()
    with app.app_context():
        course_id = create_course(CourseFields(slug="tagging", title="Tagging"), actor=None).id
        record_event("section_read", user_id=user.id, course_id=course_id,
                     data={"section": "4.2"})
        db.session.commit()
        event = db.session.scalar(select(Event))
    assert (event.user_id, event.course_id, event.kind) == (user.id, course_id, "section_read")
    assert event.data == {"section": "4.2"}
    assert event.created_at.tzinfo is not None


def test_events_cannot_be_changed_or_deleted(app, make_user):
    user = make_user()
    with app.app_context():
        record_event("logged_in", user_id=user.id)
        db.session.commit()
        event = db.session.scalar(select(Event))
        event.kind = "something_else"
        with pytest.raises(AppendOnlyError):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalar(select(Event)))
        with pytest.raises(AppendOnlyError):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(select(Event)).kind == "logged_in"
