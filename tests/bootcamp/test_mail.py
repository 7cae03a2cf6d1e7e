"""Email: sent after commit and never on rollback, safe headers, a failing server spares the
request, the development outbox, and the password mails read from a real SMTP server."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import pytest
from flask_mailman import BadHeaderError
from sqlalchemy import select

from bootcamp import mail
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from tests.conftest import make_app
from tests.helpers import PASSWORD, csrf_token, log_in

NEW_PASSWORD = "purple elephant marching quietly"


def outbox(app) -> list:
    return app.extensions["mailman"].outbox if hasattr(app.extensions["mailman"], "outbox") \
        else []


def forgot(client, email: str):
    token = csrf_token(client, "/auth/forgot")
    return client.post("/auth/forgot", data={"email": email, "csrf_token": token})


def path_of(link: str) -> str:
    return urlsplit(link).path


# The core: after commit only, safe headers, failures logged.


def test_mail_waits_for_the_commit_and_a_rollback_sends_nothing(app, smtp_server):
    with app.app_context():
        mail.send("a@example.com", "Rolled back", "password_reset", name="A", link="x",
                  hours=24, login_link="l", forgot_link="f")
        assert len(mail.queued()) == 1 and smtp_server.messages == []
        db.session.rollback()
        db.session.commit()
        assert mail.queued() == []
        mail.send(["b@example.com", "c@example.com"], "Committed", "password_reset", name="B",
                  link="https://example.com/reset", hours=24, login_link="l", forgot_link="f")
        assert smtp_server.messages == []  # not before the commit
        db.session.commit()
    [received] = smtp_server.wait_for(1)
    assert received.subject == "Committed"
    assert received.recipients == ["b@example.com", "c@example.com"]
    assert received.links() == ["https://example.com/reset"]


def test_a_change_that_rolls_back_sends_no_qualification_mail(app, make_user, smtp_server):
    from tests.factories import make_world, take

    world = make_world(app, make_user)
    with app.app_context():
        take(world)  # a pass: one mail
        [granted] = smtp_server.wait_for(1)
        from exams.services import qualifications

        qualifications.revoke(world.trainee.id, world.course_id, "Copied answers.",
                              world.user(world.instructor))
        db.session.rollback()
        db.session.commit()
    assert "qualified" in granted.subject
    assert len(smtp_server.wait_for(2, timeout=0.5)) == 1


@pytest.mark.parametrize("to, subject", [
    ("victim@example.com\nBcc: everyone@example.com", "Hello"),
    ("victim@example.com\r\nBcc: everyone@example.com", "Hello"),
    ("victim@example.com", "Hello\r\nBcc: everyone@example.com"),
    (["ok@example.com", "victim@example.com\nBcc: x@example.com"], "Hello"),
])
def test_header_injection_is_refused_and_nothing_is_queued(app, to, subject):
    with app.app_context():
        with pytest.raises(BadHeaderError):
            mail.send(to, subject, "password_reset", name="A", link="x", hours=24,
                      login_link="l", forgot_link="f")
        assert mail.queued() == []


def test_an_address_with_a_line_break_in_the_forgot_form_sends_nothing(app, client,
                                                                        make_user):
    make_user(email="victim@example.com")
    response = forgot(client, "victim@example.com\nBcc: everyone@example.com")
    assert response.status_code == 200 and "Forgot your password?" in response.get_data(
        as_text=True)
    assert outbox(app) == []


def test_a_mail_server_that_is_down_does_not_break_the_page(app, client, make_user, caplog):
    from tests.smtp import _free_port

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_BACKEND="smtp",
                      MAIL_TIMEOUT=2, BASE_URL="http://localhost")
    mail.init_app(app)
    make_user(email="down@example.com")
    with caplog.at_level(logging.ERROR, logger="bootcamp.mail"):
        response = forgot(client, "down@example.com")
    assert response.status_code == 302
    assert "we have sent a link" in client.get("/auth/login").get_data(as_text=True)
    assert any("Could not reach the mail server" in r.getMessage() for r in caplog.records)


def test_without_a_mail_server_development_mail_goes_to_the_console_and_the_outbox(
        app, tmp_path, capsys):
    dev = make_app(app.config["SQLALCHEMY_DATABASE_URI"], TESTING=False,
                   MAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    assert dev.config["MAIL_BACKEND"] == mail.OUTBOX_BACKEND
    with dev.app_context():
        mail.send("dev@example.com", "Look in the outbox", "password_reset", name="D",
                  link="https://example.com/r/1", hours=24, login_link="l", forgot_link="f")
        db.session.commit()
        db.engine.dispose()
    [saved] = list((tmp_path / "outbox").glob("*.eml"))
    assert b"Subject: Look in the outbox" in saved.read_bytes()
    printed = capsys.readouterr().out
    assert "To: dev@example.com" in printed and "https://example.com/r/1" in printed
    assert str(saved) in printed


def test_real_mail_needs_a_base_url_so_no_host_header_picks_where_links_point(
        app, make_extra_app, smtp_server, make_user):
    with pytest.raises(RuntimeError, match="BOOTCAMP_BASE_URL"):
        make_extra_app(MAIL_SERVER="smtp.example.com", BASE_URL=None)
    app.config["BASE_URL"] = "https://training.example.com"
    make_user(email="owner@example.com")
    client = app.test_client()
    forged = {"base_url": "http://evil.example"}  # every request says Host: evil.example
    page = client.get("/auth/forgot", **forged).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/auth/forgot", data={"csrf_token": token, "email": "owner@example.com"},
                **forged)
    [message] = smtp_server.wait_for(1)
    assert message.links()[0].startswith("https://training.example.com/auth/reset/")
    assert "evil.example" not in message.text


def test_mail_settings_come_from_the_environment(monkeypatch, tmp_path):
    from bootcamp.config import mail_config

    monkeypatch.setenv("MAIL_SERVER", "smtp.example.com")
    monkeypatch.setenv("MAIL_PORT", "587")
    monkeypatch.setenv("MAIL_USERNAME", "bootcamp")
    monkeypatch.setenv("MAIL_PASSWORD", "s3cret")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "Training <training@example.com>")
    config = mail_config(str(tmp_path))
    assert (config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_USERNAME"],
            config["MAIL_PASSWORD"], config["MAIL_USE_TLS"], config["MAIL_USE_SSL"]) == (
        "smtp.example.com", 587, "bootcamp", "s3cret", True, False)
    assert config["MAIL_DEFAULT_SENDER"] == "Training <training@example.com>"
    assert config["MAIL_OUTBOX_DIR"] == str(tmp_path / "outbox")
    monkeypatch.setenv("MAIL_PORT", "none")
    with pytest.raises(ValueError, match="MAIL_PORT"):
        mail_config(str(tmp_path))


# Forgot password, through a real SMTP server.


def test_forgot_password_mails_a_link_that_sets_a_new_password(app, client, make_user,
                                                               smtp_server):
    user = make_user(email="forgetful@example.com")
    login_page = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/forgot">Forgot your password?</a>' in login_page
    response = forgot(client, "Forgetful@Example.com")
    assert response.headers["Location"] == "/auth/login"
    assert ("If an account uses that address, we have sent a link to set a new password; "
            "it works for 24 hours.") in client.get("/auth/login").get_data(as_text=True)
    [received] = smtp_server.wait_for(1)
    assert received.recipients == ["forgetful@example.com"]
    assert received.subject == "Set a new Bootcamp password"
    assert str(received.message["From"]) == app.config["MAIL_DEFAULT_SENDER"]
    [link] = received.links()
    assert path_of(link).startswith("/auth/reset/")
    reader = app.test_client()  # the mail is opened anywhere, logged out
    page = reader.get(path_of(link))
    assert page.status_code == 200 and "New password" in page.get_data(as_text=True)
    token = csrf_token(reader, path_of(link))
    done = reader.post(path_of(link), data={"new_password": NEW_PASSWORD,
                                            "confirm": NEW_PASSWORD, "csrf_token": token})
    assert done.headers["Location"] == "/auth/login"
    assert log_in(app.test_client(), user.email, PASSWORD).status_code == 200
    assert log_in(app.test_client(), user.email, NEW_PASSWORD).status_code == 302
    assert reader.get(path_of(link)).status_code == 400  # used once


def test_forgot_password_answers_the_same_for_an_unknown_address(app, client, make_user,
                                                                 smtp_server):
    make_user(email="known@example.com")
    known = forgot(client, "known@example.com")
    known_page = client.get("/auth/login").get_data(as_text=True)
    other = app.test_client()
    unknown = forgot(other, "nobody@example.com")
    unknown_page = other.get("/auth/login").get_data(as_text=True)
    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code, unknown.headers["Location"])
    assert known_page.replace("known@", "X@").split("csrf_token")[0] == unknown_page.replace(
        "nobody@", "X@").split("csrf_token")[0]
    assert [m.recipients for m in smtp_server.wait_for(2, timeout=0.5)] == [
        ["known@example.com"]]


def test_a_deactivated_account_gets_no_password_mail(app, client, make_user):
    from bootcamp.users.services import deactivate

    user = make_user(email="gone@example.com")
    admin = make_user(Role.ADMIN)
    with app.app_context():
        deactivate(db.session.get(User, user.id), db.session.get(User, admin.id))
        db.session.commit()
    assert forgot(client, "gone@example.com").status_code == 302
    assert outbox(app) == []


def test_forgot_password_is_limited_per_address(app, make_user):
    make_user(email="inbox@example.com")
    limit = int(app.config["MAIL_LIMIT_PER_ADDRESS"].split()[0])
    statuses = [forgot(app.test_client(), "inbox@example.com").status_code
                for _ in range(limit + 1)]
    assert statuses == [302] * limit + [429]
    assert len(outbox(app)) == limit
    assert forgot(app.test_client(), "someone.else@example.com").status_code == 302


def test_a_taken_address_at_sign_up_mails_a_working_reset_link(app, client, make_user,
                                                              smtp_server):
    make_user(email="owner@example.com")
    token = csrf_token(client, "/auth/signup")
    page = client.post("/auth/signup", data={
        "name": "Someone", "email": "owner@example.com", "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD, "csrf_token": token})
    assert "Check your email" in page.get_data(as_text=True)
    [received] = smtp_server.wait_for(1)
    assert received.recipients == ["owner@example.com"]
    assert "tried to sign up" in received.subject
    reset = next(link for link in received.links() if "/auth/reset/" in link)
    assert app.test_client().get(path_of(reset)).status_code == 200
    assert any(path_of(link) == "/auth/login" for link in received.links())


def test_an_admin_password_link_is_emailed_to_the_user_too(app, make_user, login_as, client,
                                                          smtp_server):
    login_as(Role.ADMIN)
    user = make_user(email="locked-out@example.com")
    token = csrf_token(client, "/admin/users")
    page = client.post(f"/admin/users/{user.id}/password-link", data={"csrf_token": token})
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "We have also emailed this link to locked-out@example.com" in body
    [received] = smtp_server.wait_for(1)
    assert received.recipients == ["locked-out@example.com"]
    [link] = [link for link in received.links() if "/auth/reset/" in link]
    assert f'value="{link}"' in body  # the same link the admin sees
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == user.email)) is not None


def test_the_demo_says_where_mail_goes_and_its_history_mails_nobody(app, tmp_path):
    outbox_dir = tmp_path / "outbox"
    demo = make_app(app.config["SQLALCHEMY_DATABASE_URI"], TESTING=False,
                    MAIL_OUTBOX_DIR=str(outbox_dir))
    result = demo.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert f"each message is printed here and saved in {outbox_dir}" in result.output
    assert "Subject:" not in result.output and list(outbox_dir.glob("*.eml")) == []
    with demo.app_context():
        db.engine.dispose()


def test_stored_text_in_a_subject_is_made_one_short_line():
    assert mail.one_line("Tagging\r\nBcc: x@example.com") == "Tagging Bcc: x@example.com"
    long = mail.one_line("word " * 100)
    assert len(long) == 120 and long.endswith("…")
