"""The webhook worker against a real receiver on 127.0.0.1: fan-out, signatures (verified with
the standardwebhooks package, also during a rotation), the retry schedule with time and jitter
injected, Retry-After, 410, three days of failures, and addresses refused at delivery."""

# ruff: noqa: F811  (pytest fixtures imported from webhook_fixtures, used as arguments)
from __future__ import annotations

import json
import socket
from datetime import timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import update
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from bootcamp.api import delivery, webhooks
from bootcamp.api.models import ApiClient, Delivery, DeliveryState, Webhook
from bootcamp.extensions import db
from bootcamp.outbox import OutboxEvent
from bootcamp.types import utcnow
from tests.api.webhook_fixtures import (  # noqa: F401  (fixtures)
    Reply,
    add_webhook,
    attempts,
    course_id,
    deliveries,
    emit,
    events,
    hooks_app,
    link,
    make_platform,
    platform,
    receiver,
    webhook_row,
    work,
    worker,
)

GRANTED = "qualification.granted"


def verify(secret: str, hit) -> dict:
    return Verifier(secret).verify(hit.body, hit.headers)


def test_a_worker_event_reaches_the_linked_client_signed_with_its_external_id(
        hooks_app, platform, receiver, worker, course_id):
    link(hooks_app, platform, worker, "w-42")
    _, secret = add_webhook(hooks_app, platform, receiver.url())
    event_id = emit(hooks_app, GRANTED, user_id=worker.id, course_id=course_id,
                    data={"course": "hooks-course", "status": "qualified"})
    assert work(hooks_app) == 1
    (hit,) = receiver.hits
    body = verify(secret, hit)
    assert body["type"] == GRANTED and body["timestamp"].endswith("Z")
    assert body["data"] == {"course": "hooks-course", "status": "qualified",
                            "external_id": "w-42", "sequence": 1}
    assert hit.headers["webhook-id"] == event_id
    assert hit.headers["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):
        verify(webhooks.new_secret(), hit)
    (sent,) = deliveries(hooks_app)
    assert (sent.state, sent.attempt_count, sent.last_status) == ("succeeded", 1, 200)
    (attempt,) = attempts(hooks_app)
    assert (attempt.number, attempt.status, attempt.error, attempt.response_body) == (
        1, 200, None, "ok")
    assert work(hooks_app) == 0  # nothing is sent twice


def test_events_go_only_to_clients_that_may_see_them_and_want_their_type(
        hooks_app, platform, receiver, worker, course_id):
    other = make_platform(hooks_app, "platform-b")
    link(hooks_app, platform, worker, "w-1")
    add_webhook(hooks_app, platform, receiver.url("/a-all"))
    add_webhook(hooks_app, platform, receiver.url("/a-manual"), ("manual.published",))
    add_webhook(hooks_app, other, receiver.url("/b-all"))  # b never linked the worker
    emit(hooks_app, GRANTED, user_id=worker.id, course_id=course_id)
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app)
    got = sorted((hit.path, json.loads(hit.body)["type"]) for hit in receiver.hits)
    assert got == [("/a-all", "manual.published"), ("/a-all", GRANTED),
                   ("/a-manual", "manual.published"), ("/b-all", "manual.published")]
    assert all(event.dispatched_at is not None for event in events(hooks_app))


def test_dispatching_an_event_twice_makes_no_second_delivery(hooks_app, platform, receiver,
                                                            course_id):
    """Two dispatchers that both saw the event (SQLite has no SKIP LOCKED) are harmless."""
    add_webhook(hooks_app, platform, receiver.url())
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    now = utcnow()
    with hooks_app.app_context():
        assert delivery.dispatch(now) == 1
        db.session.execute(update(OutboxEvent).values(dispatched_at=None))
        db.session.commit()
        assert delivery.dispatch(now) == 1
    assert len(deliveries(hooks_app)) == 1


def test_a_disabled_webhook_gets_nothing(hooks_app, platform, receiver, course_id):
    webhook_id, _ = add_webhook(hooks_app, platform, receiver.url())
    with hooks_app.app_context():
        webhooks.update_webhook(db.session.get(Webhook, webhook_id), enabled=False,
                                actor_id=None)
        db.session.commit()
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app)
    assert receiver.hits == [] and deliveries(hooks_app) == []


def test_during_a_rotation_both_secrets_sign_for_24_hours(hooks_app, platform, receiver,
                                                          course_id):
    webhook_id, old = add_webhook(hooks_app, platform, receiver.url())
    with hooks_app.app_context():
        new = webhooks.rotate_secret(db.session.get(Webhook, webhook_id), actor_id=None)
        db.session.commit()
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app)
    (hit,) = receiver.hits
    assert len(hit.headers["webhook-signature"].split(" ")) == 2
    assert verify(old, hit)["type"] == verify(new, hit)["type"] == "manual.published"
    with hooks_app.app_context():  # a day later the old secret no longer signs
        signed = delivery.message(db.session.get(Delivery, deliveries(hooks_app)[0].id),
                                  utcnow() + timedelta(hours=24, seconds=1))
        assert len(signed.headers["webhook-signature"].split(" ")) == 1


def test_the_retry_schedule_with_jitter_then_failure_and_three_days_disable(
        hooks_app, platform, receiver, course_id):
    receiver.default = Reply(503, body=b"busy")
    webhook_id, _ = add_webhook(hooks_app, platform, receiver.url())
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    now = start = utcnow()
    waits = []
    for n in range(1, 11):
        assert work(hooks_app, now=now, rand=lambda: 1.0) == 1, n  # jitter at its +10%
        (row,) = deliveries(hooks_app)
        assert row.attempt_count == n
        if row.next_attempt_at is None:
            break
        waits.append(row.next_attempt_at - now)
        assert work(hooks_app, now=row.next_attempt_at - timedelta(seconds=1)) == 0
        now = row.next_attempt_at
    assert waits == [delay * 1.1 for delay in delivery.RETRY_DELAYS]
    assert (row.state, row.last_status) == ("failed", 503)
    assert len(receiver.hits) == 10
    assert len({hit.headers["webhook-id"] for hit in receiver.hits}) == 1
    assert [a.number for a in attempts(hooks_app)] == list(range(1, 11))
    assert attempts(hooks_app)[0].response_body == "busy"
    webhook = webhook_row(hooks_app, webhook_id)  # the last try came after 3 days of failing
    assert now - start > delivery.FAILING_LIMIT
    assert not webhook.enabled and "3 days" in webhook.disabled_reason
    assert webhook.failing_since == start


def test_jitter_moves_a_delay_by_at_most_ten_percent():
    now = utcnow()
    assert delivery.next_try(2, now, None, lambda: 0.0) == now + timedelta(minutes=4.5)
    assert delivery.next_try(2, now, None, lambda: 0.5) == now + timedelta(minutes=5)
    assert delivery.next_try(9, now, None, lambda: 1.0) == now + timedelta(hours=26.4)
    assert delivery.next_try(10, now, None, lambda: 0.5) is None


@pytest.mark.parametrize(("status", "header", "expected"), [
    (503, "120", timedelta(seconds=120)),
    (429, "date:3600", timedelta(hours=1)),
    (503, "999999", timedelta(hours=24)),  # capped
    (503, "1", timedelta(seconds=5)),  # shorter than the schedule: the schedule stands
    (408, "soon", timedelta(seconds=5)),  # unreadable: ignored
])
def test_retry_after_is_honoured_when_longer(hooks_app, platform, receiver, course_id,
                                             status, header, expected):
    now = utcnow().replace(microsecond=0)
    if header.startswith("date:"):
        header = format_datetime(now + timedelta(seconds=int(header[5:])), usegmt=True)
    receiver.reply(Reply(status, {"Retry-After": header}))
    add_webhook(hooks_app, platform, receiver.url())
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app, now=now)
    (row,) = deliveries(hooks_app)
    assert row.state == "pending" and row.next_attempt_at - now == expected


def test_410_disables_the_webhook_and_fails_its_pending_deliveries(
        hooks_app, platform, receiver, course_id):
    receiver.reply(Reply(410, body=b"gone"))
    webhook_id, _ = add_webhook(hooks_app, platform, receiver.url())
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app, limit=1)
    webhook = webhook_row(hooks_app, webhook_id)
    assert not webhook.enabled and "410" in webhook.disabled_reason
    assert [(d.state, d.last_status) for d in deliveries(hooks_app)] == [
        ("failed", 410), ("failed", None)]
    assert work(hooks_app) == 0 and len(receiver.hits) == 1


@pytest.mark.parametrize("status", [400, 401, 404, 301])
def test_other_4xx_and_redirects_fail_without_retry(hooks_app, platform, receiver, course_id,
                                                    status):
    receiver.reply(Reply(status, {"Location": "http://10.0.0.1/"}))
    webhook_id, _ = add_webhook(hooks_app, platform, receiver.url())
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    now = utcnow()
    work(hooks_app, now=now)
    (row,) = deliveries(hooks_app)
    assert (row.state, row.last_status, row.next_attempt_at) == ("failed", status, None)
    webhook = webhook_row(hooks_app, webhook_id)
    assert webhook.enabled and webhook.failing_since == now
    assert len(receiver.hits) == 1  # the redirect was not followed


def test_a_success_ends_a_run_of_failures_and_three_days_of_them_disable(
        hooks_app, platform, receiver, course_id):
    webhook_id, _ = add_webhook(hooks_app, platform, receiver.url())
    now = utcnow()
    with hooks_app.app_context():
        db.session.execute(update(Webhook).values(failing_since=now - timedelta(days=2)))
        db.session.commit()
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app, now=now)
    assert webhook_row(hooks_app, webhook_id).failing_since is None
    receiver.default = Reply(500)
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app, now=now)
    assert webhook_row(hooks_app, webhook_id).failing_since == now
    work(hooks_app, now=now + timedelta(days=3) - timedelta(seconds=1))
    assert webhook_row(hooks_app, webhook_id).enabled
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app, now=now + timedelta(days=3))
    webhook = webhook_row(hooks_app, webhook_id)
    assert not webhook.enabled and "3 days" in webhook.disabled_reason
    assert {d.state for d in deliveries(hooks_app)[1:]} == {"failed"}


def test_a_network_error_is_retried(hooks_app, platform, course_id):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    add_webhook(hooks_app, platform, f"http://127.0.0.1:{port}/hook")
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    now = utcnow()
    work(hooks_app, now=now)
    (row,) = deliveries(hooks_app)
    assert (row.state, row.last_status, row.next_attempt_at) == (
        "pending", None, now + timedelta(seconds=5))
    (attempt,) = attempts(hooks_app)
    assert attempt.status is None and "ConnectionRefused" in attempt.error


def test_only_the_first_4_kb_of_an_answer_are_kept(hooks_app, platform, receiver, course_id):
    receiver.reply(Reply(200, body=b"x" * 10_000))
    add_webhook(hooks_app, platform, receiver.url())
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app)
    assert attempts(hooks_app)[0].response_body == "x" * 4096


# Addresses at delivery time

@pytest.fixture
def resolving(monkeypatch):
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host].pop(0)
                                                                  if len(answers[host]) > 1
                                                                  else answers[host][0], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return answers


def test_a_saved_url_that_now_resolves_to_loopback_is_refused_at_delivery(
        hooks_app, platform, receiver, course_id, resolving):
    """DNS rebinding: public when saved, 127.0.0.1 when delivered: nothing is sent."""
    hooks_app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    resolving["rebind.example.com"] = ["93.184.215.14", "127.0.0.1"]
    add_webhook(hooks_app, platform, f"http://rebind.example.com:{receiver.port}/hook")
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    now = utcnow()
    work(hooks_app, now=now)
    assert receiver.hits == []
    (attempt,) = attempts(hooks_app)
    assert attempt.status is None and "127.0.0.1 is a loopback address" in attempt.error
    (row,) = deliveries(hooks_app)
    assert row.state == "pending"  # a name may resolve elsewhere later: retried


def test_a_private_receiver_is_refused_at_delivery_once_configuration_forbids_it(
        hooks_app, platform, receiver, course_id):
    add_webhook(hooks_app, platform, receiver.url())
    hooks_app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app)
    assert receiver.hits == [] and "loopback" in attempts(hooks_app)[0].error


def test_the_connection_goes_to_the_address_checked_with_the_hosts_name(
        hooks_app, platform, receiver, course_id, resolving):
    resolving["hooks.test"] = ["127.0.0.1"]
    add_webhook(hooks_app, platform, f"http://hooks.test:{receiver.port}/in?k=v")
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app)
    (hit,) = receiver.hits
    assert hit.headers["host"] == f"hooks.test:{receiver.port}" and hit.path == "/in?k=v"


# The test event and redelivery

def test_a_test_event_goes_to_its_webhook_alone_and_stays_out_of_dispatch(
        hooks_app, platform, receiver):
    first, secret = add_webhook(hooks_app, platform, receiver.url("/one"))
    add_webhook(hooks_app, platform, receiver.url("/two"))
    with hooks_app.app_context():
        webhooks.send_test_event(db.session.get(Webhook, first))
        db.session.commit()
    work(hooks_app)
    (hit,) = receiver.hits
    assert hit.path == "/one"
    assert verify(secret, hit)["type"] == webhooks.TEST_EVENT_TYPE


def test_redelivery_is_a_new_round_with_the_same_webhook_id(hooks_app, platform, receiver,
                                                            course_id):
    receiver.reply(Reply(400))
    add_webhook(hooks_app, platform, receiver.url())
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    work(hooks_app)
    (row,) = deliveries(hooks_app)
    with hooks_app.app_context():
        found = db.session.get(Delivery, row.id)
        webhooks.redeliver(found)
        with pytest.raises(webhooks.WebhookError, match="still pending"):
            webhooks.redeliver(found)
        db.session.commit()
    work(hooks_app)
    first, second = receiver.hits
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    (row,) = deliveries(hooks_app)
    assert (row.state, row.attempt_count) == ("succeeded", 1)
    assert [(a.number, a.status) for a in attempts(hooks_app)] == [(1, 400), (2, 200)]


def test_a_lease_keeps_a_claimed_delivery_from_a_second_worker_until_it_runs_out(
        hooks_app, platform, receiver, course_id):
    add_webhook(hooks_app, platform, receiver.url())
    emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    now = utcnow()
    with hooks_app.app_context():
        delivery.dispatch(now)
        (claimed,) = delivery.claim(now, 10)  # a worker that then stalls
        assert claimed.next_attempt_at == now + delivery.LEASE
        db.session.expunge(claimed)  # its own view of the row, as another process would have
        assert delivery.claim(now, 10) == []
        assert delivery.claim(now + delivery.LEASE - timedelta(seconds=1), 10) == []
        (again,) = delivery.claim(now + delivery.LEASE, 10)
        assert again.id == claimed.id
        # The first worker wakes up: its lease is gone, so it does not send.
        assert delivery.deliver(claimed, now + delivery.LEASE) is None
    assert receiver.hits == []


def test_a_webhook_of_another_client_is_not_found(hooks_app, platform, receiver):
    webhook_id, _ = add_webhook(hooks_app, platform, receiver.url())
    other = make_platform(hooks_app, "platform-c")
    with hooks_app.app_context():
        assert webhooks.webhook_of(db.session.get(ApiClient, other.client_id),
                                   webhook_id) is None
        assert webhooks.webhook_of(db.session.get(ApiClient, platform.client_id),
                                   webhook_id) is not None


def test_admin_helpers_list_deliveries_newest_first_and_attempts_in_order(
        hooks_app, platform, receiver, course_id):
    receiver.reply(Reply(500))
    webhook_id, _ = add_webhook(hooks_app, platform, receiver.url())
    for _ in range(3):
        emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    now = utcnow()
    work(hooks_app, now=now)
    work(hooks_app, now=now + timedelta(seconds=6))
    with hooks_app.app_context():
        webhook = db.session.get(Webhook, webhook_id)
        listed = webhooks.deliveries_of(webhook, 2)
        assert [d.id for d in listed] == sorted((d.id for d in listed), reverse=True)
        assert len(listed) == 2
        first = min(webhooks.deliveries_of(webhook, 10), key=lambda d: d.id)
        assert [(a.number, a.status) for a in webhooks.attempts_of(first)] == [(1, 500),
                                                                               (2, 200)]
        assert first.state == DeliveryState.SUCCEEDED
