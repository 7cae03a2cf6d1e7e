"""Reads never write: pages and services that only show leave the database as they found it.

Time-driven changes (an attempt past its deadline, a qualification that lapsed) happen in the
sweep only (exams.views.sweep), which runs before the view; the pages themselves, their
templates and the services they call write nothing and commit nothing, even when the sweep has
not run. Services never commit either: the view, the CLI or the sweep does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import Role, User
from bootcamp.users.services import set_role, sign_up
from courses.models import Course
from exams.models import Attempt, QualificationStatus
from exams.services import attempts, disputes, qualifications, summary
from exams.views import sweep
from tests.factories import TAKING_SLUG, make_exam_course

LAPSED = "lapsed-exam"
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@contextmanager
def counting_writes() -> Iterator[list[str]]:
    """Every INSERT, UPDATE or DELETE sent to the database and every commit, while open."""
    found: list[str] = []

    def statement(conn, cursor, text, parameters, context, executemany):
        if WRITES.match(text):
            found.append(text.split("\n")[0])

    def committed(session):
        found.append("COMMIT")

    engine = db.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(Session, "after_commit", committed)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(Session, "after_commit", committed)


@pytest.fixture
def overdue(app, taker, exam_staff, exam_trainee):
    """The trainee has an attempt past its deadline, and a qualification in another course
    whose validity ended; the sweep has applied neither."""
    attempt_id = taker.start()
    lapsed_id = make_exam_course(app, exam_staff, (exam_trainee,), slug=LAPSED)
    with app.app_context():
        db.session.get(Attempt, attempt_id).deadline = utcnow() - timedelta(minutes=5)
        record, _ = qualifications.locked(exam_trainee.id, lapsed_id)
        record.status = QualificationStatus.QUALIFIED
        record.expires_at = utcnow() - timedelta(days=1)
        db.session.commit()
    return attempt_id, lapsed_id


PAGES = ["/dashboard", "/courses/", f"/courses/{LAPSED}", f"/courses/{TAKING_SLUG}/exam",
         f"/courses/{LAPSED}/exam"]


@pytest.mark.parametrize("path", PAGES)
def test_a_page_writes_nothing_even_before_the_sweep(app, taker, overdue, monkeypatch, path):
    monkeypatch.setattr(sweep, "sweep", lambda *args, **kwargs: (0, 0))  # it has not run
    with app.app_context(), counting_writes() as writes:
        page = taker.get(path)
    assert page.status_code == 200
    assert writes == []
    if LAPSED in path:
        assert "Expired" in page.get_data(as_text=True)  # shown as of now all the same
    with app.app_context():
        assert db.session.get(Attempt, overdue[0]).is_open


@pytest.mark.parametrize("path", ["/dashboard", "/courses/"])  # the second reads in autocommit
def test_the_sweep_settles_the_trainees_own_before_their_page(app, taker, exam_trainee,
                                                              overdue, path):
    attempt_id, lapsed_id = overdue
    assert "Expired" in taker.get(path).get_data(as_text=True)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.is_open, attempt.closed_by) == (False, "deadline")
        record = qualifications.qualification_of(exam_trainee.id, lapsed_id)
        assert (record.status, record.cycle) == (QualificationStatus.EXPIRED, 2)


def test_reading_services_write_nothing(app, taker, exam_trainee, overdue):
    _, lapsed_id = overdue
    with app.app_context(), app.test_request_context(), counting_writes() as writes:
        user, course = db.session.get(User, exam_trainee.id), db.session.get(Course, lapsed_id)
        assert qualifications.standing(user.id, course.id)[0] == QualificationStatus.EXPIRED
        assert attempts.standing(user, course).status == QualificationStatus.EXPIRED
        assert summary.exam_summary(user, course)["status"] == "expired"
        assert disputes.open_counts([course.id]) == {}
        db.session.flush()
    assert writes == []


def test_services_that_change_state_leave_the_commit_to_their_caller(app, make_user):
    admin = make_user(Role.ADMIN)
    with app.app_context(), app.test_request_context(), counting_writes() as writes:
        user = sign_up("fresh@example.com", "a long enough passphrase", "Fresh")
        set_role(user, Role.INSTRUCTOR, db.session.get(User, admin.id))
        assert attempts.expired(utcnow()) == []
        assert qualifications.expire_due(utcnow()) == 0
        db.session.rollback()
    assert "COMMIT" not in writes
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.email == "fresh@example.com")) \
            is None
