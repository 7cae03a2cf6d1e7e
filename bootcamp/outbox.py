"""The outbox: events for platforms, written in the same transaction as the change they report.

A qualification that changes and the event that tells platforms about it commit together or
not at all, so a crash can neither lose an event nor announce a change that was rolled back.
The webhook worker (bootcamp/api/delivery.py) fans new events out to subscriptions; the
`/api/v1/events` feed reads the same rows. Unlike bootcamp.events (the trainees' activity log,
used for statistics) these rows carry the public contract: a stable id, a type from
EVENT_TYPES, and a sequence number per (worker, course) so a consumer can order them.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from bootcamp.extensions import db
from bootcamp.types import JSONData, UTCDateTime, utcnow

EVENT_TYPES = (
    "qualification.granted",
    "qualification.needs_refresh",
    "qualification.expired",
    "qualification.revoked",
    "qualification.reinstated",
    "qualification.failed",
    "qualification.score_changed",
    "manual.published",
    "trainee.dropped",
)


def new_event_id() -> str:
    """A public id that names the event in every delivery and retry (`webhook-id`)."""
    return "evt_" + secrets.token_hex(12)


class OutboxEvent(db.Model):
    """One event platforms may hear about; written once, dispatched to webhooks once."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_user_id_course_id_sequence", "user_id", "course_id", "sequence"),
        Index("ix_outbox_events_dispatched_at", "dispatched_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, default=new_event_id)
    type: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))
    sequence: Mapped[int | None] = mapped_column(Integer)  # per (user, course), from 1
    data: Mapped[dict[str, Any]] = mapped_column(JSONData, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # Set once the delivery worker has made this event's deliveries (one per subscription).
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def record_outbox(type_: str, *, user_id: int | None, course_id: int | None,
                  data: dict[str, Any]) -> OutboxEvent:
    """Add an event to the caller's transaction; its commit publishes it.

    The sequence is the next number for this (worker, course). Callers hold the qualification's
    row lock (exams.services.qualifications.locked) while they change it, so two events of one
    worker and course are numbered one after the other.
    """
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    sequence = None
    if user_id is not None and course_id is not None:
        db.session.flush()
        last = db.session.scalar(select(func.max(OutboxEvent.sequence)).where(
            OutboxEvent.user_id == user_id, OutboxEvent.course_id == course_id))
        sequence = (last or 0) + 1
    event = OutboxEvent(type=type_, user_id=user_id, course_id=course_id, sequence=sequence,
                        data=data, created_at=utcnow())
    db.session.add(event)
    return event
