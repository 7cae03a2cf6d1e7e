"""Concurrent enrolment on PostgreSQL: many requests at once, exact outcomes, no errors.

SQLite serialises every writer on one file lock, so these races can only happen (and only be
tested) on PostgreSQL, the production database.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Enrollment
from tests.conftest import THREADS, race
from tests.factories import invite_link, make_cohort, make_course, signed_in
from tests.helpers import PASSWORD, csrf_token


def counts(app) -> tuple[int, int]:
    with app.app_context():
        enrolments = db.session.scalar(select(func.count()).select_from(Enrollment))
        events = db.session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == "enrolled"))
        return enrolments, events


def test_one_trainee_enrolling_twenty_times_at_once_is_enrolled_once(racing_app, app,
                                                                     instructor, trainee):
    make_course(racing_app, instructor)
    first = signed_in(racing_app, trainee)
    token = csrf_token(first, "/courses/tagging")
    clients = [racing_app.test_client() for _ in range(THREADS)]
    for client in clients:  # the same session in twenty tabs
        client.set_cookie("session", first.get_cookie("session").value)
    results = race([lambda c=c: c.post("/courses/tagging/enrol", data={"csrf_token": token})
                    for c in clients])
    assert Counter(results) == {302: THREADS}, results
    assert counts(app) == (1, 1)


def test_twenty_trainees_racing_for_five_places_fill_exactly_five(racing_app, app, instructor,
                                                                  make_user):
    course_id = make_course(racing_app, instructor)
    cohort_id = make_cohort(racing_app, course_id, instructor, capacity=5)
    link = invite_link(racing_app, instructor, cohort_id)
    clients, tokens = [], []
    for _ in range(THREADS):
        client = signed_in(racing_app, make_user(Role.TRAINEE))
        clients.append(client)
        tokens.append(csrf_token(client, link))
    results = race([lambda c=c, t=t: c.post(link, data={"csrf_token": t})
                    for c, t in zip(clients, tokens, strict=True)])
    assert Counter(results) == {302: 5, 409: THREADS - 5}, results
    assert counts(app) == (5, 5)
    with app.app_context():
        cohorts = db.session.scalars(select(Enrollment.cohort_id)).all()
        assert cohorts == [cohort_id] * 5


def test_one_trainee_racing_through_an_invite_link_is_enrolled_once(racing_app, app, instructor,
                                                                    trainee):
    course_id = make_course(racing_app, instructor)
    cohort_id = make_cohort(racing_app, course_id, instructor, capacity=1)
    link = invite_link(racing_app, instructor, cohort_id)
    first = signed_in(racing_app, trainee)
    token = csrf_token(first, link)
    clients = [racing_app.test_client() for _ in range(THREADS)]
    for client in clients:
        client.set_cookie("session", first.get_cookie("session").value)
    results = race([lambda c=c: c.post(link, data={"csrf_token": token}) for c in clients])
    assert Counter(results) == {302: THREADS}, results
    assert counts(app) == (1, 1)


def test_twenty_new_people_signing_up_for_five_places_fill_exactly_five(racing_app, app,
                                                                        instructor):
    course_id = make_course(racing_app, instructor)
    cohort_id = make_cohort(racing_app, course_id, instructor, capacity=5)
    link = invite_link(racing_app, instructor, cohort_id)
    clients = [racing_app.test_client() for _ in range(THREADS)]
    forms = [{"name": f"New {n}", "email": f"new{n}@example.com", "password": PASSWORD,
              "confirm": PASSWORD, "csrf_token": csrf_token(client, link)}
             for n, client in enumerate(clients)]
    results = race([lambda c=c, f=f: c.post(link, data=f)
                    for c, f in zip(clients, forms, strict=True)])
    # Everyone gets an account and is logged in; only five get a place.
    assert Counter(results) == {302: THREADS}, results
    assert counts(app) == (5, 5)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == THREADS + 1
        assert db.session.scalars(select(Enrollment.cohort_id)).all() == [cohort_id] * 5


def test_twenty_trainees_moving_in_for_five_places_fill_exactly_five(racing_app, app,
                                                                     instructor, make_user):
    course_id = make_course(racing_app, instructor)
    cohort_id = make_cohort(racing_app, course_id, instructor, capacity=5)
    link = invite_link(racing_app, instructor, cohort_id)
    clients, tokens = [], []
    for _ in range(THREADS):  # in the course already, without a cohort
        client = signed_in(racing_app, make_user(Role.TRAINEE))
        client.post("/courses/tagging/enrol",
                    data={"csrf_token": csrf_token(client, "/courses/tagging")})
        clients.append(client)
        tokens.append(csrf_token(client, link))
    results = race([lambda c=c, t=t: c.post(link, data={"csrf_token": t})
                    for c, t in zip(clients, tokens, strict=True)])
    assert Counter(results) == {302: 5, 409: THREADS - 5}, results
    with app.app_context():
        cohorts = Counter(db.session.scalars(select(Enrollment.cohort_id)))
        assert cohorts == {cohort_id: 5, None: THREADS - 5}
