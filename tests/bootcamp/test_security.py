"""CSRF on every form, security headers on every response, no inline code, escaping."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import url_for

from bootcamp.security import CONTENT_SECURITY_POLICY
from bootcamp.users.models import Role
from tests.bootcamp.test_authorization_matrix import MATRIX, sample_arguments
from tests.helpers import PASSWORD, csrf_token, log_in

# The platform API takes bearer tokens only, never a session cookie, so it has no CSRF token
# to check: the matrix proves that a session opens none of it (401).
POST_ENDPOINTS = sorted(endpoint for method, endpoint in MATRIX
                        if method == "POST" and not endpoint.startswith("api."))
GET_PAGES = ["/", "/auth/login", "/auth/signup", "/dashboard", "/auth/account", "/auth/password",
             "/admin/users"]


def url(app, endpoint: str, world: dict) -> str:
    with app.test_request_context():
        return url_for(endpoint, **sample_arguments(endpoint, world))


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_every_form_refuses_a_post_without_its_csrf_token(app, client, login_as, world,
                                                          endpoint):
    login_as(Role.ADMIN)
    response = client.post(url(app, endpoint, world), data={"email": "x@example.com"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    # ...and with a token from another session.
    other = app.test_client()
    foreign = csrf_token(other)
    response = client.post(url(app, endpoint, world), data={"csrf_token": foreign})
    assert response.status_code == 400


def test_log_in_refuses_a_forged_token(client, make_user):
    user = make_user()
    response = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400


class InlineCodeFinder(HTMLParser):
    """Collects inline scripts, event-handler attributes and style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        self.found += [f"{tag}[{name}]" for name in names if name.startswith("on")]
        if "style" in names:
            self.found.append(f"{tag}[style]")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"{tag}[{name}=javascript:]")


@pytest.mark.parametrize("path", GET_PAGES + ["/no-such-page"])
def test_pages_send_security_headers_and_contain_no_inline_code(client, login_as, path):
    if path not in {"/", "/auth/login", "/auth/signup"}:
        login_as(Role.ADMIN)
    response = client.get(path)
    assert response.status_code in {200, 404}
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    finder = InlineCodeFinder()
    finder.feed(response.get_data(as_text=True))
    assert finder.found == []


def test_static_files_get_the_headers_too(client):
    response = client.get("/static/css/bootcamp.css")
    response.close()
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_session_cookie_is_http_only_and_same_site(client):
    client.get("/auth/login")
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_hsts_only_when_enabled(app, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    app.config["HSTS_ENABLED"] = True
    assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=")


PAYLOAD = '<script>alert(1)</script><img src=x onerror=alert(2)>'


def test_user_supplied_names_are_escaped(app, client, make_user):
    token = csrf_token(client, "/auth/signup")
    client.post(
        "/auth/signup",
        data={"name": PAYLOAD, "email": "xss@example.com", "password": PASSWORD,
              "confirm": PASSWORD, "csrf_token": token},
    )
    log_in(client, "xss@example.com")
    admin = make_user(Role.ADMIN)
    admin_client = app.test_client()
    log_in(admin_client, admin.email)
    for page in (client.get("/dashboard"), admin_client.get("/admin/users")):
        html = page.get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert not re.search(r"<script>alert|<img src=x", html)


def test_friendly_error_pages(app, client, login_as):
    assert "Page not found" in client.get("/nope").get_data(as_text=True)
    login_as(Role.TRAINEE)
    forbidden = client.get("/admin/users")
    assert forbidden.status_code == 403
    assert "You cannot open this page" in forbidden.get_data(as_text=True)


def test_an_unexpected_error_shows_a_friendly_page(make_extra_app):
    app = make_extra_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong on our side" in body and "kaboom" not in body
