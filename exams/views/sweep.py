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
from functools import cache

from flask import current_app, request
from flask_login import current_user
from sqlalchemy import Select, bindparam, select

from bootcamp.extensions import db
from bootcamp.types import utcnow
from exams.services import attempts, qualifications
from exams.views import bp

SWEEP_SECONDS = 30  # how often (per process and app) a request closes expired attempts


_sweep_lock = threading.Lock()


def sweep(now: datetime | None = None, user_id: int | None = None) -> tuple[int, int]:
    """Grade attempts past their deadline and expire lapsed qualifications, everyone's or one
    trainee's; (attempts closed, qualifications expired)."""
    now = now or utcnow()
    due = attempts.expired(now, user_id)
    for attempt in due:
        attempts.close_if_expired(attempt, now)
        db.session.commit()  # one attempt per transaction: its trainee's lock is held briefly
    lapsed = qualifications.expire_due(now, user_id)
    if lapsed:  # a commit with nothing to write would still expire what the request loaded
        db.session.commit()
    return len(due), lapsed


@cache
def _due_statement() -> Select:
    """The query of _anything_due, built once: building it took longer than running it."""
    now, user_id = bindparam("now"), bindparam("user_id")
    return select(attempts.expired_query(now, user_id).exists()
                  | qualifications.due_query(now, user_id).exists())


def _anything_due(user_id: int) -> bool:
    """Whether the trainee has an attempt or a qualification for the sweep: one query before
    every page, where the sweep itself asks two (and most pages have nothing due)."""
    return bool(db.session.scalar(_due_statement(), {"now": utcnow(), "user_id": user_id}))


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
            and current_user.is_authenticated and _anything_due(current_user.id)):
        sweep(user_id=current_user.id)
    interval = current_app.config.get("EXAM_SWEEP_SECONDS", SWEEP_SECONDS)
    state = current_app.extensions.setdefault("exam_sweep", {"last": None})
    now = time.monotonic()
    with _sweep_lock:
        if state["last"] is not None and now - state["last"] < interval:
            return
        state["last"] = now
    sweep()
