"""The sweep: the one place that closes what time ended (attempts past their deadline,
qualifications that lapsed), so that no page and no read does.

It runs from cron (`bootcamp exams sweep`) and before requests: everyone's at most every
SWEEP_SECONDS per process, so that an attempt is graded even when its trainee never comes back;
and the signed-in trainee's own before each page (GET) they open, so that the page shows their
result and status as of now (posts and autosaves deal with the deadline themselves, saves in
flight within attempts.SAVE_GRACE). Either way in transactions of its own, before the view
runs: the view, its templates and the services it reads through never write.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from flask import current_app, request
from flask_login import current_user
from sqlalchemy import ColumnElement, bindparam

from bootcamp.auth.sessions import session_fact
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.sessions import register_fact
from exams.services import attempts, qualifications
from exams.views import bp

SWEEP_SECONDS = 30  # how often (per process and app) a request closes expired attempts
DUE_FACT = "exam_due"


_sweep_lock = threading.Lock()


def sweep(now: datetime | None = None, user_id: int | None = None) -> tuple[int, int]:
    """Grade attempts past their deadline and expire lapsed qualifications, everyone's or one
    trainee's; (attempts closed, qualifications expired)."""
    now = now or utcnow()
    # Out of a page's autocommit reads (bootcamp/page_reads.py): the locks need a transaction.
    db.session.commit()
    due = attempts.expired(now, user_id)
    for attempt in due:
        attempts.close_if_expired(attempt, now)
        db.session.commit()  # one attempt per transaction: its trainee's lock is held briefly
    lapsed = qualifications.expire_due(now, user_id)
    if lapsed:  # a commit with nothing to write would still expire what the request loaded
        db.session.commit()
    return len(due), lapsed


def _due(now: ColumnElement[datetime], user_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Whether the trainee has an attempt or a qualification for the sweep."""
    return (attempts.expired_query(now, user_id).exists()
            | qualifications.due_query(now, user_id).exists())


# Asked before every page with the signed-in trainee's session, not in a query of its own:
# most pages have nothing due, and the sweep itself asks two.
register_fact(DUE_FACT, lambda user_id: _due(bindparam("now"), user_id))


@bp.before_app_request
def sweep_expired() -> None:
    """Before a page: the trainee's own due attempts and lapses, then, at most every
    SWEEP_SECONDS per process, everyone's (the CLI does the same on a timer)."""
    if request.endpoint in (None, "static"):
        return
    # The API is no page: a machine's request has no trainee of its own to sweep for (and
    # asking Flask-Login would cost every lookup a user load). Its reads show a lapse the sweep
    # has not applied yet as expired (bootcamp/api/standings.py), and everyone's sweep below
    # still runs from API requests too.
    if (request.method in ("GET", "HEAD") and request.blueprint != "api"
            and current_user.is_authenticated and session_fact(DUE_FACT)):
        sweep(user_id=current_user.id)
    interval = current_app.config.get("EXAM_SWEEP_SECONDS", SWEEP_SECONDS)
    state = current_app.extensions.setdefault("exam_sweep", {"last": None})
    now = time.monotonic()
    with _sweep_lock:
        if state["last"] is not None and now - state["last"] < interval:
            return
        state["last"] = now
    sweep()
