"""Fixtures for the bootcamp package's tests."""

from __future__ import annotations

from datetime import date

import pytest

from bootcamp.users.models import Role


@pytest.fixture
def world(app, make_user):
    """One of everything a URL can name: a user, an open course with two versions, a cohort,
    a practice item."""
    from sqlalchemy import select

    from bootcamp.extensions import db
    from bootcamp.users.models import User
    from courses.models import CourseStatus, Item, MediaFile
    from courses.services import catalog, enrolment, items, manuals
    from exams.services import disputes

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
        item = db.session.scalar(select(Item).where(Item.key == "q1"))
        dispute = disputes.open_dispute(db.session.get(User, target.id), item, "one", "Why?")
        attempt = _graded_exam_attempt(course, author, db.session.get(User, target.id))
        platform = _platform_with_a_delivery()
        db.session.commit()
        token = enrolment.make_invite_token(app.config["SECRET_KEY"], cohort, 1)
        return {"user_id": target.id, "slug": course.slug, "cohort_id": cohort.id,
                "number": 1, "name": "a.png", "token": token, "module": "rules",
                "item_key": "q1", "key": "q1",
                "dispute_id": dispute.id, "attempt_id": attempt.id, "position": 1,
                "request_id": 1,  # a request for another round (none exists: refused first)
                "external_id": "matrix-worker",  # the platform API's worker (none linked)
                **platform}


def _graded_exam_attempt(course, author, trainee):
    """A one-item exam and the target trainee's graded attempt (for the exam pages)."""
    from courses.services import items
    from exams.services import attempts, settings

    items.upsert_items(course, [{
        "id": "e1", "kind": "choice", "prompt": "Exam?", "media": None,
        "spec": {"options": ["one", "two"]}, "gold": "one", "explanation": "",
        "sections": ["rules"], "critical": False, "pools": ["exam"]}], author, "world-exam")
    settings.save_settings(course, settings.ExamRules(item_count=1), author)
    attempt = attempts.start(trainee, course)
    return attempts.submit(attempt)


def _platform_with_a_delivery() -> dict:
    """An API client with a token and a webhook that delivered one event (the admin pages)."""
    from bootcamp.api.models import ApiClient, Delivery, DeliveryState, Webhook
    from bootcamp.api.tokens import create_client, issue_token
    from bootcamp.extensions import db
    from bootcamp.outbox import OutboxEvent

    client: ApiClient = create_client("World platform", None)
    token, _ = issue_token(client, ["qualifications:read"], None)
    webhook = Webhook(client_id=client.id, url="https://platform.example/hooks",
                      secret="whsec_" + "A" * 32, event_types=[])
    event = OutboxEvent(type="manual.published", data={})
    db.session.add_all([webhook, event])
    db.session.flush()
    delivery = Delivery(webhook_id=webhook.id, event_id=event.id,
                        state=DeliveryState.SUCCEEDED, last_status=200)
    db.session.add(delivery)
    db.session.flush()
    return {"client_id": client.id, "token_id": token.id, "webhook_id": webhook.id,
            "delivery_id": delivery.id}
