"""The `bootcamp` command: users create, demo, and db upgrade through the real script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from tests.helpers import log_in

BOOTCAMP = str(Path(sys.executable).with_name("bootcamp"))


def find(app, email: str) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def test_users_create_makes_the_first_admin(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "Boss@Example.com", "--password",
              "a long admin passphrase", "--role", "admin"]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin boss@example.com" in result.output
    assert find(app, "boss@example.com").role is Role.ADMIN
    assert log_in(app.test_client(), "boss@example.com", "a long admin passphrase").status_code \
        == 302


def test_users_create_reads_the_password_from_stdin(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "t@example.com"], input="piped passphrase 1\n"
    )
    assert result.exit_code == 0, result.output
    assert find(app, "t@example.com").role is Role.TRAINEE
    assert log_in(app.test_client(), "t@example.com", "piped passphrase 1").status_code == 302


def test_users_create_refuses_weak_passwords_and_duplicates(app, make_user):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["users", "create", "--email", "w@example.com", "--password", "x"])
    assert weak.exit_code == 2 and "Use at least 10 characters." in weak.output
    common = runner.invoke(
        args=["users", "create", "--email", "c@example.com", "--password", "1234567890"])
    assert common.exit_code == 2 and "This is a top-100 common password." in common.output
    assert find(app, "c@example.com") is None
    assert find(app, "w@example.com") is None
    make_user(email="dup@example.com")
    dup = runner.invoke(
        args=["users", "create", "--email", "dup@example.com", "--password", "long enough pw"]
    )
    assert dup.exit_code == 1 and "already exists" in dup.output


def test_demo_creates_one_account_per_role_and_prints_passwords(app):
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    for email, role in [("trainee@example.com", Role.TRAINEE),
                        ("instructor@example.com", Role.INSTRUCTOR),
                        ("admin@example.com", Role.ADMIN)]:
        line = next(line for line in result.output.splitlines() if email in line)
        password = line.split()[-1]
        assert find(app, email).role is role
        assert log_in(app.test_client(), email, password).status_code == 302
    again = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert again.exit_code == 0  # running the demo twice is fine


def test_demo_shows_a_qualified_a_needs_refresh_and_a_failed_trainee(app):
    from courses.models import Course
    from exams.models import (
        Attempt,
        Dispute,
        DisputeStatus,
        Qualification,
        QualificationChange,
    )

    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    expected = {"qualified@example.com": "qualified", "refresh@example.com": "needs refresh",
                "failed@example.com": "failed"}
    for email, status in expected.items():
        line = next(line for line in result.output.splitlines() if email in line)
        assert line.split()[:2] == ["trainee", email] and line.endswith(f"({status})"), line
        password = line.split()[2]
        assert find(app, email).role is Role.TRAINEE
        assert log_in(app.test_client(), email, password).status_code == 302
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "clothing-tagging"))
        rows = {user.email: qualification for qualification, user in db.session.execute(
            select(Qualification, User).join(User, User.id == Qualification.user_id)
            .where(Qualification.course_id == course.id))}
        assert {email: str(rows[email].status) for email in expected} == {
            "qualified@example.com": "qualified", "refresh@example.com": "needs_refresh",
            "failed@example.com": "failed"}
        refresh = rows["refresh@example.com"]
        assert refresh.refresh_sections and refresh.refresh_due_at is not None
        failed_attempts = db.session.scalars(select(Attempt).where(
            Attempt.user_id == rows["failed@example.com"].user_id)).all()
        assert len(failed_attempts) == 2 and not any(a.passed for a in failed_attempts)
        assert all(0 < a.score < 1 for a in failed_attempts)  # half right: a real breakdown
        disputed = db.session.scalars(select(Dispute.user_id).where(
            Dispute.status == DisputeStatus.OPEN)).all()
        assert rows["failed@example.com"].user_id in disputed  # the queue has theirs too
        passed = db.session.get(Attempt, rows["qualified@example.com"].attempt_id)
        assert passed.passed and passed.score == 1.0 and passed.closed_by == "trainee"
        history = db.session.scalars(select(QualificationChange.to_status).where(
            QualificationChange.qualification_id == refresh.id)
            .order_by(QualificationChange.id)).all()
        assert history[-2:] == ["qualified", "needs_refresh"]
        counts = {email: len(db.session.scalars(select(Attempt).where(
            Attempt.user_id == rows[email].user_id)).all()) for email in expected}
    again = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert again.exit_code == 0, again.output
    with app.app_context():  # a second run keeps their history and adds no attempts
        assert {email: len(db.session.scalars(select(Attempt).where(
            Attempt.user_id == rows[email].user_id)).all()) for email in expected} == counts


def test_demo_prints_a_platform_token_of_every_scope_and_links_the_trainees(app):
    from bootcamp.api.models import SCOPES, ApiToken, WorkerLink
    from bootcamp.api.tokens import token_by_raw

    def demo_token(output: str) -> str:
        line = next(line for line in output.splitlines() if line.split()[:1] == ["token"])
        return line.split()[1]

    result = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--port", "5001"])
    assert result.exit_code == 0, result.output
    token = demo_token(result.output)
    curl = next(line for line in result.output.splitlines() if "curl" in line)
    assert curl.split("curl", 1)[1].strip() == (
        f'-H "Authorization: Bearer {token}" '
        "http://127.0.0.1:5001/api/v1/workers/worker-2/qualifications")
    with app.app_context():
        stored = token_by_raw(token)
        assert stored.revoked_at is None and stored.scopes == sorted(SCOPES)
        links = {link.external_id: db.session.get(User, link.user_id).email
                 for link in db.session.scalars(select(WorkerLink))}
        assert links == {"worker-1": "trainee@example.com", "worker-2": "qualified@example.com",
                         "worker-3": "refresh@example.com", "worker-4": "failed@example.com"}
    again = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    with app.app_context():  # one live demo token at a time, as one password per account
        live = db.session.scalars(select(ApiToken).where(ApiToken.revoked_at.is_(None))).all()
        assert [t.token_hash for t in live] == [token_by_raw(demo_token(again.output)).token_hash]
        assert token_by_raw(token).revoked_at is not None
        assert len(db.session.scalars(select(WorkerLink)).all()) == 4


def run_bootcamp(*args: str, database_url: str, tmp_path: Path, stdin: str = ""):
    env = {**os.environ, "DATABASE_URL": database_url,
           "BOOTCAMP_INSTANCE_PATH": str(tmp_path / "instance")}
    return subprocess.run(
        [BOOTCAMP, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_bootcamp_script_migrates_an_empty_database_and_creates_an_admin(
    empty_database_url, tmp_path
):
    upgrade = run_bootcamp("db", "upgrade", database_url=empty_database_url, tmp_path=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    current = run_bootcamp("db", "current", database_url=empty_database_url, tmp_path=tmp_path)
    assert "(head)" in current.stdout
    created = run_bootcamp(
        "users", "create", "--email", "root@example.com", "--role", "admin",
        database_url=empty_database_url, tmp_path=tmp_path, stdin="secret passphrase\n",
    )
    assert created.returncode == 0, created.stderr
    assert "Created admin root@example.com" in created.stdout
    secret = (tmp_path / "instance" / "secret_key")
    assert secret.exists() and oct(secret.stat().st_mode & 0o777) == "0o600"
    downgrade = run_bootcamp(
        "db", "downgrade", "base", database_url=empty_database_url, tmp_path=tmp_path
    )
    assert downgrade.returncode == 0, downgrade.stderr
