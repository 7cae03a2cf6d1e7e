"""Sign-up, log-in, log-out and password changes through the real forms."""

from __future__ import annotations

from sqlalchemy import select

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from tests.helpers import PASSWORD, csrf_token, log_in


def sign_up(client, email="new@example.com", password=PASSWORD, name="New Person"):
    token = csrf_token(client, "/auth/signup")
    return client.post(
        "/auth/signup",
        data={"name": name, "email": email, "password": password, "confirm": password,
              "csrf_token": token},
    )


def events_of(app, kind: str) -> list[Event]:
    with app.app_context():
        return list(db.session.scalars(select(Event).where(Event.kind == kind)))


def user_by_email(app, email: str) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def test_sign_up_creates_a_trainee_logs_them_in_and_records_an_event(app, client):
    response = sign_up(client, email="  New@Example.com ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    user = user_by_email(app, "new@example.com")
    assert user.role is Role.TRAINEE and user.name == "New Person"
    assert user.password_hash.startswith("$argon2id$")
    assert [e.user_id for e in events_of(app, "signed_up")] == [user.id]
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200  # logged in: no detour through the log-in page
    assert "Welcome to Bootcamp, New Person" in dashboard.get_data(as_text=True)


def test_sign_up_follows_a_safe_next_and_ignores_another_site(app, client):
    token = csrf_token(client, "/auth/signup?next=/courses/")
    data = {"name": "N", "email": "next@example.com", "password": PASSWORD,
            "confirm": PASSWORD, "csrf_token": token}
    response = client.post("/auth/signup?next=/courses/", data=data)
    assert response.headers["Location"] == "/courses/"
    other = client.application.test_client()
    token = csrf_token(other, "/auth/signup")
    response = other.post("/auth/signup?next=//evil.example/x",
                          data={**data, "email": "next2@example.com", "csrf_token": token})
    assert response.headers["Location"] == "/dashboard"


def test_sign_up_with_a_taken_email_logs_nobody_in_changes_nothing_and_mails_the_owner(
        app, client, make_user):
    owner = make_user(email="taken@example.com")
    with app.app_context():
        before = db.session.get(User, owner.id)
        before = (before.password_hash, before.name)
    taken = sign_up(client, email="Taken@example.com", password="another good password",
                    name="Impostor")
    page = taken.get_data(as_text=True)
    assert taken.status_code == 200 and "Check your email" in page
    assert client.get("/dashboard").status_code == 302  # nobody logged in
    with app.app_context():
        user = db.session.get(User, owner.id)
        assert (user.password_hash, user.name) == before
        sent = app.extensions["mailman"].outbox
    assert [m.to for m in sent] == [["taken@example.com"]]
    assert "tried to create a Bootcamp account" in sent[0].body
    assert "/auth/reset/" in sent[0].body and "/auth/login" in sent[0].body
    assert log_in(client, "taken@example.com", "another good password").status_code == 200


def test_sign_up_explains_weak_passwords_and_mismatches(app, client):
    token = csrf_token(client, "/auth/signup")
    page = client.post(
        "/auth/signup",
        data={"name": "A", "email": "a@example.com", "password": "short", "confirm": "other",
              "csrf_token": token},
    ).get_data(as_text=True)
    assert "Use at least 10 characters." in page
    assert "The passwords do not match." in page
    assert 'aria-invalid="true"' in page
    assert user_by_email(app, "a@example.com") is None


def test_log_in_and_out(app, client, make_user):
    user = make_user()
    response = log_in(client, user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert "Welcome" in client.get("/dashboard").get_data(as_text=True)
    assert [e.user_id for e in events_of(app, "logged_in")] == [user.id]
    token = csrf_token(client, "/dashboard")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_log_in_failure_does_not_say_whether_the_account_exists(client, make_user):
    user = make_user()
    wrong_password = log_in(client, user.email, "not the password")
    unknown_email = log_in(client, "nobody@example.com", "not the password")
    assert wrong_password.status_code == unknown_email.status_code == 200
    for response in (wrong_password, unknown_email):
        assert "do not match an account" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_next_parameter_only_redirects_within_the_site(client, make_user):
    user = make_user()
    token = csrf_token(client)
    data = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/auth/login?next=//evil.example/x", data=data)
    assert response.headers["Location"] == "/dashboard"
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    data["csrf_token"] = csrf_token(client)
    response = client.post("/auth/login?next=/auth/password", data=data)
    assert response.headers["Location"] == "/auth/password"


def test_login_required_pages_send_anonymous_users_to_log_in(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_changing_the_password_ends_other_sessions(app, make_user):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, user.email)
    log_in(phone, user.email)
    token = csrf_token(laptop, "/auth/password")
    new_password = "a brand new passphrase"
    response = laptop.post(
        "/auth/password",
        data={"current_password": PASSWORD, "new_password": new_password,
              "confirm": new_password, "csrf_token": token},
    )
    assert response.status_code == 302
    assert laptop.get("/dashboard").status_code == 200  # this session stays
    assert phone.get("/dashboard").status_code == 302  # the other one is gone
    assert log_in(phone, user.email, PASSWORD).status_code == 200
    assert log_in(phone, user.email, new_password).status_code == 302
    assert len(events_of(app, "password_changed")) == 1


def test_changing_the_password_needs_the_current_one(client, login_as):
    login_as()
    token = csrf_token(client, "/auth/password")
    page = client.post(
        "/auth/password",
        data={"current_password": "wrong wrong wrong", "new_password": "another passphrase",
              "confirm": "another passphrase", "csrf_token": token},
    ).get_data(as_text=True)
    assert "This is not your current password." in page


def test_failed_log_ins_are_limited_per_account(app, make_user):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per 15 minutes"
    user = make_user()
    attacker = app.test_client()
    for _ in range(3):
        assert log_in(attacker, user.email, "guess guess guess").status_code == 200
    assert log_in(attacker, user.email, "guess guess guess").status_code == 429
    # Other accounts from the same address are unaffected...
    other = make_user()
    assert log_in(attacker, other.email).status_code == 302


def test_successful_log_ins_do_not_count_against_the_account(app, make_user):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "2 per 15 minutes"
    user = make_user()
    for _ in range(4):
        client = app.test_client()
        assert log_in(client, user.email).status_code == 302


def test_log_ins_are_limited_per_address(app, make_user):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    client = app.test_client()
    for number in range(3):
        assert log_in(client, f"x{number}@example.com", "guess guess guess").status_code == 200
    response = log_in(client, "y@example.com", "guess guess guess")
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_sign_up_refuses_a_common_password_saying_why(app, client):
    page = sign_up(client, email="weak@example.com", password="password123!").get_data(
        as_text=True)
    assert "This is similar to a commonly used password. Add another word or two." in page
    assert user_by_email(app, "weak@example.com") is None


def test_sign_up_refuses_a_password_made_of_the_users_name(app, client):
    page = sign_up(client, email="grace@example.com", password="gracehopper1",
                   name="Grace Hopper").get_data(as_text=True)
    assert "It contains your name, your email address or this site&#39;s name." in page
    assert user_by_email(app, "grace@example.com") is None


def test_a_new_password_must_be_hard_to_guess(client, login_as):
    login_as()
    token = csrf_token(client, "/auth/password")
    page = client.post(
        "/auth/password",
        data={"current_password": PASSWORD, "new_password": "qwertyuiop",
              "confirm": "qwertyuiop", "csrf_token": token},
    ).get_data(as_text=True)
    assert "This is a top-100 common password." in page
    assert log_in(client.application.test_client(), "trainee1@example.com").status_code == 302
