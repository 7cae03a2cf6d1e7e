"""The admin users page: listing, searching and changing roles."""

from __future__ import annotations

from sqlalchemy import select

from bootcamp.audit import AuditEntry
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from tests.helpers import csrf_token


def change_role(client, user_id: int, role: str):
    token = csrf_token(client, "/admin/users")
    return client.post(
        f"/admin/users/{user_id}/role", data={f"u{user_id}-role": role, "csrf_token": token},
        follow_redirects=True,
    )


def role_of(app, user_id: int) -> Role:
    with app.app_context():
        return db.session.get(User, user_id).role


def test_admin_lists_and_searches_users(client, login_as, make_user):
    login_as(Role.ADMIN)
    make_user(email="alice@example.com")
    make_user(email="bob@example.com")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "alice@example.com" in page and "bob@example.com" in page
    page = client.get("/admin/users?q=ALI").get_data(as_text=True)
    assert "alice@example.com" in page and "bob@example.com" not in page
    assert 'aria-label="Role of alice@example.com"' in page


def test_admin_changes_a_role_and_it_is_audited(app, client, login_as, make_user):
    admin = login_as(Role.ADMIN)
    user = make_user()
    page = change_role(client, user.id, "instructor").get_data(as_text=True)
    assert f"{user.email} is now instructor." in page
    assert role_of(app, user.id) is Role.INSTRUCTOR
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.target) == ("role_changed", admin.id,
                                                            f"user:{user.id}")
    assert entry.data == {"email": user.email, "from": "trainee", "to": "instructor"}


def test_unknown_role_is_refused(app, client, login_as, make_user):
    login_as(Role.ADMIN)
    user = make_user()
    page = change_role(client, user.id, "superuser").get_data(as_text=True)
    assert "Choose one of the listed roles." in page
    assert role_of(app, user.id) is Role.TRAINEE


def test_the_last_admin_cannot_be_demoted(app, client, login_as):
    admin = login_as(Role.ADMIN)
    page = change_role(client, admin.id, "trainee").get_data(as_text=True)
    assert "at least one admin" in page
    assert role_of(app, admin.id) is Role.ADMIN


def test_a_demoted_admin_loses_access_at_once(app, client, login_as, make_user):
    admin = login_as(Role.ADMIN)
    other = make_user(Role.ADMIN)
    change_role(client, admin.id, "trainee")
    assert role_of(app, admin.id) is Role.TRAINEE
    assert client.get("/admin/users").status_code == 403
    assert role_of(app, other.id) is Role.ADMIN


def test_missing_user_is_404(client, login_as):
    login_as(Role.ADMIN)
    assert change_role(client, 999_999, "trainee").status_code == 404
