"""/api/v1/webhooks and /api/v1/deliveries: every endpoint x scope, a client's own webhooks only,
the secret shown only on create and rotate, keyset pages of deliveries."""

# ruff: noqa: F811  (pytest fixtures imported from webhook_fixtures, used as arguments)
from __future__ import annotations

from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from bootcamp.api.models import Delivery
from bootcamp.extensions import db
from bootcamp.types import utcnow
from tests.api.webhook_fixtures import (  # noqa: F401  (fixtures)
    ALL_SCOPES,
    Reply,
    add_webhook,
    course_id,
    deliveries,
    emit,
    hooks_app,
    make_platform,
    platform,
    receiver,
    work,
)

MANAGE = "webhooks:manage"

ENDPOINTS = [
    ("get", "/api/v1/webhooks", None),
    ("post", "/api/v1/webhooks", {"url": "URL"}),
    ("get", "/api/v1/webhooks/{webhook}", None),
    ("patch", "/api/v1/webhooks/{webhook}", {"enabled": True}),
    ("post", "/api/v1/webhooks/{webhook}/rotate-secret", None),
    ("post", "/api/v1/webhooks/{webhook}/test", None),
    ("get", "/api/v1/webhooks/{webhook}/deliveries", None),
    ("post", "/api/v1/deliveries/{delivery}/redeliver", None),
    ("delete", "/api/v1/webhooks/{webhook}", None),
]


@pytest.fixture
def api(hooks_app):
    return hooks_app.test_client()


@pytest.fixture
def finished(hooks_app, platform, receiver, course_id) -> tuple[int, int]:
    """(webhook id, delivery id) of a delivery that was sent."""
    webhook_id, _ = add_webhook(hooks_app, platform, receiver.url())
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app)
    return webhook_id, deliveries(hooks_app)[0].id


def call(api, method, path, body, headers, receiver, ids):
    path = path.format(webhook=ids[0], delivery=ids[1])
    if body is not None and body.get("url") == "URL":
        body = {"url": receiver.url()}
    return getattr(api, method)(path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_every_endpoint_needs_a_token_with_the_manage_scope(
        api, hooks_app, platform, receiver, finished, method, path, body):
    others = make_platform(hooks_app, "no-manage", tuple(s for s in ALL_SCOPES if s != MANAGE))
    anonymous = call(api, method, path, body, {}, receiver, finished)
    assert anonymous.status_code == 401 and "Bearer" in anonymous.headers["WWW-Authenticate"]
    assert anonymous.mimetype == "application/problem+json"
    bad = call(api, method, path, body, {"Authorization": "Bearer bct_nope"}, receiver,
               finished)
    assert bad.status_code == 401
    refused = call(api, method, path, body, others.headers, receiver, finished)
    assert refused.status_code == 403 and refused.get_json()["scope"] == MANAGE
    allowed = call(api, method, path, body, platform.headers, receiver, finished)
    assert allowed.status_code in (200, 201, 202, 204), allowed.get_data(as_text=True)


@pytest.mark.parametrize(("method", "path", "body"),
                         [e for e in ENDPOINTS if "{" in e[1]])
def test_another_clients_webhook_or_delivery_is_not_found(
        api, hooks_app, receiver, finished, method, path, body):
    other = make_platform(hooks_app, "platform-z")
    response = call(api, method, path, body, other.headers, receiver, finished)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert response.get_json()["title"] in ("Unknown webhook", "Unknown delivery")


def test_create_shows_the_secret_once_then_never(api, platform, receiver):
    created = api.post("/api/v1/webhooks", headers=platform.headers,
                       json={"url": receiver.url(), "event_types": ["qualification.granted"]})
    assert created.status_code == 201
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and body["enabled"] is True
    assert body["event_types"] == ["qualification.granted"]
    listed = api.get("/api/v1/webhooks", headers=platform.headers).get_json()["items"]
    assert [w["id"] for w in listed] == [body["id"]] and "secret" not in listed[0]
    one = api.get(f"/api/v1/webhooks/{body['id']}", headers=platform.headers).get_json()
    assert "secret" not in one and one["url"] == receiver.url()


@pytest.mark.parametrize(("body", "status", "said"), [
    ({"url": "http://localhost/x"}, 400, "loopback"),
    ({"url": "http://user:pw@localhost/x"}, 400, "password"),
    ({"url": "ftp://example.com/"}, 422, "url"),
    ({"url": "https://example.com/", "event_types": ["nope"]}, 422, "event_types"),
    ({"url": "https://example.com/", "secret": "mine"}, 422, "secret"),
    ({}, 422, "url"),
])
def test_a_refused_webhook_is_a_problem_that_says_why(api, hooks_app, platform, body, status,
                                                      said):
    hooks_app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    response = api.post("/api/v1/webhooks", headers=platform.headers, json=body)
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert said in response.get_json()["detail"]


def test_patch_rotate_and_delete(api, platform, receiver, finished):
    webhook_id = finished[0]
    path = f"/api/v1/webhooks/{webhook_id}"
    patched = api.patch(path, headers=platform.headers,
                        json={"enabled": False, "event_types": ["manual.published"]})
    assert patched.status_code == 200
    assert (patched.get_json()["enabled"], patched.get_json()["disabled_reason"]) == (
        False, "Disabled by the client.")
    test = api.post(f"{path}/test", headers=platform.headers)
    assert test.status_code == 409 and "disabled" in test.get_json()["detail"]
    api.patch(path, headers=platform.headers, json={"enabled": True})
    rotated = api.post(f"{path}/rotate-secret", headers=platform.headers).get_json()
    assert rotated["secret"].startswith("whsec_")
    assert api.get(path, headers=platform.headers).get_json()["previous_secret_valid_until"]
    queued = api.post(f"{path}/test", headers=platform.headers)
    assert queued.status_code == 202 and queued.get_json()["event_type"] == "webhook.test"
    assert api.delete(path, headers=platform.headers).status_code == 204
    assert api.get(path, headers=platform.headers).status_code == 404


def test_the_test_event_arrives_signed_with_the_rotated_secret(api, hooks_app, platform,
                                                               receiver):
    webhook_id = api.post("/api/v1/webhooks", headers=platform.headers,
                          json={"url": receiver.url()}).get_json()["id"]
    secret = api.post(f"/api/v1/webhooks/{webhook_id}/rotate-secret",
                      headers=platform.headers).get_json()["secret"]
    api.post(f"/api/v1/webhooks/{webhook_id}/test", headers=platform.headers)
    work(hooks_app)
    (hit,) = receiver.hits
    assert Verifier(secret).verify(hit.body, hit.headers)["type"] == "webhook.test"


def test_redeliver_refuses_a_pending_delivery_and_resends_a_finished_one(
        api, hooks_app, platform, receiver, finished):
    path = f"/api/v1/deliveries/{finished[1]}/redeliver"
    again = api.post(path, headers=platform.headers)
    assert again.status_code == 202 and again.get_json()["state"] == "pending"
    refused = api.post(path, headers=platform.headers)
    assert refused.status_code == 409 and "still pending" in refused.get_json()["detail"]
    work(hooks_app)
    first, second = receiver.hits
    assert first.headers["webhook-id"] == second.headers["webhook-id"]


def test_deliveries_are_paged_newest_first_by_cursor_while_new_ones_arrive(
        api, hooks_app, platform, receiver, course_id):
    receiver.default = Reply(500)
    webhook_id, _ = add_webhook(hooks_app, platform, receiver.url())
    for _ in range(5):
        emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app, now=utcnow() - timedelta(minutes=1))
    path = f"/api/v1/webhooks/{webhook_id}/deliveries"
    first = api.get(path, headers=platform.headers, query_string={"limit": 2}).get_json()
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)  # a new one
    work(hooks_app)
    seen = [d["id"] for d in first["items"]]
    cursor = first["next"]
    while cursor:
        page = api.get(path, headers=platform.headers,
                       query_string={"limit": 2, "cursor": cursor}).get_json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next"]
    with hooks_app.app_context():
        old = sorted((d.id for d in db.session.query(Delivery)), reverse=True)[1:]
    assert seen == old  # every one of the first five, once, newest first
    item = first["items"][0]
    assert item["event_id"].startswith("evt_") and item["last_status"] == 500
    bad = api.get(path, headers=platform.headers, query_string={"cursor": "forged"})
    assert bad.status_code == 400
    too_many = api.get(path, headers=platform.headers, query_string={"limit": 1001})
    assert too_many.status_code == 422
