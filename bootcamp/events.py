"""The append-only event log: every state change a trainee makes leaves one row here.

Progress and dropout statistics are computed from these rows with SQL, so the log is never
edited: the ORM refuses updates and deletes of recorded events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from bootcamp.extensions import db
from bootcamp.types import JSONData, UTCDateTime, utcnow


class Event(db.Model):
    """Something a user did, with when and the facts needed to analyse it later."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_user_id_created_at", "user_id", "created_at"),
        Index("ix_events_course_id_kind", "course_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))
    kind: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSONData, default=dict)

    @classmethod
    def of_kind(cls, *kinds: str) -> ColumnElement[bool]:
        """The query condition for events of these kinds (`Event.of_kind("section_read")`)."""
        return cls.kind.in_(kinds)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove a recorded event."""


@event.listens_for(Event, "before_update")
@event.listens_for(Event, "before_delete")
def _refuse_change(mapper, connection, target: Event) -> None:
    raise AppendOnlyError(f"event {target.id} is part of the append-only log")


def record_event(
    kind: str,
    *,
    user_id: int | None,
    course_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append an event to the current session; the caller's commit makes it permanent."""
    entry = Event(kind=kind, user_id=user_id, course_id=course_id, data=data or {})
    db.session.add(entry)
    return entry
