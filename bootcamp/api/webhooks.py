"""Webhook subscriptions: made, changed, deleted, their secrets rotated, deliveries replayed.

A subscription's URL is checked when it is saved and again, on the address actually connected
to, at every delivery (bootcamp/api/delivery.py): a platform must not be able to point
Bootcamp at its own network (SSRF), and a name that resolves somewhere else later (DNS
rebinding) is caught when it is used. WEBHOOK_ALLOW_PRIVATE lifts the address rule for
development and tests. Services flush, never commit; WebhookError carries a message a person
can act on.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select, update

from bootcamp.api.models import ApiClient, Delivery, DeliveryAttempt, DeliveryState, Webhook
from bootcamp.audit import record_audit
from bootcamp.extensions import db
from bootcamp.outbox import EVENT_TYPES, OutboxEvent
from bootcamp.types import utcnow

TEST_EVENT_TYPE = "webhook.test"  # a client's own "does it work?" event: never in the feed
SECRET_OVERLAP = timedelta(hours=24)  # the old secret signs too, while receivers switch
MAX_URL_LENGTH = 2048
MAX_WEBHOOKS_PER_CLIENT = 20


class WebhookError(ValueError):
    """A webhook request that cannot be carried out, said for the person asking."""


# Addresses

NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), which is where a
    packet to it really goes."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_refusal(address: str) -> str | None:
    """Why Bootcamp must not connect to `address`, or None when it is a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            refusal = address_refusal(str(embedded))
            return f"{address} carries {refusal}" if refusal else None
    for kind in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    if not ip.is_global:  # shared (100.64/10), documentation ranges and the like
        return f"{address} is not a public address"
    return None


def allow_private() -> bool:
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order; WebhookError if none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise WebhookError(f"The host {host!r} cannot be resolved ({error}).") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise WebhookError(f"The host {host!r} has no address.")
    return addresses


def checked_addresses(host: str, port: int) -> list[str]:
    """The addresses to connect to for `host`, refused (WebhookError) if any is not public:
    one private answer among public ones is enough for a rebinding attack to pick it."""
    addresses = resolve(host, port)
    if not allow_private():
        for address in addresses:
            refusal = address_refusal(address)
            if refusal is not None:
                raise WebhookError(f"Webhooks may not be sent to {host}: {refusal}. Use a "
                                   "public address.")
    return addresses


def url_parts(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a webhook URL that passes the form rules; WebhookError if not."""
    if len(url) > MAX_URL_LENGTH:
        raise WebhookError(f"The URL is {len(url):,} characters long; the limit is "
                           f"{MAX_URL_LENGTH:,}.")
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise WebhookError("The URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise WebhookError(f"The URL is not valid: {error}.") from None
    if parts.scheme not in ("http", "https"):
        raise WebhookError("Webhook URLs must start with https:// (or http://).")
    if not parts.hostname:
        raise WebhookError("The URL has no host name.")
    if parts.username is not None or parts.password is not None:
        raise WebhookError("The URL may not carry a user name or password; authenticate "
                           "deliveries by their signature instead.")
    if parts.fragment:
        raise WebhookError("The URL may not have a #fragment.")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_url(url: str) -> str:
    """The URL, stripped, once its form and the addresses its host resolves to are allowed."""
    url = url.strip()
    _, host, port = url_parts(url)
    checked_addresses(host, port)
    return url


def check_event_types(event_types: Iterable[str]) -> list[str]:
    types = sorted(set(event_types))
    unknown = [kind for kind in types if kind not in EVENT_TYPES]
    if unknown:
        raise WebhookError(f"Unknown event type {unknown[0]!r}; known: "
                           f"{', '.join(EVENT_TYPES)} (or none, for all).")
    return types


# Subscriptions

def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: "whsec_" and 24 random bytes, base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def webhooks_of(client: ApiClient) -> list[Webhook]:
    return list(db.session.scalars(select(Webhook).where(Webhook.client_id == client.id)
                                   .order_by(Webhook.id)))


def webhook_of(client: ApiClient, webhook_id: int) -> Webhook | None:
    """The client's webhook by id; None for another client's, so its existence is not told."""
    return db.session.scalar(select(Webhook).where(Webhook.id == webhook_id,
                                                   Webhook.client_id == client.id))


def create_webhook(client: ApiClient, url: str, event_types: Iterable[str],
                   actor_id: int | None) -> tuple[Webhook, str]:
    """A new enabled subscription and its secret (which the caller shows once)."""
    count = db.session.scalar(select(func.count()).select_from(Webhook)
                              .where(Webhook.client_id == client.id)) or 0
    if count >= MAX_WEBHOOKS_PER_CLIENT:
        raise WebhookError(f"A client may have at most {MAX_WEBHOOKS_PER_CLIENT} webhooks; "
                           "delete one first.")
    secret = new_secret()
    now = utcnow()
    webhook = Webhook(client_id=client.id, url=check_url(url),
                      event_types=check_event_types(event_types), enabled=True, secret=secret,
                      created_at=now, updated_at=now)
    db.session.add(webhook)
    db.session.flush()
    record_audit("webhook_created", actor_id=actor_id, target=f"webhook:{webhook.id}",
                 data={"client": client.id, "url": webhook.url,
                       "event_types": webhook.event_types})
    return webhook, secret


def update_webhook(webhook: Webhook, *, url: str | None = None,
                   event_types: Iterable[str] | None = None, enabled: bool | None = None,
                   actor_id: int | None, why_off: str = "Disabled by the client.") -> Webhook:
    """Change what was given; enabling again clears the reason it was disabled and its run of
    failures, so it gets three fresh days. `why_off` is the reason shown when it is turned off."""
    changes: dict[str, object] = {}
    if url is not None and url.strip() != webhook.url:
        webhook.url = changes["url"] = check_url(url)
    if event_types is not None:
        types = check_event_types(event_types)
        if types != webhook.event_types:
            webhook.event_types = changes["event_types"] = types
    if enabled is not None and enabled != webhook.enabled:
        webhook.enabled = changes["enabled"] = enabled
        if enabled:
            webhook.disabled_reason = None
            webhook.failing_since = None
        else:
            disable(webhook, why_off)
    if changes:
        webhook.updated_at = utcnow()
        db.session.flush()
        record_audit("webhook_updated", actor_id=actor_id, target=f"webhook:{webhook.id}",
                     data=changes)
    return webhook


def disable(webhook: Webhook, reason: str) -> None:
    """Stop sending to the webhook; its pending deliveries fail (redeliver them later)."""
    webhook.enabled = False
    webhook.disabled_reason = reason
    db.session.execute(update(Delivery).where(
        Delivery.webhook_id == webhook.id, Delivery.state == DeliveryState.PENDING,
    ).values(state=DeliveryState.FAILED, next_attempt_at=None, updated_at=utcnow()))


def delete_webhook(webhook: Webhook, actor_id: int | None) -> None:
    """Delete the subscription with its deliveries and their attempts."""
    record_audit("webhook_deleted", actor_id=actor_id, target=f"webhook:{webhook.id}",
                 data={"client": webhook.client_id, "url": webhook.url})
    deliveries = select(Delivery.id).where(Delivery.webhook_id == webhook.id)
    db.session.execute(DeliveryAttempt.__table__.delete().where(
        DeliveryAttempt.delivery_id.in_(deliveries)))
    db.session.execute(Delivery.__table__.delete().where(Delivery.webhook_id == webhook.id))
    db.session.delete(webhook)
    db.session.flush()


def rotate_secret(webhook: Webhook, actor_id: int | None,
                  now: datetime | None = None) -> str:
    """A new secret; the old one goes on signing for 24 hours, so receivers can switch."""
    now = now or utcnow()
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_until = now + SECRET_OVERLAP
    webhook.secret = new_secret()
    webhook.updated_at = now
    db.session.flush()
    record_audit("webhook_secret_rotated", actor_id=actor_id, target=f"webhook:{webhook.id}",
                 data={"previous_valid_until": webhook.previous_secret_until.isoformat()})
    return webhook.secret


def signing_secrets(webhook: Webhook, now: datetime) -> list[str]:
    """The secrets that sign a delivery at `now`: the current one, and the previous one while
    its overlap lasts."""
    found = [webhook.secret]
    if (webhook.previous_secret and webhook.previous_secret_until
            and webhook.previous_secret_until > now):
        found.append(webhook.previous_secret)
    return found


# Deliveries

def redeliver(delivery: Delivery, now: datetime | None = None) -> Delivery:
    """Send a finished delivery again, as a new round of retries with the same webhook-id."""
    webhook = db.session.get(Webhook, delivery.webhook_id)
    if not webhook.enabled:
        raise WebhookError("The webhook is disabled; enable it before redelivering.")
    if delivery.state == DeliveryState.PENDING:
        raise WebhookError("This delivery is still pending: it will be tried again at "
                           f"{delivery.next_attempt_at:%Y-%m-%d %H:%M} UTC.")
    delivery.state = DeliveryState.PENDING
    delivery.attempt_count = 0  # the retry schedule starts again; attempt numbers go on
    delivery.next_attempt_at = now or utcnow()
    delivery.updated_at = now or utcnow()
    db.session.flush()
    return delivery


def send_test_event(webhook: Webhook, now: datetime | None = None) -> Delivery:
    """Queue a "webhook.test" event for this webhook alone.

    It is an outbox row so that it is delivered, signed, retried and listed like any other,
    but it is born dispatched (no other subscription gets it) and the event feed leaves its
    type out.
    """
    if not webhook.enabled:
        raise WebhookError("The webhook is disabled; enable it before sending a test event.")
    now = now or utcnow()
    event = OutboxEvent(type=TEST_EVENT_TYPE, user_id=None, course_id=None, created_at=now,
                        dispatched_at=now,
                        data={"webhook": webhook.id, "message": "A test event from Bootcamp."})
    db.session.add(event)
    db.session.flush()
    delivery = Delivery(webhook_id=webhook.id, event_id=event.id, state=DeliveryState.PENDING,
                        attempt_count=0, next_attempt_at=now, created_at=now, updated_at=now)
    db.session.add(delivery)
    db.session.flush()
    return delivery


def deliveries_of(webhook: Webhook, limit: int = 100, *,
                  before_id: int | None = None) -> list[Delivery]:
    """The webhook's deliveries, newest first; `before_id` continues a page."""
    query = select(Delivery).where(Delivery.webhook_id == webhook.id)
    if before_id is not None:
        query = query.where(Delivery.id < before_id)
    return list(db.session.scalars(query.order_by(Delivery.id.desc()).limit(limit)))


def attempts_of(delivery: Delivery) -> list[DeliveryAttempt]:
    """Every try of the delivery, first first."""
    return list(db.session.scalars(select(DeliveryAttempt)
                                   .where(DeliveryAttempt.delivery_id == delivery.id)
                                   .order_by(DeliveryAttempt.number)))


def delivery_of(client: ApiClient, delivery_id: int) -> Delivery | None:
    """The delivery by id if it belongs to one of the client's webhooks."""
    return db.session.scalar(select(Delivery).join(Webhook, Webhook.id == Delivery.webhook_id)
                             .where(Delivery.id == delivery_id,
                                    Webhook.client_id == client.id))


def event_of(delivery: Delivery) -> OutboxEvent:
    return db.session.get(OutboxEvent, delivery.event_id)
