"""Shared fixtures: a migrated database per test session, an app and users per test.

Every database test runs on SQLite, or on PostgreSQL when TEST_DATABASE_URL is set. The schema
is built once per session by the Alembic migrations (never by create_all) and emptied after each
test, so tests see committed data exactly as production code does.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher, profiles
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

# Keep generated secrets and default databases out of the checkout.
os.environ.setdefault("BOOTCAMP_INSTANCE_PATH", tempfile.mkdtemp(prefix="bootcamp-instance-"))

import exams  # noqa: E402, F401  (reads course bundles' exam: blocks, app or not)
from bootcamp import create_app  # noqa: E402
from bootcamp.config import normalise_database_url  # noqa: E402
from bootcamp.extensions import db, limiter  # noqa: E402
from bootcamp.users import passwords  # noqa: E402
from bootcamp.users.models import Role, User  # noqa: E402
from bootcamp.users.services import create_user  # noqa: E402
from tests.helpers import PASSWORD, log_in  # noqa: E402


def _postgres_schema_url(base_url: str, schema: str) -> str:
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def empty_database(sqlite_file: Path) -> Iterator[str]:
    """A URL to an empty database nobody else uses: a PostgreSQL schema of its own when
    TEST_DATABASE_URL is set (dropped afterwards), else the SQLite file given."""
    base = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not base:
        yield "sqlite:///" + str(sqlite_file)
        return
    import psycopg

    base = normalise_database_url(base)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield _postgres_schema_url(base, schema)
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A URL to an empty database that only this test session uses."""
    with empty_database(tmp_path_factory.mktemp("db") / "test.sqlite3") as url:
        yield url


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, for tests that run the migrations (or the CLI) on it."""
    with empty_database(tmp_path / "empty.sqlite3") as url:
        yield url


def make_app(database_url: str, **overrides) -> Flask:
    """An app configured for tests against `database_url`."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> str:
    """Bring the session's database to the newest migration, once."""
    app = make_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Production Argon2 costs 64 MiB and tens of milliseconds per log-in; tests need speed.

    Subprocess tests (the CLI, the demo) still use the production parameters.
    """
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        patch.setattr(passwords, "_DUMMY_HASH", cheap.hash("not-a-real-password"))
        yield


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replace pytest-flask's shared request context with none.

    While a context is active, every request reuses its app context and so shares `flask.g`,
    leaking the logged-in user and CSRF tokens between clients. Tests open `app.app_context()`
    where they touch the database.
    """


@pytest.fixture
def app(migrated_database: str) -> Iterator[Flask]:
    """A fresh app per test; the tables are emptied afterwards."""
    app = make_app(migrated_database)
    with app.app_context():
        limiter.reset()
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def make_extra_app(app: Flask):
    """More apps on the same database (say, two workers), closed and cleaned up afterwards."""
    extra: list[Flask] = []

    def make(**overrides) -> Flask:
        extra.append(make_app(app.config["SQLALCHEMY_DATABASE_URI"], **overrides))
        return extra[-1]

    yield make
    for other in extra:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client that, unlike pytest-flask's, keeps no request context open between calls.

    pytest-flask's own `client` (1.3) yields `app.test_client()` inside a `with` block, and in
    a `with` block Flask's client keeps each request's context, and its app context, pushed
    until the next request. While it is pushed, every other request to the app (another
    client's, say signed_in()'s) runs in that same app context, and so shares `flask.g`, where
    Flask-WTF keeps the session's CSRF token and Flask-Login the signed-in user: the app cannot
    avoid `g`, it is where Flask extensions keep per-request state. Without this override,
    tests/bootcamp/test_security.py::test_every_form_refuses_a_post_without_its_csrf_token
    fails for every form (302, not 400): the "foreign" token it reads with a second client is
    the first client's own, from the shared `g`; test_user_supplied_names_are_escaped fails
    the same way. Hence our own fixture, and the no-op `_push_request_context` above.
    """
    return app.test_client()


@pytest.fixture
def make_user(app: Flask):
    """Create and commit a user; returns it."""
    counter = iter(range(1, 10_000))

    def make(role: Role = Role.TRAINEE, email: str | None = None, password: str = PASSWORD) -> User:
        with app.app_context():
            email = email or f"{role.value}{next(counter)}@example.com"
            user = create_user(email, password, "", role)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def login_as(client: FlaskClient, make_user):
    """Log the test client in as a new user with `role`; returns the user."""

    def login(role: Role = Role.TRAINEE) -> User:
        user = make_user(role)
        response = log_in(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside every folder the app reads from, whose bytes must never come back."""
    path = tmp_path / "outside" / "secret_key"
    path.parent.mkdir()
    path.write_text(secrets.token_hex(32))
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


# Races: concurrent requests against PostgreSQL.

THREADS = 20


@pytest.fixture
def racing_app(app, make_extra_app):
    """A second app (one worker's worth of connections) on the test's PostgreSQL database."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them")
    # Not RATELIMIT_ENABLED=False: the limiter is shared by every app and would stay off.
    return make_extra_app(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": THREADS,
                                   "max_overflow": 5},
        LOGIN_LIMIT_PER_IP="1000 per minute")


def race(requests: list) -> list:
    """Run each zero-argument callable in its own thread, all released at the same moment."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = requests[n]().status_code
        except Exception as exc:  # noqa: BLE001 - an exception is what the test looks for
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def smtp_server(app: Flask):
    """A real SMTP server (aiosmtpd) that the test's app sends its mail to; read what arrived
    from its `messages`."""
    from bootcamp import mail
    from tests.smtp import SmtpServer

    server = SmtpServer().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_BACKEND="smtp",
                      MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                      BASE_URL=app.config.get("BASE_URL") or "http://localhost")
    mail.init_app(app)
    yield server
    server.stop()
