"""Server-side sessions: log-out ends a copied cookie, idle and absolute timeouts, the Account
page and its "log out" buttons, and role changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bootcamp.config import load_config
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import Role, UserSession
from bootcamp.users.sessions import hash_token
from tests.bootcamp.test_admin import change_role
from tests.helpers import PASSWORD, csrf_token, log_in

FIREFOX_ON_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 "
                      "Firefox/133.0")
CHROME_ON_ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                     "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")


def device(app, user_agent: str = FIREFOX_ON_WINDOWS, address: str = "198.51.100.7"):
    """A test client that looks like one browser at one address."""
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    return client


def logged_in_device(app, email: str, **kwargs):
    client = device(app, **kwargs)
    assert log_in(client, email).status_code == 302
    return client


def copy_of(app, client):
    """Another client carrying a copy of `client`'s session cookie (a stolen cookie)."""
    thief = device(app, address="203.0.113.66")
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def logged_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


def session_rows(app) -> list[UserSession]:
    with app.app_context():
        return list(db.session.scalars(select(UserSession).order_by(UserSession.id)))


def move_back(app, **columns: timedelta) -> None:
    """Pretend every session was started or last used that long ago."""
    with app.app_context():
        for row in db.session.scalars(select(UserSession)):
            for name, delta in columns.items():
                setattr(row, name, getattr(row, name) - delta)
        db.session.commit()


def post(client, path: str, page: str = "/auth/account"):
    return client.post(path, data={"csrf_token": csrf_token(client, page)})


def test_a_cookie_copied_before_log_out_is_refused_after_it(app, make_user):
    user = make_user()
    laptop = logged_in_device(app, user.email)
    thief = copy_of(app, laptop)
    assert logged_in(thief)  # the copy works while the session lives...
    assert post(laptop, "/auth/logout", "/dashboard").status_code == 302
    assert not logged_in(laptop)
    assert not logged_in(thief)  # ...and dies with it
    assert session_rows(app) == []


def test_the_cookie_carries_a_token_the_database_keeps_only_hashed(app, make_user):
    user = make_user()
    laptop = logged_in_device(app, user.email)
    cookie = app.session_interface.get_signing_serializer(app).loads(
        laptop.get_cookie("session").value)
    [row] = session_rows(app)
    assert row.token_hash == hash_token(cookie["_user_id"]) != cookie["_user_id"]
    assert len(cookie["_user_id"]) >= 43  # 32 random bytes


def test_a_password_change_ends_every_other_session_and_copies(app, make_user):
    user = make_user()
    laptop, phone = logged_in_device(app, user.email), logged_in_device(app, user.email)
    thief = copy_of(app, phone)
    new_password = "a brand new passphrase"
    response = laptop.post("/auth/password", data={
        "current_password": PASSWORD, "new_password": new_password, "confirm": new_password,
        "csrf_token": csrf_token(laptop, "/auth/password")})
    assert response.headers["Location"] == "/auth/account"
    assert logged_in(laptop)
    assert not logged_in(phone) and not logged_in(thief)
    assert len(session_rows(app)) == 1


def test_the_account_page_lists_where_you_are_logged_in(app, make_user):
    user = make_user()
    laptop = logged_in_device(app, user.email)
    logged_in_device(app, user.email, user_agent=CHROME_ON_ANDROID, address="192.0.2.44")
    page = laptop.get("/auth/account").get_data(as_text=True)
    assert "Where you are logged in" in page
    assert "Firefox on Windows" in page and "198.51.100.7" in page
    assert "Chrome on Android" in page and "192.0.2.44" in page
    assert page.count("This device") == 1
    assert page.index("Firefox on Windows") < page.index("This device") < page.index(
        "Chrome on Android")
    assert "30 minutes without activity" in page and "14 days after logging in" in page
    assert 'href="/auth/password"' in page and ">Log out other sessions<" in page
    dashboard = laptop.get("/dashboard").get_data(as_text=True)
    assert 'href="/auth/account"' in dashboard  # in the nav


def test_log_out_other_sessions_keeps_this_one(app, make_user):
    user, other_user = make_user(), make_user()
    laptop, phone = logged_in_device(app, user.email), logged_in_device(app, user.email)
    thief = copy_of(app, phone)
    someone_else = logged_in_device(app, other_user.email)
    response = post(laptop, "/auth/account/logout-others")
    assert response.headers["Location"] == "/auth/account"
    page = laptop.get("/auth/account").get_data(as_text=True)
    assert "Logged out of 1 other session. This device stays logged in." in page
    assert ">Log out other sessions<" not in page  # nothing left to end
    assert logged_in(laptop) and logged_in(someone_else)
    assert not logged_in(phone) and not logged_in(thief)


def test_log_out_everywhere_ends_this_session_too(app, make_user):
    user = make_user()
    laptop, phone = logged_in_device(app, user.email), logged_in_device(app, user.email)
    thief = copy_of(app, laptop)
    response = post(laptop, "/auth/account/logout-everywhere")
    assert response.headers["Location"] == "/auth/login"
    assert "You are logged out everywhere" in laptop.get("/auth/login").get_data(as_text=True)
    assert not any(logged_in(client) for client in (laptop, phone, thief))
    assert session_rows(app) == []


@pytest.mark.parametrize("path", ["/auth/account/logout-others",
                                  "/auth/account/logout-everywhere"])
def test_ending_sessions_needs_the_forms_csrf_token(app, make_user, path):
    user = make_user()
    laptop, phone = logged_in_device(app, user.email), logged_in_device(app, user.email)
    assert laptop.post(path).status_code == 400
    foreign = csrf_token(app.test_client())
    assert laptop.post(path, data={"csrf_token": foreign}).status_code == 400
    assert logged_in(laptop) and logged_in(phone)


def test_an_idle_session_ends(app, make_user):
    user = make_user()
    laptop = logged_in_device(app, user.email)
    move_back(app, last_seen_at=timedelta(minutes=29))
    assert logged_in(laptop)  # 29 minutes is not yet idle
    move_back(app, last_seen_at=timedelta(minutes=31))
    response = laptop.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    page = laptop.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were logged out after 30 minutes without activity." in page
    assert session_rows(app) == []  # ended, not merely refused
    assert log_in(laptop, user.email).status_code == 302


def test_the_idle_timeout_is_configurable(app, make_user):
    app.config["SESSION_IDLE_MINUTES"] = 5
    user = make_user()
    laptop = logged_in_device(app, user.email)
    move_back(app, last_seen_at=timedelta(minutes=6))
    assert not logged_in(laptop)


def test_a_session_ends_after_its_lifetime_however_busy(app, make_user):
    user = make_user()
    laptop = logged_in_device(app, user.email)
    move_back(app, created_at=timedelta(days=14, minutes=1))
    response = laptop.get("/dashboard", follow_redirects=True)
    assert "You were logged out 14 days after logging in." in response.get_data(as_text=True)
    assert session_rows(app) == []


def test_activity_is_written_at_most_every_few_minutes(app, make_user):
    user = make_user()
    laptop = logged_in_device(app, user.email)
    move_back(app, last_seen_at=timedelta(minutes=4))
    [before] = session_rows(app)
    assert logged_in(laptop)
    assert session_rows(app)[0].last_seen_at == before.last_seen_at  # recent enough: no write
    move_back(app, last_seen_at=timedelta(minutes=2))  # now 6 minutes ago
    assert logged_in(laptop)
    assert utcnow() - session_rows(app)[0].last_seen_at < timedelta(minutes=1)


def test_a_role_change_ends_that_users_sessions(app, make_user):
    trainee = make_user()
    trainee_laptop = logged_in_device(app, trainee.email)
    admin = make_user(Role.ADMIN)
    admin_client = logged_in_device(app, admin.email, address="192.0.2.1")
    change_role(admin_client, trainee.id, "instructor")
    assert not logged_in(trainee_laptop)
    assert logged_in(admin_client)
    assert log_in(trainee_laptop, trainee.email).status_code == 302
    assert trainee_laptop.get("/courses/manage").status_code == 200


def test_sessions_per_user_are_bounded(app, make_user, monkeypatch):
    monkeypatch.setattr("bootcamp.users.sessions.MAX_SESSIONS_PER_USER", 3)
    user = make_user()
    clients = [logged_in_device(app, user.email) for _ in range(5)]
    assert len(session_rows(app)) == 3
    assert [logged_in(client) for client in clients] == [False, False, True, True, True]


def test_the_idle_timeout_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOTCAMP_SESSION_IDLE_MINUTES", "45")
    assert load_config(str(tmp_path))["SESSION_IDLE_MINUTES"] == 45
    monkeypatch.delenv("BOOTCAMP_SESSION_IDLE_MINUTES")
    assert load_config(str(tmp_path))["SESSION_IDLE_MINUTES"] == 30
    monkeypatch.setenv("BOOTCAMP_SESSION_IDLE_MINUTES", "half an hour")
    with pytest.raises(ValueError, match="BOOTCAMP_SESSION_IDLE_MINUTES must be a whole number"):
        load_config(str(tmp_path))
