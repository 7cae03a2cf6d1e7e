"""The audit-log page: who changed what, filtered by actor, action and date.

Filters come from the query string and are checked like any input: an unknown action or a date
that is not a date is said on the page (400), never a server error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import Select, func, or_, select

from bootcamp.admin import bp
from bootcamp.audit import AuditEntry
from bootcamp.extensions import db
from bootcamp.users.access import role_required
from bootcamp.users.models import Role, User

PAGE_SIZE = 50
MAX_ACTOR_CHARS = 254


@dataclass(frozen=True)
class AuditFilters:
    """The page's filters as given (strings, for the form) and what is wrong with them."""

    actor: str
    action: str
    start: str
    end: str
    problems: tuple[str, ...]

    @property
    def active(self) -> bool:
        return any((self.actor, self.action, self.start, self.end))


def _day(text: str, field: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"{field}: “{text[:20]}” is not a date (YYYY-MM-DD).")
        return None


def _filtered(args, actions: list[str]) -> tuple[AuditFilters, Select]:
    """The filters read from `args` and the query they select."""
    problems: list[str] = []
    actor = args.get("actor", "").strip()[:MAX_ACTOR_CHARS]
    action = args.get("action", "").strip()
    start, end = args.get("from", "").strip()[:10], args.get("to", "").strip()[:10]
    stmt = (select(AuditEntry).outerjoin(User, User.id == AuditEntry.actor_id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()))
    if actor:
        pattern = f"%{actor.lower()}%"
        stmt = stmt.where(or_(func.lower(User.email).like(pattern),
                              func.lower(User.name).like(pattern)))
    if action and action not in actions:
        problems.append(f"Action: there is no action “{action[:64]}” in the log.")
    elif action:
        stmt = stmt.where(AuditEntry.action == action)
    first, last = _day(start, "From", problems), _day(end, "To", problems)
    if first:
        stmt = stmt.where(AuditEntry.created_at >= datetime.combine(first, time(), UTC))
    if last:
        stmt = stmt.where(AuditEntry.created_at < datetime.combine(last + timedelta(days=1),
                                                                   time(), UTC))
    if first and last and first > last:
        problems.append("To: the last day comes before the first.")
    return AuditFilters(actor, action, start, end, tuple(problems)), stmt


@bp.route("/audit")
@role_required(Role.ADMIN)
def audit_log():
    """Every administrative action, newest first, 50 to a page."""
    actions = list(db.session.scalars(
        select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
    filters, stmt = _filtered(request.args, actions)
    page = None if filters.problems else db.paginate(stmt, per_page=PAGE_SIZE, error_out=False)
    actor_ids = {entry.actor_id for entry in page.items} if page else set()
    actors = dict(db.session.execute(
        select(User.id, User.email).where(User.id.in_(actor_ids))).all()) if actor_ids else {}
    return render_template("admin/audit.html", filters=filters, actions=actions, page=page,
                           actors=actors), 400 if filters.problems else 200
