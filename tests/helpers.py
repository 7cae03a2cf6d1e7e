"""Helpers shared by the tests: CSRF tokens and logging in through the real forms."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

PASSWORD = "correct horse battery"
CSRF_PATTERN = re.compile(r'name="[\w-]*csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/auth/login") -> str:
    """A valid CSRF token for this client's session, read from a page's form."""
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = CSRF_PATTERN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: FlaskClient, email: str, password: str = PASSWORD):
    """Log in through the real form; returns the response."""
    token = csrf_token(client)
    return client.post(
        "/auth/login", data={"email": email, "password": password, "csrf_token": token}
    )
