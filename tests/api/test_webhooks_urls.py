"""Webhook URLs: only http(s) to public addresses, checked when saved (here) and on the address
connected to at delivery (test_webhooks_delivery.py)."""

from __future__ import annotations

import socket

import pytest

from bootcamp.api import webhooks
from bootcamp.api.models import ApiClient
from bootcamp.audit import AuditEntry
from bootcamp.extensions import db
from tests.api.webhook_fixtures import make_platform

PUBLIC = "93.184.215.14"

REFUSED_ADDRESSES = [
    "127.0.0.1", "127.1.2.3", "::1",  # loopback
    "10.0.0.1", "172.16.5.4", "192.168.1.1", "fc00::1", "fd12:3456::1",  # private
    "169.254.169.254", "fe80::1",  # link-local (cloud metadata)
    "224.0.0.1", "ff02::1",  # multicast
    "240.0.0.1", "0.0.0.0", "::",  # reserved, unspecified  # noqa: S104
    "100.64.0.1", "192.0.2.10", "198.18.0.1", "2001:db8::1",  # shared, documentation, bench
    "::ffff:127.0.0.1", "::ffff:10.0.0.1",  # IPv4-mapped
    "2002:7f00:1::1", "64:ff9b::a00:1",  # 6to4 of 127.0.0.1, NAT64 of 10.0.0.1
]


@pytest.fixture
def resolving(monkeypatch):
    """Make host names resolve as the test says (numeric hosts resolve as themselves)."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM,
                     6, "", (address, port)) for address in answers[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return answers


@pytest.fixture
def client_row(app):
    platform = make_platform(app, "url-tester")
    with app.app_context():
        yield db.session.get(ApiClient, platform.client_id)


def refusal(url: str) -> str:
    with pytest.raises(webhooks.WebhookError) as caught:
        webhooks.check_url(url)
    return str(caught.value)


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_every_non_public_address_is_refused_by_name_and_as_a_literal(app, resolving, address):
    resolving["hooks.example.com"] = [address]
    with app.app_context():
        assert "public address" in refusal("https://hooks.example.com/in")
        literal = f"[{address}]" if ":" in address else address
        assert "public address" in refusal(f"http://{literal}:8080/in")


def test_localhost_really_resolved_is_refused(app):
    with app.app_context():
        message = refusal("http://localhost:9/hook")
        assert "loopback" in message and "localhost" in message


def test_one_private_answer_among_public_ones_is_enough_to_refuse(app, resolving):
    resolving["mixed.example.com"] = [PUBLIC, "10.1.1.1"]
    with app.app_context():
        assert "10.1.1.1" in refusal("https://mixed.example.com/")


def test_a_public_address_is_accepted_and_private_ones_when_configured(app, resolving):
    resolving["hooks.example.com"] = [PUBLIC]
    with app.app_context():
        assert webhooks.check_url(" https://hooks.example.com/in?x=1 ") == \
            "https://hooks.example.com/in?x=1"
        app.config["WEBHOOK_ALLOW_PRIVATE"] = True
        assert webhooks.check_url("http://127.0.0.1:9/hook") == "http://127.0.0.1:9/hook"


@pytest.mark.parametrize(("url", "said"), [
    ("ftp://hooks.example.com/", "https://"),
    ("file:///etc/passwd", "https://"),
    ("gopher://hooks.example.com/", "https://"),
    ("https:///nohost", "no host"),
    ("https://user:pw@hooks.example.com/", "user name or password"),
    ("https://user@hooks.example.com/", "user name or password"),
    ("https://hooks.example.com/a b", "spaces"),
    ("https://hooks.example.com/\x00", "control"),
    ("https://hooks.example.com:99999/", "not valid"),
    ("https://hooks.example.com/#frag", "fragment"),
    ("https://hooks.example.com/" + "a" * 2040, "limit is 2,048"),
    ("https://no-such-host.invalid/", "cannot be resolved"),
])
def test_malformed_urls_are_refused_with_a_reason(app, resolving, url, said):
    resolving["hooks.example.com"] = [PUBLIC]
    with app.app_context():
        assert said in refusal(url)


def test_create_update_rotate_delete_are_audited_and_checked(app, resolving, client_row):
    resolving["hooks.example.com"] = [PUBLIC]
    resolving["evil.example.com"] = ["127.0.0.1"]
    webhook, secret = webhooks.create_webhook(client_row, "https://hooks.example.com/in",
                                              ["qualification.granted"], actor_id=None)
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 32
    with pytest.raises(webhooks.WebhookError, match="loopback"):
        webhooks.update_webhook(webhook, url="https://evil.example.com/", actor_id=None)
    with pytest.raises(webhooks.WebhookError, match="Unknown event type"):
        webhooks.update_webhook(webhook, event_types=["qualification.nope"], actor_id=None)
    with pytest.raises(webhooks.WebhookError, match="loopback"):
        webhooks.create_webhook(client_row, "https://evil.example.com/", [], actor_id=None)
    webhooks.update_webhook(webhook, event_types=[], enabled=False, actor_id=None)
    assert webhook.disabled_reason == "Disabled by the client."
    webhooks.update_webhook(webhook, enabled=True, actor_id=None)
    assert webhook.enabled and webhook.disabled_reason is None
    new = webhooks.rotate_secret(webhook, actor_id=None)
    assert new != secret and webhook.previous_secret == secret
    webhooks.delete_webhook(webhook, actor_id=None)
    db.session.commit()
    actions = [entry.action for entry in db.session.query(AuditEntry).order_by(AuditEntry.id)
               if entry.action.startswith("webhook_")]
    assert actions == ["webhook_created", "webhook_updated", "webhook_updated",
                       "webhook_secret_rotated", "webhook_deleted"]
