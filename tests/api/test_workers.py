"""POST /api/v1/workers: create or link a trainee, enrol, and the one-time sign-in link."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from bootcamp.api import delivery
from bootcamp.api.models import IdempotentRequest, WorkerLink
from bootcamp.api.workers import IDEMPOTENCY_WINDOW
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users import sign_in_links
from bootcamp.users.models import Role, User
from courses.models import CourseStatus
from tests.api.conftest import enrolled_count
from tests.conftest import THREADS, race
from tests.factories import MANUAL_V1, make_course
from tests.helpers import csrf_token

BODY = {"external_id": "p-17", "email": "Ada@Example.com", "name": "Ada Lovelace",
        "courses": ["tagging"]}


@pytest.fixture
def course(app, make_user) -> int:
    return make_course(app, make_user(Role.INSTRUCTOR), "tagging", versions=(MANUAL_V1,))


def post(client, token, body=None, **headers):
    return client.post("/api/v1/workers", json=BODY if body is None else body,
                       headers={**token.headers, **headers})


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(User)),
                db.session.scalar(select(func.count()).select_from(WorkerLink)))


def test_a_new_worker_is_created_linked_enrolled_and_given_a_link(app, client, token, course):
    response = post(client, token)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["worker"] == {"external_id": "p-17", "email": "ada@example.com",
                              "name": "Ada Lovelace", "courses": ["tagging"]}
    assert body["expires_at"].endswith("Z")
    assert "/auth/link/" in body["sign_in_url"]
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ada@example.com"))
        assert user.role == Role.TRAINEE
        assert enrolled_count(app, user.id) == 1


def test_the_same_external_id_returns_the_same_worker(app, client, token, course):
    assert post(client, token).status_code == 201
    again = post(client, token)
    assert again.status_code == 200
    assert again.get_json()["worker"]["external_id"] == "p-17"
    assert counts(app) == (2, 1)  # the instructor and the worker; one link


def test_an_existing_trainee_is_linked_by_email(app, client, token, course, make_user):
    existing = make_user(Role.TRAINEE, email="ada@example.com")
    response = post(client, token)
    assert response.status_code == 201
    with app.app_context():
        link = db.session.scalar(select(WorkerLink))
        assert link.user_id == existing.id


def test_staff_accounts_are_never_linked(app, client, token, course, make_user):
    for role in (Role.INSTRUCTOR, Role.ADMIN):
        make_user(role, email=f"{role.value}@example.com")
        response = post(client, token, {**BODY, "external_id": role.value,
                                        "email": f"{role.value}@example.com"})
        assert response.status_code == 403, role
        assert "sign_in_url" not in response.get_json()
    assert counts(app)[1] == 0


def test_a_trainee_linked_under_another_id_is_409(client, token, course):
    assert post(client, token).status_code == 201
    assert post(client, token, {**BODY, "external_id": "p-18"}).status_code == 409


def test_an_unknown_or_closed_course_is_404_and_nothing_is_made(app, client, token, course,
                                                                make_user):
    make_course(app, make_user(Role.INSTRUCTOR), "closed", status=CourseStatus.ARCHIVED)
    for slug in ("nope", "closed"):
        response = post(client, token, {**BODY, "courses": [slug]})
        assert response.status_code == 404, slug
    assert counts(app) == (2, 0)


def test_validation_errors_name_the_field(client, token):
    response = post(client, token, {"external_id": "x", "name": "A", "email": "not-an-email"})
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["email"]
    missing = post(client, token, {"email": "a@example.com", "name": "A"})
    assert [e["field"] for e in missing.get_json()["errors"]] == ["external_id"]


def test_an_idempotency_key_replays_the_first_answer(app, client, token, course):
    first = post(client, token, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    replay = post(client, token, **{"Idempotency-Key": "k-1"})
    assert replay.status_code == 201  # the stored answer, not "already linked" (200)
    assert replay.get_json() == first.get_json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = post(client, token, {**BODY, "name": "Someone Else"}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    assert other.get_json()["errors"][0]["field"] == "Idempotency-Key"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdempotentRequest)) == 1


def test_keys_belong_to_their_client(client, token, course, make_token):
    assert post(client, token, **{"Idempotency-Key": "k-1"}).status_code == 201
    other = make_token("workers:write", client="Other platform")
    assert post(client, other, **{"Idempotency-Key": "k-1"}).status_code == 201  # own link


def test_keys_are_forgotten_after_their_window_by_the_hourly_prune(app, client, token,
                                                                   course):
    assert post(client, token, **{"Idempotency-Key": "old"}).status_code == 201
    assert post(client, token, {**BODY, "external_id": "p-18", "email": "b@example.com"},
                **{"Idempotency-Key": "new"}).status_code == 201
    with app.app_context():
        old = db.session.scalar(select(IdempotentRequest).where(IdempotentRequest.key == "old"))
        old.created_at = utcnow() - IDEMPOTENCY_WINDOW - timedelta(minutes=1)
        db.session.commit()
        delivery._last_prune.clear()
        delivery.prune(utcnow())
        kept = db.session.scalars(select(IdempotentRequest.key)).all()
    assert kept == ["new"]
    # The same key later is a new request: answered afresh (the worker exists: 200), stored.
    again = post(client, token, **{"Idempotency-Key": "old"})
    assert again.status_code == 200 and "Idempotent-Replayed" not in again.headers


# The sign-in link.


def link_path(body: dict) -> str:
    return urlsplit(body["sign_in_url"]).path


def test_the_link_signs_in_once_and_lands_on_the_course(app, client, token, course):
    path = link_path(post(client, token).get_json())
    browser = app.test_client()
    page = browser.get(path)
    assert page.status_code == 200 and "Continue as Ada Lovelace" in page.get_data(as_text=True)
    signed_in = browser.post(path, data={"csrf_token": csrf_token(browser, path)})
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"].endswith("/courses/tagging")
    assert browser.get("/courses/tagging").status_code == 200
    stranger = app.test_client()
    used = stranger.get(path)
    assert used.status_code == 400 and "already used" in used.get_data(as_text=True)


def test_a_post_without_csrf_token_does_not_sign_in(app, client, token, course):
    path = link_path(post(client, token).get_json())
    browser = app.test_client()
    assert browser.post(path).status_code == 400
    assert browser.get(path).status_code == 200  # still unused


def test_the_link_expires(app, client, token, course, monkeypatch):
    path = link_path(post(client, token).get_json())
    monkeypatch.setattr(sign_in_links, "LIFETIME", timedelta(seconds=-1))
    response = app.test_client().get(path)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_a_forged_link_is_refused(app):
    assert app.test_client().get("/auth/link/not-a-token").status_code == 400


def test_a_link_stops_working_when_the_worker_becomes_staff(app, client, token, course):
    path = link_path(post(client, token).get_json())
    with app.app_context():
        db.session.scalar(select(User).where(User.email == "ada@example.com")).role = Role.ADMIN
        db.session.commit()
    browser = app.test_client()
    assert browser.get(path).status_code == 400
    assert post(client, token).status_code == 403  # and no new link is given for them


# Races (PostgreSQL).


def test_parallel_identical_posts_make_one_account_and_one_link(racing_app, app, token, course):
    clients = [racing_app.test_client() for _ in range(THREADS)]
    results = race([lambda c=c: post(c, token) for c in clients])
    assert Counter(results) == {201: 1, 200: THREADS - 1}, results
    assert counts(app) == (2, 1)


def test_parallel_posts_with_one_idempotency_key_get_one_answer(racing_app, app, token, course):
    clients = [racing_app.test_client() for _ in range(THREADS)]
    results = race([lambda c=c: post(c, token, **{"Idempotency-Key": "same"})
                    for c in clients])
    assert Counter(results) == {201: THREADS}, results
    assert counts(app) == (2, 1)
