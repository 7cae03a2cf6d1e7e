"""The admin platform pages: clients, tokens, webhooks, deliveries and their attempts."""

from __future__ import annotations

import html
import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from bootcamp.admin.forms import EVENT_LABELS, SCOPE_LABELS
from bootcamp.api.models import (
    SCOPES,
    ApiClient,
    ApiToken,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Webhook,
)
from bootcamp.api.tokens import create_client, hash_token, issue_token, token_by_raw
from bootcamp.api.webhooks import create_webhook
from bootcamp.extensions import db
from bootcamp.outbox import EVENT_TYPES, OutboxEvent
from bootcamp.users.models import Role
from tests.helpers import csrf_token

REVEALED = re.compile(r'id="revealed-value" class="secret-value" type="text" readonly '
                      r'value="([^"]+)"')
HOOK_URL = "http://127.0.0.1:9/hooks"


def post(client, url: str, data: dict | None = None, page: str = "/admin/platforms", **kw):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **(data or {})}, **kw)


def revealed(body: str) -> str | None:
    match = REVEALED.search(body)
    return html.unescape(match.group(1)) if match else None


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


@pytest.fixture
def platform(app, admin) -> int:
    """A client named Acme, with a token."""
    with app.app_context():
        client = create_client("Acme", admin.id)
        issue_token(client, ["qualifications:read"], admin.id, name="prod")
        db.session.commit()
        return client.id


@pytest.fixture
def webhook(app, platform, admin) -> int:
    """A webhook of Acme to a local address (private addresses allowed)."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    with app.app_context():
        hook, _ = create_webhook(db.session.get(ApiClient, platform), HOOK_URL,
                                 ["qualification.granted"], admin.id)
        db.session.commit()
        return hook.id


def delivered(app, webhook_id: int, *, body: str = "ok", status: int = 200) -> int:
    """A finished delivery of a granted event, with one attempt that got `body`."""
    with app.app_context():
        event = OutboxEvent(type="qualification.granted", data={"course": "sample"})
        db.session.add(event)
        db.session.flush()
        delivery = Delivery(webhook_id=webhook_id, event_id=event.id,
                            state=DeliveryState.SUCCEEDED if status < 300
                            else DeliveryState.FAILED,
                            attempt_count=1, last_status=status)
        db.session.add(delivery)
        db.session.flush()
        db.session.add(DeliveryAttempt(delivery_id=delivery.id, number=1, status=status,
                                       duration_ms=42, response_body=body))
        db.session.commit()
        return delivery.id


def test_every_scope_and_event_has_words_for_admins():
    assert list(SCOPE_LABELS) == list(SCOPES) and list(EVENT_LABELS) == list(EVENT_TYPES)


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.INSTRUCTOR])
def test_only_admins_reach_the_platform_pages(app, client, login_as, make_user, role):
    with app.app_context():
        client_id = create_client("Acme", None).id
        db.session.commit()
    assert client.get("/admin/platforms").headers["Location"].startswith("/auth/login")
    login_as(role)
    assert client.get("/admin/platforms").status_code == 403
    assert client.get(f"/admin/platforms/{client_id}").status_code == 403
    assert post(client, "/admin/platforms", {"name": "Evil"}, page="/").status_code == 403
    assert post(client, f"/admin/platforms/{client_id}/tokens",
                {"scopes": ["events:read"]}, page="/").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(ApiToken.id))) == 0
        assert db.session.scalar(select(func.count(ApiClient.id))) == 1


def test_admin_adds_a_platform_and_it_is_listed_and_linked(app, client, admin):
    nav = client.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/platforms"' in nav
    response = post(client, "/admin/platforms", {"name": "  Acme Labelling "})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<h1>Acme Labelling</h1>" in page and "No token yet" in page
    listing = client.get("/admin/platforms").get_data(as_text=True)
    assert "Acme Labelling" in listing and "API reference" in listing
    again = post(client, "/admin/platforms", {"name": "Acme Labelling"})
    assert again.status_code == 200 and "already exists" in again.get_data(as_text=True)
    empty = post(client, "/admin/platforms", {"name": ""})
    assert empty.status_code == 200 and 'aria-invalid="true"' in empty.get_data(as_text=True)


def test_a_token_is_shown_once_and_only_its_hash_is_kept(app, client, platform):
    page = client.get(f"/admin/platforms/{platform}").get_data(as_text=True)
    for scope in SCOPES:  # labelled checkboxes
        assert re.search(rf'<input[^>]+name="scopes"[^>]+value="{scope}"', page)
        assert str(escape(SCOPE_LABELS[scope])) in page
    response = post(client, f"/admin/platforms/{platform}/tokens",
                    {"name": "staging", "scopes": ["qualifications:read", "events:read"]})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    raw = revealed(body)
    assert raw and raw.startswith("bct_") and "will not be shown again" in body
    assert response.headers["Cache-Control"] == "no-store"
    with client.session_transaction() as session:
        assert raw not in repr(dict(session))
    with app.app_context():
        token = token_by_raw(raw)
        assert token.token_hash == hash_token(raw) and token.name == "staging"
        assert token.scopes == ["events:read", "qualifications:read"]
        stored = db.session.execute(select(ApiToken.__table__)).all()
        assert all(raw not in repr(row) for row in stored)
    later = client.get(f"/admin/platforms/{platform}").get_data(as_text=True)
    assert raw not in later and raw[:12] in later and revealed(later) is None


def test_a_token_needs_a_scope(app, client, platform):
    response = post(client, f"/admin/platforms/{platform}/tokens", {"name": "none"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Tick at least one thing" in body
    assert revealed(body) is None
    bad = post(client, f"/admin/platforms/{platform}/tokens", {"scopes": ["root"]})
    assert revealed(bad.get_data(as_text=True)) is None
    with app.app_context():
        assert db.session.scalar(select(func.count(ApiToken.id))) == 1


def test_revoking_a_token_asks_first(app, client, platform):
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        token_id, prefix = token.id, token.prefix
    url = f"/admin/platforms/tokens/{token_id}/revoke"
    ask = client.get(url).get_data(as_text=True)
    assert f"Revoke token {prefix}?" in ask and 'name="confirm"' in ask
    assert post(client, url).status_code == 200  # no confirmation: asks again
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None
    done = post(client, url, {"confirm": "yes"}, follow_redirects=True)
    assert f"Token {prefix} is revoked" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is not None
    again = post(client, url, {"confirm": "yes"}, follow_redirects=True)
    assert "already revoked" in again.get_data(as_text=True)


def test_a_webhook_is_added_with_its_secret_shown_once(app, client, platform):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    page = client.get(f"/admin/platforms/{platform}").get_data(as_text=True)
    for kind in EVENT_TYPES:
        assert re.search(rf'<input[^>]+name="event_types"[^>]+value="{kind}"', page)
    response = post(client, f"/admin/platforms/{platform}/webhooks",
                    {"url": HOOK_URL, "event_types": ["qualification.granted",
                                                      "qualification.revoked"]})
    body = response.get_data(as_text=True)
    secret = revealed(body)
    assert response.status_code == 200 and secret.startswith("whsec_")
    with app.app_context():
        hook = db.session.scalar(select(Webhook))
        assert hook.secret == secret and hook.enabled
        assert hook.event_types == ["qualification.granted", "qualification.revoked"]
    later = client.get(f"/admin/platforms/{platform}").get_data(as_text=True)
    assert secret not in later and HOOK_URL in later and "A worker qualified" in later


def test_a_private_address_is_refused_unless_allowed(app, client, platform):
    response = post(client, f"/admin/platforms/{platform}/webhooks", {"url": HOOK_URL})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "loopback" in body and revealed(body) is None
    with app.app_context():
        assert db.session.scalar(select(Webhook)) is None


def test_a_webhook_is_turned_off_and_on(app, client, webhook, platform):
    url = f"/admin/platforms/webhooks/{webhook}/enabled"
    off = post(client, url, {"enabled": "no", "back": "platform"})
    assert off.headers["Location"] == f"/admin/platforms/{platform}"
    with app.app_context():
        assert db.session.get(Webhook, webhook).enabled is False
    page = client.get(f"/admin/platforms/{platform}").get_data(as_text=True)
    assert "Off" in page and "Turn on the webhook" in page
    assert "Turned off by admin" in page
    on = post(client, url, {"enabled": "yes"})
    assert on.headers["Location"] == f"/admin/platforms/webhooks/{webhook}"
    with app.app_context():
        assert db.session.get(Webhook, webhook).enabled is True
    post(client, url, {"enabled": "maybe"})
    with app.app_context():
        assert db.session.get(Webhook, webhook).enabled is True


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_one_a_day(app, client, webhook):
    with app.app_context():
        old = db.session.get(Webhook, webhook).secret
    response = post(client, f"/admin/platforms/webhooks/{webhook}/rotate")
    body = response.get_data(as_text=True)
    new = revealed(body)
    assert response.status_code == 200 and new.startswith("whsec_") and new != old
    assert "both the old and the new secret" in body and old not in body
    with app.app_context():
        hook = db.session.get(Webhook, webhook)
        assert (hook.secret, hook.previous_secret) == (new, old)
    later = client.get(f"/admin/platforms/webhooks/{webhook}").get_data(as_text=True)
    assert new not in later and "Previous secret still signs until" in later


def test_deleting_a_webhook_asks_first(app, client, webhook, platform):
    delivered(app, webhook)
    url = f"/admin/platforms/webhooks/{webhook}/delete"
    assert "Delete this webhook?" in client.get(url).get_data(as_text=True)
    assert post(client, url).status_code == 200
    with app.app_context():
        assert db.session.get(Webhook, webhook) is not None
    done = post(client, url, {"confirm": "yes"})
    assert done.headers["Location"] == f"/admin/platforms/{platform}"
    with app.app_context():
        assert db.session.get(Webhook, webhook) is None
        assert db.session.scalar(select(func.count(Delivery.id))) == 0


def test_a_test_event_is_queued_and_listed(app, client, webhook):
    response = post(client, f"/admin/platforms/webhooks/{webhook}/test", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "A test event is on its way" in body and "Test event" in body
    with app.app_context():
        delivery = db.session.scalar(select(Delivery))
        assert delivery.webhook_id == webhook and delivery.state == DeliveryState.PENDING


def test_the_webhook_page_lists_deliveries_and_attempts_and_redelivers(app, client, webhook):
    delivery_id = delivered(app, webhook, body='{"received": true}')
    page = client.get(f"/admin/platforms/webhooks/{webhook}").get_data(as_text=True)
    with app.app_context():
        public_id = db.session.scalar(select(OutboxEvent.public_id))
    assert public_id in page and "Succeeded" in page and "42 ms" in page
    assert f'aria-label="Redeliver {public_id}"' in page
    assert "{&#34;received&#34;: true}" in page
    response = post(client, f"/admin/platforms/deliveries/{delivery_id}/redeliver",
                    follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "will be sent again" in body and f"Redeliver {public_id}" not in body  # pending
    with app.app_context():
        delivery = db.session.get(Delivery, delivery_id)
        assert delivery.state == DeliveryState.PENDING and delivery.next_attempt_at
    pending = post(client, f"/admin/platforms/deliveries/{delivery_id}/redeliver",
                   follow_redirects=True)
    assert "still pending" in pending.get_data(as_text=True)


def test_names_urls_and_answers_are_escaped(app, client, admin):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    script = "<script>alert(1)</script>"
    with app.app_context():
        evil = create_client(f"Evil {script}", admin.id)
        hook, _ = create_webhook(evil, "http://127.0.0.1:9/?q=<b>", [], admin.id)
        db.session.commit()
        client_id, hook_id = evil.id, hook.id
    delivered(app, hook_id, body=f"{script}<img src=x onerror=alert(2)>", status=500)
    for url in ("/admin/platforms", f"/admin/platforms/{client_id}",
                f"/admin/platforms/webhooks/{hook_id}",
                f"/admin/platforms/webhooks/{hook_id}/delete"):
        body = client.get(url).get_data(as_text=True)
        assert script not in body and "<img src=x" not in body and "<b>" not in body, url
    body = client.get(f"/admin/platforms/webhooks/{hook_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "Failed" in body


def test_missing_things_are_404(client, admin):
    assert client.get("/admin/platforms/999").status_code == 404
    assert client.get("/admin/platforms/webhooks/999").status_code == 404
    assert client.get("/admin/platforms/tokens/999/revoke").status_code == 404
    assert post(client, "/admin/platforms/deliveries/999/redeliver").status_code == 404


def test_the_platform_pages_write_nothing(app, client, webhook, platform, monkeypatch):
    from exams.views import sweep
    from tests.exams.test_reads_never_write import counting_writes

    monkeypatch.setattr(sweep, "sweep", lambda *args, **kwargs: (0, 0))  # its own commits
    delivered(app, webhook)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    urls = ["/admin/platforms", f"/admin/platforms/{platform}",
            f"/admin/platforms/webhooks/{webhook}", f"/admin/platforms/webhooks/{webhook}/delete",
            f"/admin/platforms/tokens/{token_id}/revoke"]
    client.get(urls[0])  # the session's activity bookkeeping, if due, happens here
    with app.app_context(), counting_writes() as writes:
        assert [client.get(url).status_code for url in urls] == [200] * len(urls)
    assert writes == []
