"""Production shapes: Redis-backed rate limits, proxies, and gunicorn with several workers."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from flask_migrate import upgrade

from bootcamp.extensions import db
from tests.helpers import log_in

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_available() -> bool:
    parts = urllib.parse.urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_available(), reason=f"no Redis at {REDIS_URL}")
def test_rate_limits_are_shared_through_redis(make_extra_app):
    prefix = f"test-{uuid.uuid4().hex}"
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix,
                "LOGIN_LIMIT_PER_IP": "2 per minute"}
    first, second = make_extra_app(**settings), make_extra_app(**settings)
    assert log_in(first.test_client(), "a@example.com", "wrong password!").status_code == 200
    assert log_in(second.test_client(), "b@example.com", "wrong password!").status_code == 200
    # A third attempt on either "worker" is refused: the count lives in Redis.
    assert log_in(first.test_client(), "c@example.com", "wrong password!").status_code == 429


def test_proxy_hops_make_limits_see_the_real_client(make_extra_app):
    app = make_extra_app(PROXY_HOPS=1, LOGIN_LIMIT_PER_IP="1 per minute")
    client = app.test_client()
    for address in ("203.0.113.1", "203.0.113.2"):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = address
        assert log_in(client, "a@example.com", "wrong password!").status_code == 200
    assert log_in(client, "a@example.com", "wrong password!").status_code == 429


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_workers_share_the_generated_secret(app, make_user, tmp_path):
    """Two workers, one secret generated on first start: a form from one posts to the other."""
    make_user(email="worker@example.com", password="worker passphrase")
    with app.app_context():
        db.engine.dispose()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "BOOTCAMP_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("SECRET_KEY", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "--workers", "2", "--bind", f"127.0.0.1:{port}", "bootcamp:create_app()"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/auth/login", server)
        for _ in range(6):  # enough round trips to cross workers
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
            page = opener.open(base + "/auth/login", timeout=10).read().decode()
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            form = urllib.parse.urlencode({"email": "worker@example.com",
                                           "password": "worker passphrase",
                                           "csrf_token": token}).encode()
            with opener.open(base + "/auth/login", data=form, timeout=10) as response:
                assert response.url.endswith("/dashboard")
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert "Traceback" not in errors


def wait_for(url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited: {server.stderr.read()}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:  # refused while booting, or a slow first response
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def test_migrations_are_idempotent(app):
    with app.app_context():
        upgrade()  # already at head: nothing to do, nothing fails
