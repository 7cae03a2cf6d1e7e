"""Admins turn accounts off and on: a deactivated account is logged out at once, cannot log in
or use a link, keeps everything it did, and logs in again once reactivated."""

from __future__ import annotations

from sqlalchemy import select

from bootcamp.audit import AuditEntry
from bootcamp.extensions import db
from bootcamp.users import password_resets, sign_in_links
from bootcamp.users.models import Role, User
from tests.helpers import csrf_token, log_in


def _post(client, path: str):
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin/users")},
                       follow_redirects=True)


def test_deactivating_logs_out_at_once_and_refuses_every_way_in(app, client, login_as,
                                                                 make_user):
    admin = login_as(Role.ADMIN)
    user = make_user()
    device = app.test_client()
    assert log_in(device, user.email).status_code == 302
    with app.test_request_context():
        link, _ = sign_in_links.make_link_token(db.session.get(User, user.id), None)
        reset, _ = password_resets.make_reset_token(db.session.get(User, user.id), None)
    page = _post(client, f"/admin/users/{user.id}/deactivate").get_data(as_text=True)
    assert f"{user.email} is turned off and was logged out everywhere." in page
    assert f'aria-label="Reactivate {user.email}"' in page
    assert device.get("/dashboard").status_code == 302  # the open session ended
    assert log_in(app.test_client(), user.email).status_code == 200  # refused like a typo
    assert "turned off" in app.test_client().get(f"/auth/link/{link}").get_data(as_text=True)
    assert "turned off" in app.test_client().get(f"/auth/reset/{reset}").get_data(as_text=True)
    page = _post(client, f"/admin/users/{user.id}/reactivate").get_data(as_text=True)
    assert f"{user.email} can log in again." in page
    assert log_in(app.test_client(), user.email).status_code == 302
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.actor_id == admin.id).order_by(AuditEntry.id)))
    assert actions == ["user_deactivated", "user_reactivated"]


def test_admins_cannot_turn_themselves_or_the_last_active_admin_off(app, client, login_as,
                                                                    make_user):
    admin = login_as(Role.ADMIN)
    page = _post(client, f"/admin/users/{admin.id}/deactivate").get_data(as_text=True)
    assert "You cannot deactivate your own account." in page
    other = make_user(Role.ADMIN)
    assert "is turned off" in _post(client, f"/admin/users/{other.id}/deactivate").get_data(
        as_text=True)
    # The only active admin left cannot be demoted either.
    demoted = client.post(f"/admin/users/{admin.id}/role", follow_redirects=True, data={
        f"u{admin.id}-role": "trainee", "csrf_token": csrf_token(client, "/admin/users")})
    assert "at least one admin" in demoted.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin.id).is_active


def test_only_admins_turn_accounts_off_and_only_with_the_forms_token(app, client, login_as,
                                                                     make_user):
    user = make_user()
    login_as(Role.INSTRUCTOR)
    assert client.post(f"/admin/users/{user.id}/deactivate", data={
        "csrf_token": csrf_token(client, "/dashboard")}).status_code == 403
    admin_client = app.test_client()
    log_in(admin_client, make_user(Role.ADMIN).email)
    assert admin_client.post(f"/admin/users/{user.id}/deactivate").status_code == 400
    with app.app_context():
        assert db.session.get(User, user.id).is_active
