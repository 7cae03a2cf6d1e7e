"""GET /api/v1/courses, the event feed (GET /api/v1/events), and pruning old events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bootcamp.api.feed import prune_events
from bootcamp.api.models import ApiClient, Delivery, DeliveryState, Webhook
from bootcamp.extensions import db
from bootcamp.outbox import OutboxEvent, record_outbox
from bootcamp.types import utcnow
from bootcamp.users.models import Role
from courses.models import Course, CourseStatus
from exams.services import settings
from tests.api.conftest import link_worker
from tests.factories import make_course


def test_courses_list_titles_versions_and_exam_rules(app, client, api_world, token, make_user):
    make_course(app, make_user(Role.INSTRUCTOR), "draft", status=CourseStatus.DRAFT)
    with app.app_context():
        course = db.session.get(Course, api_world.courses["retry"])
        course.code_name = "RETRY-1"
        rules = settings.rules_of(settings.settings_for(course))
        settings.save_settings(course, settings.ExamRules(**{
            **rules.__dict__, "attempts_allowed": 5, "validity_days": 90}), None)
        db.session.commit()
    response = client.get("/api/v1/courses", headers=token.headers)
    assert response.status_code == 200
    items = {item["slug"]: item for item in response.get_json()["items"]}
    assert set(items) == {"qualified", "refresh", "retry", "fresh"}  # no drafts
    retry = items["retry"]
    assert retry["code_name"] == "RETRY-1" and retry["current_manual_version"] == 2
    assert retry["exam"]["attempts_allowed"] == 5 and retry["exam"]["validity_days"] == 90
    assert items["fresh"]["exam"]["retry_delay_seconds"] == 86400  # the defaults
    assert items["fresh"]["code_name"] is None


def test_courses_are_paginated(client, api_world, token):
    first = client.get("/api/v1/courses?limit=3", headers=token.headers).get_json()
    assert len(first["items"]) == 3 and first["next"]
    rest = client.get("/api/v1/courses", headers=token.headers,
                      query_string={"limit": 3, "cursor": first["next"]}).get_json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    assert client.get("/api/v1/courses?cursor=bad", headers=token.headers).status_code == 400


def emit(app, type_: str, user_id: int | None, course_id: int, **data) -> int:
    with app.app_context():
        event = record_outbox(type_, user_id=user_id, course_id=course_id, data=data)
        db.session.commit()
        return event.id


def test_the_feed_shows_own_workers_and_course_wide_events_in_order(app, client, api_world,
                                                                     token, make_user):
    course_id = api_world.courses["qualified"]
    stranger = make_user(Role.TRAINEE)
    with app.app_context():
        start = db.session.scalar(select(func.max(OutboxEvent.id))) or 0
    mine = emit(app, "qualification.granted", api_world.user_id, course_id, course="qualified")
    emit(app, "qualification.granted", stranger.id, course_id, course="qualified")
    wide = emit(app, "manual.published", None, course_id, course="qualified", version=3)
    response = client.get(f"/api/v1/events?after={start}", headers=token.headers)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [item["seq"] for item in items] == [mine, wide]
    assert items[0]["id"].startswith("evt_") and items[0]["timestamp"].endswith("Z")
    assert items[0]["data"] == {"course": "qualified", "external_id": "w-1"}
    assert items[1]["type"] == "manual.published" and "external_id" not in items[1]["data"]


def test_the_feed_pages_by_seq(app, client, api_world, token):
    with app.app_context():
        start = db.session.scalar(select(func.max(OutboxEvent.id))) or 0
    seqs = [emit(app, "qualification.score_changed", api_world.user_id,
                 api_world.courses["retry"], n=n) for n in range(5)]
    first = client.get(f"/api/v1/events?after={start}&limit=2", headers=token.headers)
    body = first.get_json()
    assert [i["seq"] for i in body["items"]] == seqs[:2] and body["next"] == seqs[1]
    last = client.get(f"/api/v1/events?after={seqs[3]}&limit=2", headers=token.headers)
    assert [i["seq"] for i in last.get_json()["items"]] == seqs[4:]
    assert last.get_json()["next"] is None


def test_another_clients_worker_events_carry_that_clients_id(app, client, api_world,
                                                             make_token):
    other = make_token("events:read", client="Other platform")
    link_worker(app, api_world.user_id, "theirs-9", client="Other platform")
    emit(app, "qualification.expired", api_world.user_id, api_world.courses["qualified"])
    items = client.get("/api/v1/events?limit=1000", headers=other.headers).get_json()["items"]
    worker_events = [i for i in items if i["type"] == "qualification.expired"]
    assert [i["data"]["external_id"] for i in worker_events] == ["theirs-9"]


def test_prune_keeps_thirty_days_and_anything_still_pending(app, api_world):
    course_id = api_world.courses["qualified"]
    old = utcnow() - timedelta(days=31)
    with app.app_context():
        client_id = db.session.scalar(select(ApiClient.id))
        hook = Webhook(client_id=client_id, url="https://example.com/hook", event_types=[],
                       secret="whsec_" + "A" * 32)
        db.session.add(hook)
        events = {}
        for name, created, dispatched, state in (
                ("old-done", old, True, DeliveryState.SUCCEEDED),
                ("old-pending", old, True, DeliveryState.PENDING),
                ("old-undispatched", old, False, None),
                ("recent", utcnow() - timedelta(days=29), True, None)):
            event = OutboxEvent(type="qualification.granted", user_id=api_world.user_id,
                                course_id=course_id, data={"name": name}, created_at=created,
                                dispatched_at=created if dispatched else None)
            db.session.add(event)
            db.session.flush()
            events[name] = event.id
            if state is not None:
                db.session.add(Delivery(webhook_id=hook.id, event_id=event.id, state=state))
        db.session.commit()
        assert prune_events(utcnow()) == 1
        db.session.commit()
        left = set(db.session.scalars(select(OutboxEvent.id)))
        assert events["old-done"] not in left
        assert {events["old-pending"], events["old-undispatched"], events["recent"]} <= left
        assert prune_events(utcnow() - timedelta(days=40)) == 0


def test_another_clients_test_event_stays_out_of_the_feed(app, client, api_world, token):
    """A test event is one client's "does my receiver work?": nobody's feed shows it."""
    from bootcamp.api import webhooks

    with app.app_context():
        other = ApiClient(name="Other platform", created_at=utcnow())
        db.session.add(other)
        db.session.flush()
        hook = Webhook(client_id=other.id, url="https://example.com/hook", event_types=[],
                       enabled=True, secret="whsec_" + "A" * 32)
        db.session.add(hook)
        db.session.flush()
        webhooks.send_test_event(hook)
        db.session.commit()
    items = client.get("/api/v1/events", headers=token.headers).get_json()["items"]
    assert all(item["type"] != webhooks.TEST_EVENT_TYPE for item in items)
