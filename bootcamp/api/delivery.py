"""The webhook worker: fans outbox events out to subscriptions and delivers them.

Every step is its own short transaction, and nothing is held open while waiting on a
receiver:

1. `dispatch` turns each new outbox event into one Delivery per enabled subscription that
   wants its type and may see it (a worker's events go only to clients that linked that
   worker); the unique (webhook, event) pair makes a second dispatcher harmless.
2. `claim` takes due deliveries (FOR UPDATE SKIP LOCKED on PostgreSQL, so several workers on
   several hosts never take the same row) and leases them: next_attempt_at moves LEASE ahead.
   A worker killed mid-delivery leaves the lease to run out, and the delivery is due again:
   never lost, at worst sent twice with the same `webhook-id`.
3. `deliver` renews the lease (only if it still holds it), records the attempt as started,
   POSTs the signed body to the address it checked, and records what happened: success,
   a retry on the Standard Webhooks schedule, or failure.

Times and jitter are passed in, so tests can replay the schedule exactly.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import math
import random
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from standardwebhooks.webhooks import Webhook as Signer

from bootcamp.api.feed import event_data, prune_events
from bootcamp.api.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Webhook,
    WorkerLink,
)
from bootcamp.api.webhooks import WebhookError, checked_addresses, disable, signing_secrets
from bootcamp.api.workers import prune_idempotent_requests
from bootcamp.extensions import db
from bootcamp.outbox import OutboxEvent
from bootcamp.types import utcnow

log = logging.getLogger(__name__)

TIMEOUT = 15.0  # seconds, per network step
LEASE = timedelta(seconds=60)  # TIMEOUT for connect, send and answer, and a margin
RETRY_DELAYS = tuple(timedelta(seconds=s) for s in (
    5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600))
JITTER = 0.1  # each delay is moved by up to ±10%, so retries of many deliveries spread out
MAX_RETRY_AFTER = timedelta(hours=24)
FAILING_LIMIT = timedelta(days=3)  # failing this long without a success disables a webhook
KEPT_BODY = 4096  # bytes of each answer kept
DISPATCH_BATCH = 500
CLAIM_BATCH = 20
COURSE_WIDE = frozenset({"manual.published"})  # every client may see these
STOPPED = "No answer recorded: the attempt was under way, or its worker stopped."
USER_AGENT = "Bootcamp-Webhooks/1"
PRUNE_EVERY = timedelta(hours=1)

Random = Callable[[], float]


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# 1. Dispatch

def _wants(webhook: Webhook, event: OutboxEvent, linked: set[tuple[int, int]]) -> bool:
    if webhook.event_types and event.type not in webhook.event_types:
        return False
    if event.type in COURSE_WIDE:
        return True
    return (webhook.client_id, event.user_id) in linked


def dispatch(now: datetime, limit: int = DISPATCH_BATCH) -> int:
    """Make the deliveries of up to `limit` undispatched events; commits. Returns the number
    of events dispatched."""
    query = (select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None))
             .order_by(OutboxEvent.id).limit(limit))
    if _postgres():
        query = query.with_for_update(skip_locked=True)
    events = db.session.scalars(query).all()
    if not events:
        db.session.commit()
        return 0
    webhooks = db.session.scalars(select(Webhook).where(Webhook.enabled.is_(True))).all()
    users = {event.user_id for event in events if event.user_id is not None}
    linked = set(db.session.execute(select(WorkerLink.client_id, WorkerLink.user_id).where(
        WorkerLink.user_id.in_(users))).all()) if users else set()
    rows = [{"webhook_id": webhook.id, "event_id": event.id, "state": DeliveryState.PENDING,
             "attempt_count": 0, "next_attempt_at": now, "created_at": now, "updated_at": now}
            for event in events for webhook in webhooks if _wants(webhook, event, linked)]
    if rows:
        insert = pg_insert if _postgres() else sqlite_insert
        db.session.execute(insert(Delivery).values(rows).on_conflict_do_nothing(
            index_elements=["webhook_id", "event_id"]))
    for event in events:
        event.dispatched_at = now
    db.session.commit()
    return len(events)


# 2. Claim

def claim(now: datetime, limit: int = CLAIM_BATCH) -> list[Delivery]:
    """Lease up to `limit` due deliveries of enabled webhooks to this worker; commits.

    The guarded UPDATE (still pending, still due) makes a claim exclusive on SQLite too, where
    there is no SKIP LOCKED: a second worker's update finds the row no longer due.
    """
    query = (select(Delivery.id, Delivery.next_attempt_at)
             .join(Webhook, Webhook.id == Delivery.webhook_id)
             .where(Delivery.state == DeliveryState.PENDING, Delivery.next_attempt_at <= now,
                    Webhook.enabled.is_(True))
             .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit))
    if _postgres():
        query = query.with_for_update(skip_locked=True, of=Delivery)
    due = db.session.execute(query).all()
    claimed = []
    for delivery_id, due_at in due:
        result = db.session.execute(update(Delivery).where(
            Delivery.id == delivery_id, Delivery.state == DeliveryState.PENDING,
            Delivery.next_attempt_at == due_at).values(next_attempt_at=now + LEASE))
        if result.rowcount == 1:
            claimed.append(delivery_id)
    db.session.commit()
    return [db.session.get(Delivery, delivery_id) for delivery_id in claimed]


# 3. Deliver

@dataclass(frozen=True)
class Message:
    """What one attempt sends, worked out before the network is touched."""

    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None
    body: str
    retry_after: timedelta | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status >= 500 or self.status in (408, 429)


def payload(event: OutboxEvent, client_id: int) -> dict:
    """The body: {type, timestamp, data}; a worker's event names them by this client's id,
    and carries its sequence number so the receiver can order events."""
    external_id = None
    if event.user_id is not None:
        external_id = db.session.scalar(select(WorkerLink.external_id).where(
            WorkerLink.client_id == client_id, WorkerLink.user_id == event.user_id))
    data = event_data(event, external_id)  # as the feed shows it
    if event.sequence is not None:
        data["sequence"] = event.sequence
    return {"type": event.type, "timestamp": _iso(event.created_at), "data": data}


def message(delivery: Delivery, now: datetime) -> Message:
    """The signed request: one signature per valid secret, space separated."""
    webhook = db.session.get(Webhook, delivery.webhook_id)
    event = db.session.get(OutboxEvent, delivery.event_id)
    body = json.dumps(payload(event, webhook.client_id), separators=(",", ":")).encode()
    signatures = " ".join(Signer(secret).sign(event.public_id, now, body)
                          for secret in signing_secrets(webhook, now))
    return Message(webhook.url, {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "webhook-id": event.public_id, "webhook-timestamp": str(math.floor(now.timestamp())),
        "webhook-signature": signatures}, body)


def _start(delivery: Delivery, now: datetime) -> DeliveryAttempt | None:
    """Renew the lease and record the attempt as started, if this worker still holds the
    lease (a slow batch may have lost it to another worker); commits."""
    held = delivery.next_attempt_at
    result = db.session.execute(update(Delivery).where(
        Delivery.id == delivery.id, Delivery.state == DeliveryState.PENDING,
        Delivery.next_attempt_at == held,
    ).values(next_attempt_at=now + LEASE, attempt_count=Delivery.attempt_count + 1,
             updated_at=now))
    if result.rowcount != 1:
        db.session.rollback()
        return None
    number = (db.session.scalar(select(func.max(DeliveryAttempt.number)).where(
        DeliveryAttempt.delivery_id == delivery.id)) or 0) + 1
    attempt = DeliveryAttempt(delivery_id=delivery.id, number=number, started_at=now,
                              duration_ms=0, status=None, error=STOPPED, response_body="")
    db.session.add(attempt)
    db.session.commit()
    return attempt


def deliver(delivery: Delivery, now: datetime, *, rand: Random = random.random,
            ) -> DeliveryAttempt | None:
    """One attempt of a claimed delivery; commits. None when the lease was lost."""
    attempt = _start(delivery, now)
    if attempt is None:
        return None
    lease = delivery.next_attempt_at
    try:
        request = message(delivery, now)
    except Exception as error:  # noqa: BLE001 - a broken row must not stop the worker
        log.exception("webhook delivery %s could not be prepared", delivery.id)
        outcome = Outcome(None, f"Could not prepare the request: {error}", "", None, 0)
    else:
        db.session.commit()  # end the read: hold nothing while the receiver thinks
        outcome = send(request, now)
    record(delivery.id, attempt.id, lease, outcome, now, rand)
    db.session.commit()
    return attempt


# Sending

class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to addresses checked beforehand, whatever the name resolves to by then; the
    Host header still names the host."""

    def __init__(self, host: str, port: int, addresses: list[str], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def _pinned_socket(self) -> socket.socket:
        error: OSError = OSError("no address to connect to")
        for address in self._addresses:
            try:
                return socket.create_connection((address, self.port), self.timeout)
            except OSError as failure:
                error = failure
        raise error

    def connect(self) -> None:
        self.sock = self._pinned_socket()


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; the certificate and SNI are those of the host name."""

    def __init__(self, host: str, port: int, addresses: list[str], timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._addresses = addresses

    _pinned_socket = _PinnedHTTPConnection._pinned_socket

    def connect(self) -> None:
        self.sock = self._context.wrap_socket(self._pinned_socket(), server_hostname=self.host)


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After in seconds or as an HTTP date, capped at 24 hours."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            wait = email.utils.parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(wait, timedelta(0)), MAX_RETRY_AFTER)


def send(request: Message, now: datetime | None = None) -> Outcome:
    """POST the message to the URL's checked address; never follows a redirect."""
    parts = urlsplit(request.url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.monotonic()
    status, error, body, retry_after = None, None, "", None
    connection = None
    try:
        addresses = checked_addresses(host, port)
        kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
        connection = kind(host, port, addresses, TIMEOUT)
        connection.request("POST", path, body=request.body, headers=request.headers)
        response = connection.getresponse()
        status = response.status
        body = response.read(KEPT_BODY).decode("utf-8", "replace")
        retry_after = _retry_after(response.getheader("Retry-After"), now or utcnow())
        if 300 <= status < 400:
            error = "Redirects are not followed: set the webhook's URL to the final address."
    except WebhookError as refused:
        error = str(refused)
    except (OSError, http.client.HTTPException) as failure:
        error = f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
    finally:
        if connection is not None:
            connection.close()
    return Outcome(status, error, body, retry_after,
                   round((time.monotonic() - started) * 1000))


# Recording

def next_try(attempt_count: int, now: datetime, retry_after: timedelta | None,
             rand: Random) -> datetime | None:
    """When to try again after `attempt_count` tries of this round, or None when the schedule
    is used up: the spec's delay ±10%, or Retry-After when that is longer."""
    if attempt_count > len(RETRY_DELAYS):
        return None
    delay = RETRY_DELAYS[attempt_count - 1] * (1 + JITTER * (2 * rand() - 1))
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    return now + delay


def record(delivery_id: int, attempt_id: int, lease: datetime | None, outcome: Outcome,
           now: datetime, rand: Random) -> None:
    """Keep the attempt and move the delivery and its webhook on."""
    attempt = db.session.get(DeliveryAttempt, attempt_id)
    attempt.status, attempt.error = outcome.status, outcome.error
    attempt.duration_ms, attempt.response_body = outcome.duration_ms, outcome.body
    query = select(Delivery).where(Delivery.id == delivery_id)
    delivery = db.session.scalar(query.with_for_update().execution_options(
        populate_existing=True))
    delivery.last_status = outcome.status
    delivery.updated_at = now
    # Disabled (or redelivered, or taken over) meanwhile: only the attempt is news.
    if delivery.state != DeliveryState.PENDING or delivery.next_attempt_at != lease:
        return
    webhook = db.session.get(Webhook, delivery.webhook_id)
    if outcome.succeeded and outcome.error is None:
        delivery.state, delivery.next_attempt_at = DeliveryState.SUCCEEDED, None
        webhook.failing_since = None
        return
    _failed(webhook, delivery, outcome, now, rand)


def _failed(webhook: Webhook, delivery: Delivery, outcome: Outcome, now: datetime,
            rand: Random) -> None:
    webhook.failing_since = webhook.failing_since or now
    if outcome.status == 410:
        disable(webhook, f"The receiver answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC.")
    elif now - webhook.failing_since >= FAILING_LIMIT:
        disable(webhook, f"Every delivery failed from {webhook.failing_since:%Y-%m-%d %H:%M} "
                         f"UTC to {now:%Y-%m-%d %H:%M} UTC (3 days).")
    retry_at = (next_try(delivery.attempt_count, now, outcome.retry_after, rand)
                if outcome.retryable and webhook.enabled else None)
    delivery.next_attempt_at = retry_at
    delivery.state = DeliveryState.PENDING if retry_at else DeliveryState.FAILED


# The worker

def work_once(now: datetime | None = None, *, clock: Callable[[], datetime] = utcnow,
              rand: Random = random.random, limit: int = CLAIM_BATCH) -> int:
    """Dispatch new events, then claim and deliver one batch; returns the deliveries tried.
    `now` fixes the clock (tests); otherwise each step reads `clock`."""
    if now is not None:
        clock = lambda: now  # noqa: E731
    dispatch(clock())
    claimed = claim(clock(), limit)
    for delivery in claimed:
        deliver(delivery, clock(), rand=rand)
    prune(clock())
    return len(claimed)


_last_prune: list[datetime] = []  # per process


def prune(now: datetime) -> int:
    """Drop events past the feed's retention, and Idempotency-Keys past their window, at most
    once an hour per process; commits. Returns how many events went."""
    if _last_prune and now - _last_prune[-1] < PRUNE_EVERY:
        return 0
    _last_prune[:] = [now]
    count = prune_events()
    prune_idempotent_requests(now)
    db.session.commit()
    return count
