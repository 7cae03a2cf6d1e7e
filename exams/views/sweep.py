"""Closing what expired on the next request: attempts past their deadline, lapsed qualifications.

So that an attempt is graded even when its trainee never comes back, without a scheduler;
`bootcamp exams sweep` does the same from cron.
"""

from __future__ import annotations

import threading
import time

from flask import current_app, request

from bootcamp.extensions import db
from exams.services import attempts, qualifications
from exams.views import bp

SWEEP_SECONDS = 30  # how often (per process and app) a request closes expired attempts


_sweep_lock = threading.Lock()


@bp.before_app_request
def sweep_expired() -> None:
    """At most every SWEEP_SECONDS per process: grade attempts past their deadline and expire
    qualifications whose validity or grace period ended (the CLI does the same on a timer)."""
    if request.endpoint in (None, "static"):
        return
    interval = current_app.config.get("EXAM_SWEEP_SECONDS", SWEEP_SECONDS)
    state = current_app.extensions.setdefault("exam_sweep", {"last": None})
    now = time.monotonic()
    with _sweep_lock:
        if state["last"] is not None and now - state["last"] < interval:
            return
        state["last"] = now
    attempts.close_expired()
    qualifications.expire_due()
    db.session.commit()
