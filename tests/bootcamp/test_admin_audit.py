"""The audit-log page: admins only, newest first, filtered by who, action and day."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bootcamp.audit import AuditEntry
from bootcamp.extensions import db
from bootcamp.users.models import Role


def _entries(app, admin, other) -> None:
    with app.app_context():
        db.session.add_all([
            AuditEntry(action="course_created", actor_id=admin.id, target="course:1",
                       data={"slug": "tagging"}, created_at=datetime(2026, 11, 2, 9, tzinfo=UTC)),
            AuditEntry(action="role_changed", actor_id=other.id, target="user:9",
                       data={"to": "<b>instructor</b>"},
                       created_at=datetime(2026, 11, 5, 23, 59, tzinfo=UTC)),
            AuditEntry(action="api_token_revoked", actor_id=None, target="api_token:3",
                       created_at=datetime(2026, 11, 6, 0, 0, tzinfo=UTC)),
        ])
        db.session.commit()


def _rows(page: str) -> list[str]:
    """The action of each row, in order."""
    return re.findall(r'<th scope="row">([^<]+)</th>', page)


def test_admins_read_the_log_newest_first_with_who_did_what(app, client, login_as, make_user):
    admin = login_as(Role.ADMIN)
    _entries(app, admin, make_user(email="ivan@example.com"))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert _rows(page) == ["Api token revoked", "Role changed", "Course created"]
    assert admin.email in page and "ivan@example.com" in page
    assert "The system or a platform" in page
    assert "&lt;b&gt;instructor&lt;/b&gt;" in page  # details are text, never markup
    assert 'aria-current="page">Audit log</a>' in page


@pytest.mark.parametrize(("query", "expected"), [
    ("actor=IVAN", ["Role changed"]),  # any part of the email or name, any case
    ("action=course_created", ["Course created"]),
    ("from=2026-11-05&to=2026-11-05", ["Role changed"]),  # the whole last day, in UTC
    ("from=2026-11-06", ["Api token revoked"]),
    ("actor=nobody", []),
])
def test_filters(app, client, login_as, make_user, query, expected):
    _entries(app, login_as(Role.ADMIN), make_user(email="ivan@example.com"))
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 200 and _rows(response.get_data(as_text=True)) == expected


@pytest.mark.parametrize(("query", "problem"), [
    ("from=2026-13-01", "From: “2026-13-01” is not a date"),
    ("to=yesterday", "To: “yesterday” is not a date"),
    ("from=2026-11-06&to=2026-11-01", "the last day comes before the first"),
    ("action=%3Cscript%3E", "there is no action “&lt;script&gt;” in the log"),
])
def test_bad_filters_are_named_on_the_page(app, client, login_as, make_user, query, problem):
    _entries(app, login_as(Role.ADMIN), make_user())
    response = client.get(f"/admin/audit?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and problem in page and 'role="alert"' in page
    assert "<script>" not in page.split("<main", 1)[1]


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.INSTRUCTOR])
def test_only_admins_see_the_log(client, login_as, role):
    login_as(role)
    assert client.get("/admin/audit").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
