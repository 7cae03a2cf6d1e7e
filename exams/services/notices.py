"""Messages for trainees: what happened to their disputes, attempts and qualifications."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.types import utcnow
from exams.models import Notice

RECENT = timedelta(days=60)


def notify(user_id: int, course_id: int | None, text: str) -> None:
    db.session.add(Notice(user_id=user_id, course_id=course_id, text=text))


def recent_notices(user_id: int, course_id: int | None = None, limit: int = 10) -> list[Notice]:
    """The newest notices of the last 60 days; of one course when given."""
    query = (select(Notice)
             .where(Notice.user_id == user_id, Notice.created_at >= utcnow() - RECENT)
             .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit))
    if course_id is not None:
        query = query.where(Notice.course_id == course_id)
    return list(db.session.scalars(query))
