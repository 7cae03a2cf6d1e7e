"""The event feed (GET /api/v1/events) and how long its events are kept.

A client sees the outbox events about its own linked workers and the course-wide ones
(user_id null, like manual.published), in id order: the id is the feed's position (`seq`),
the public id the event's name in every webhook delivery. Worker events carry the worker's
external id for this client in `data.external_id`, the id the platform knows them by.

Events are kept at least RETENTION (30 days): prune_events, run by the webhook worker,
deletes older ones only once they were dispatched and none of their deliveries is pending,
with their finished deliveries and those deliveries' attempts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, or_, select

from bootcamp.api.models import Delivery, DeliveryAttempt, DeliveryState, WorkerLink
from bootcamp.extensions import db
from bootcamp.outbox import EVENT_TYPES, OutboxEvent
from bootcamp.types import utcnow

RETENTION = timedelta(days=30)


def events_for(client_id: int, after: int, limit: int) -> list[tuple[OutboxEvent, str | None]]:
    """Up to `limit` events after id `after` that the client may see, with the external id
    of their worker (None for course-wide events): one query."""
    linked = select(WorkerLink.user_id).where(WorkerLink.client_id == client_id)
    return list(db.session.execute(
        select(OutboxEvent, WorkerLink.external_id)
        .outerjoin(WorkerLink, (WorkerLink.user_id == OutboxEvent.user_id)
                   & (WorkerLink.client_id == client_id))
        .where(OutboxEvent.id > after, OutboxEvent.type.in_(EVENT_TYPES),
               or_(OutboxEvent.user_id.is_(None), OutboxEvent.user_id.in_(linked)))
        .order_by(OutboxEvent.id).limit(limit)).all())


def event_data(event: OutboxEvent, external_id: str | None) -> dict[str, Any]:
    """The event's data as a client sees it: with its worker's external id for that client.
    The webhook payload uses the same, so the feed and the deliveries agree."""
    if event.user_id is None:
        return dict(event.data)
    return {**event.data, "external_id": external_id}


def prune_events(before: datetime | None = None) -> int:
    """Delete events older than `before` and at least RETENTION old that were dispatched and
    have no pending delivery; returns how many. The caller commits."""
    cutoff = utcnow() - RETENTION
    if before is not None:
        cutoff = min(cutoff, before)
    pending = exists().where(Delivery.event_id == OutboxEvent.id,
                             Delivery.state == DeliveryState.PENDING)
    doomed = select(OutboxEvent.id).where(OutboxEvent.created_at < cutoff,
                                          OutboxEvent.dispatched_at.is_not(None), ~pending)
    ids = list(db.session.scalars(doomed))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        deliveries = select(Delivery.id).where(Delivery.event_id.in_(chunk))
        db.session.execute(delete(DeliveryAttempt).where(
            DeliveryAttempt.delivery_id.in_(deliveries)))
        db.session.execute(delete(Delivery).where(Delivery.event_id.in_(chunk)))
        db.session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(chunk)))
    return len(ids)
