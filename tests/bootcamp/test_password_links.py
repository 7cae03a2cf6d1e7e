"""Password links: an admin makes one for a locked-out user; it sets a password once, within
24 hours, and logs the account out everywhere."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from unittest import mock

from flask.testing import FlaskClient
from sqlalchemy import select

from bootcamp.audit import AuditEntry
from bootcamp.extensions import db
from bootcamp.users import password_resets, sign_in_links
from bootcamp.users.models import Role, User
from tests.helpers import PASSWORD, csrf_token, log_in

NEW_PASSWORD = "violet kettle harbour"


def _make_link(app, client: FlaskClient, user: User) -> str:
    response = client.post(f"/admin/users/{user.id}/password-link",
                           data={"csrf_token": csrf_token(client, "/admin/users")})
    assert response.status_code == 200
    link = re.search(r'id="reset-link" value="([^"]+)"', response.get_data(as_text=True))[1]
    return link.removeprefix("http://localhost")


def _set(client: FlaskClient, path: str, password: str = NEW_PASSWORD):
    return client.post(path, data={"new_password": password, "confirm": password,
                                   "csrf_token": csrf_token(client, path)})


def test_an_admin_link_sets_a_new_password_once_and_ends_every_session(app, client, login_as,
                                                                      make_user):
    admin = login_as(Role.ADMIN)
    user = make_user()
    elsewhere = app.test_client()
    assert log_in(elsewhere, user.email).status_code == 302
    path = _make_link(app, client, user)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "password_reset_link_made"))
        assert (entry.actor_id, entry.target) == (admin.id, f"user:{user.id}")
    stranger = app.test_client()
    page = stranger.get(path).get_data(as_text=True)
    assert user.email in page and "Set the new password" in page
    assert stranger.get(path).status_code == 200  # looking at the page spends nothing
    response = _set(stranger, path)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert elsewhere.get("/dashboard").status_code == 302  # logged out everywhere
    assert log_in(app.test_client(), user.email, NEW_PASSWORD).status_code == 302
    assert log_in(app.test_client(), user.email, PASSWORD).status_code == 200  # old one: no
    again = stranger.get(path)
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    words = "another fine passphrase"
    assert stranger.post(path, data={"new_password": words, "confirm": words,
                                     "csrf_token": csrf_token(stranger)}).status_code == 400


def test_a_weak_or_mismatched_password_is_refused_and_the_link_still_works(app, client,
                                                                          login_as, make_user):
    login_as(Role.ADMIN)
    user = make_user()
    path = _make_link(app, client, user)
    visitor = app.test_client()
    weak = _set(visitor, path, "password")
    assert weak.status_code == 200 and 'class="error' in weak.get_data(as_text=True)
    mismatch = visitor.post(path, data={"new_password": NEW_PASSWORD, "confirm": "other words",
                                        "csrf_token": csrf_token(visitor, path)})
    assert "The passwords do not match." in mismatch.get_data(as_text=True)
    assert _set(visitor, path).status_code == 302


def test_expired_forged_and_foreign_tokens_are_refused(app, client, login_as, make_user):
    login_as(Role.ADMIN)
    user = make_user()
    path = _make_link(app, client, user)
    visitor = app.test_client()
    later = password_resets.LIFETIME + timedelta(minutes=1)
    with mock.patch("itsdangerous.timed.time.time",
                    return_value=time.time() + later.total_seconds()):
        expired = visitor.get(path)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    forged = visitor.get(path[:-3] + ("abc" if not path.endswith("abc") else "xyz"))
    assert forged.status_code == 400 and "not valid" in forged.get_data(as_text=True)
    with app.test_request_context():
        sign_in, _ = sign_in_links.make_link_token(db.session.get(User, user.id), None)
    foreign = visitor.get(f"/auth/reset/{sign_in}")  # another kind of signed token
    assert foreign.status_code == 400 and "not valid" in foreign.get_data(as_text=True)


def test_only_admins_make_links_and_only_with_the_forms_token(app, client, login_as, make_user):
    user = make_user()
    login_as(Role.INSTRUCTOR)
    assert client.post(f"/admin/users/{user.id}/password-link",
                       data={"csrf_token": csrf_token(client, "/dashboard")}).status_code == 403
    admin_client = app.test_client()
    admin = make_user(Role.ADMIN)
    log_in(admin_client, admin.email)
    assert admin_client.post(f"/admin/users/{user.id}/password-link").status_code == 400  # CSRF
