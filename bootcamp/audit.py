"""The audit log: what staff changed, who did it and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bootcamp.extensions import db
from bootcamp.types import JSONData, UTCDateTime, utcnow


class AuditEntry(db.Model):
    """One administrative action, kept for accountability."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONData, default=dict)


def record_audit(
    action: str, *, actor_id: int | None, target: str, data: dict[str, Any] | None = None
) -> AuditEntry:
    """Add an audit entry to the current session; the caller commits."""
    entry = AuditEntry(action=action, actor_id=actor_id, target=target, data=data or {})
    db.session.add(entry)
    return entry
