"""Exam limits under real concurrent requests on PostgreSQL (SQLite serialises writers)."""

from __future__ import annotations

import dataclasses
from collections import Counter

from sqlalchemy import func, select

from bootcamp.events import Event
from bootcamp.extensions import db
from exams.models import Attempt, AttemptState, QualificationStatus
from exams.services import qualifications
from tests.conftest import THREADS, race
from tests.factories import WORLD_RULES, make_world, signed_in, take
from tests.helpers import csrf_token

START = "/courses/exam-course/exam/start"


def tabs(app, user, page: str = "/courses/exam-course/exam"):
    """THREADS clients sharing one logged-in session (twenty tabs), and its CSRF token."""
    first = signed_in(app, user)
    token = csrf_token(first, page)
    clients = [app.test_client() for _ in range(THREADS)]
    for client in clients:
        client.set_cookie("session", first.get_cookie("session").value)
    return clients, token


def attempt_rows(app) -> list[tuple[int, int, str]]:
    with app.app_context():
        return db.session.execute(select(Attempt.cycle, Attempt.number, Attempt.state)
                                  .order_by(Attempt.id)).all()


def test_twenty_starts_at_once_open_one_attempt(racing_app, app, make_user):
    world = make_world(racing_app, make_user)
    clients, token = tabs(racing_app, world.trainee)
    results = race([lambda c=c: c.post(START, data={"csrf_token": token}) for c in clients])
    assert Counter(results) == {302: THREADS}, results
    assert attempt_rows(app) == [(1, 1, "open")]


def test_the_attempt_limit_holds_when_twenty_starts_arrive_at_once(racing_app, app, make_user):
    world = make_world(racing_app, make_user,
                       dataclasses.replace(WORLD_RULES, retry_delay_seconds=0))
    with racing_app.app_context():
        take(world, world.trainee, wrong={f"{k}-{n}" for k in ("shoe", "hat", "towel")
                                          for n in range(3)})
    clients, token = tabs(racing_app, world.trainee)
    results = race([lambda c=c: c.post(START, data={"csrf_token": token}) for c in clients])
    assert Counter(results) == {302: THREADS}, results
    assert [row[:2] for row in attempt_rows(app)] == [(1, 1), (1, 2)]
    with racing_app.app_context():
        second = db.session.scalar(select(Attempt).where(Attempt.number == 2))
        submit = f"/attempts/{second.id}/submit"
    results = race([lambda c=c: c.post(submit, data={"csrf_token": token}) for c in clients])
    assert Counter(results) == {302: THREADS}, results
    with app.app_context():
        submitted = db.session.scalar(select(func.count()).select_from(Event).where(
            Event.kind == "exam_submitted"))
        assert submitted == 2  # the first attempt and this one, graded once
        assert qualifications.status_of(world.trainee.id, world.course_id) == (
            QualificationStatus.FAILED)
    results = race([lambda c=c: c.post(START, data={"csrf_token": token}) for c in clients])
    assert len(attempt_rows(app)) == 2  # no attempts left: nobody got a third


def test_the_retry_delay_holds_when_twenty_starts_arrive_at_once(racing_app, app, make_user):
    world = make_world(racing_app, make_user)  # one hour between attempts
    with racing_app.app_context():
        take(world, world.trainee, wrong={f"{k}-{n}" for k in ("shoe", "hat", "towel")
                                          for n in range(3)})
    clients, token = tabs(racing_app, world.trainee)
    race([lambda c=c: c.post(START, data={"csrf_token": token}) for c in clients])
    rows = attempt_rows(app)
    assert len(rows) == 1 and rows[0][2] == AttemptState.GRADED
