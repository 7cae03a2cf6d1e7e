"""What the app-wide hooks do to an API request: the security headers still come with every
answer, and the browser's hooks (session bookkeeping, the signed-in trainee's own sweep, the
page rate limiter, CSRF protection, the remember-me cookie) do not run for a machine's
request, which is why a lookup need not pay for them."""

from __future__ import annotations

import pytest

from bootcamp.auth import sessions
from bootcamp.extensions import limiter
from bootcamp.security import CONTENT_SECURITY_POLICY, HEADERS
from bootcamp.users.models import Role
from exams.views import sweep

LOOKUP = "/api/v1/workers/w-1/qualifications"


def assert_security_headers(response) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get_all(name) == [value], name


@pytest.mark.parametrize(("path", "status"), [
    (LOOKUP, 200),
    ("/api/v1/workers/nobody/qualifications", 404),
    ("/api/v1/openapi.json", 200),
])
def test_api_answers_carry_the_security_headers(client, api_world, token, path, status):
    response = client.get(path, headers=token.headers)
    assert response.status_code == status
    assert_security_headers(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")  # JSON, not a page


def test_a_refusal_carries_them_too(client, api_world):
    response = client.get(LOOKUP)
    assert response.status_code == 401
    assert_security_headers(response)


def test_the_reference_page_is_a_page(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["Cache-Control"] == "no-store"


def test_a_header_the_view_set_stays_and_is_not_doubled(app, client):
    @app.get("/test-own-policy")
    def own_policy():
        return "", 204, {"x-frame-options": "SAMEORIGIN"}

    response = client.get("/test-own-policy")
    assert response.headers.get_all("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def sweeps(app, monkeypatch) -> list:
    """The sweeps requests run (their user_id: None for everyone's), with everyone's sweep
    already done for the next SWEEP_SECONDS and something always due for the trainee's own."""
    app.extensions["exam_sweep"] = {"last": float("inf")}
    seen: list = []
    monkeypatch.setattr(sweep, "session_fact", lambda name: name == sweep.DUE_FACT)
    monkeypatch.setattr(sweep, "sweep", lambda now=None, user_id=None: seen.append(user_id))
    return seen


def test_an_api_request_runs_no_trainee_sweep_even_with_a_browser_session(
        client, api_world, token, login_as, sweeps):
    user = login_as(Role.TRAINEE)
    assert client.get(LOOKUP, headers=token.headers).status_code == 200
    assert sweeps == []
    client.get("/")  # a page does
    assert sweeps == [user.id]


def test_api_requests_still_run_everyones_sweep(app, client, api_world, token, sweeps):
    app.extensions["exam_sweep"] = {"last": None}
    assert client.get(LOOKUP, headers=token.headers).status_code == 200
    assert sweeps == [None]


def test_an_api_request_loads_no_browser_session(client, api_world, token, monkeypatch):
    touched = []
    monkeypatch.setattr(sessions, "find_session_with_facts",
                        lambda token: touched.append(token))
    monkeypatch.setattr(sessions, "record_activity", lambda *args: touched.append(args))
    assert client.get(LOOKUP, headers=token.headers).status_code == 200
    assert touched == []


def test_an_api_request_skips_the_limiters_hooks_a_page_does_not(client, api_world, token,
                                                                 monkeypatch):
    entered = []
    identify = limiter.identify_request
    monkeypatch.setattr(limiter, "identify_request", lambda: entered.append(1) or identify())
    assert client.get(LOOKUP, headers=token.headers).status_code == 200
    assert entered == []
    assert client.get("/auth/login").status_code == 200
    assert entered


def test_a_bearer_request_opens_no_cookie_session(app, client, api_world, token, login_as):
    """A machine's request gets Flask's null session even with a browser's cookie along:
    nothing of it is read or written (no Set-Cookie, no Vary: Cookie); pages keep theirs."""
    from flask import session

    seen = []

    @app.get("/api/v1/test-session")
    def peek():
        seen.append(app.session_interface.is_null_session(session))
        return {}

    login_as(Role.TRAINEE)
    response = client.get(LOOKUP, headers=token.headers)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    client.get("/api/v1/test-session", headers=token.headers)
    client.get("/api/v1/test-session")  # no token: a browser's request, its own session
    assert seen == [True, False]
    assert "/auth/login" not in client.get("/").headers.get("Location", "")  # still logged in


def test_an_api_request_skips_csrf_protection_a_page_does_not(client, api_world, token,
                                                              monkeypatch):
    """The API blueprint is CSRF-exempt: its requests do not even ask."""
    from bootcamp.extensions import csrf

    asked = []
    protect = csrf.protect
    monkeypatch.setattr(csrf, "protect", lambda **kw: asked.append(1) or protect(**kw))
    assert client.get(LOOKUP, headers=token.headers).status_code == 200
    assert asked == []
    assert client.post("/auth/login", data={}).status_code == 400  # no CSRF token
    assert asked == [1]


def test_the_extensions_app_wide_hooks_are_all_wrapped(app):
    """Every hook of the limiter and Flask-Login's remember-me refresh is behind the API
    check (one left bare, after an upgrade renamed it, say, would run for every lookup)."""
    from bootcamp.extensions import login_manager

    hooks = [hook for registry in (app.before_request_funcs, app.after_request_funcs,
                                   app.teardown_request_funcs)
             for hook in registry.get(None, [])]
    owners = [hook.args[0] if hasattr(hook, "args") else getattr(hook, "__self__", None)
              for hook in hooks]
    assert limiter not in owners
    assert login_manager not in owners
    assert "csrf_protect" not in [getattr(hook, "__name__", "") for hook in hooks]


@pytest.mark.parametrize(("kind", "blueprint", "expected"), [
    ("before", "home", ["first", "second"]),
    ("after", "home", ["second", "first"]),
    ("teardown", "home", ["second", "first"]),
    ("before", "api", []),
    ("after", "api", []),
])
def test_neighbouring_page_hooks_run_as_flask_runs_them(app, kind, blueprint, expected):
    """Grouped page-only hooks keep Flask's order (after request and teardown: the last
    registered first, each after-request hook handed the response of the one before)."""
    from flask import Response, request

    from bootcamp.api import _pages_only

    ran = []

    def hook(name):
        def run(*argument):
            ran.append(name)
            return argument[0] if argument else None
        return run

    grouped = _pages_only([hook("first"), hook("second")], kind)
    response = Response("x")
    with app.test_request_context("/"):
        request.url_rule = type("Rule", (), {"endpoint": f"{blueprint}.view"})()
        answer = grouped() if kind == "before" else grouped(
            response if kind == "after" else None)
    assert ran == expected
    assert answer is (response if kind == "after" else None)
