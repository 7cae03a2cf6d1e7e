"""The platform API (/api/v1/): qualification lookups, worker links, the event feed, webhooks.

Machines call it with bearer tokens (bootcamp/api/auth.py); it answers JSON, and errors as RFC
9457 problem documents. The OpenAPI 3.1 description at /api/v1/openapi.json is generated from
the request and response models in bootcamp/api/schemas.py by spectree (bootcamp/api/spec.py).
This package is a top layer, like the views: it may call courses' and exams' services, and
nothing below imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from flask import Blueprint, Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from bootcamp import outbox  # noqa: F401  (the tables, for migrations)
from bootcamp.api import models  # noqa: F401
from bootcamp.extensions import csrf, db, limiter, login_manager

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # bearer tokens, never cookies: nothing for a forged form to ride on
# Each token has its own limit (auth.py); the limiter's per-route limits are for pages: the API
# is exempt from them, and its requests skip the limiter's hooks altogether (init_api).
limiter.exempt(bp)


def reads_on_its_own(view: Callable) -> Callable:
    """Mark a view whose read takes a connection of its own (fixed_reads.fetch_all): the
    request's session is not opened for it in advance, which would cost every call a
    Session, a checkout and an autocommit switch it never uses."""
    view.reads_on_its_own = True
    return view


@bp.before_request
def reads_without_a_transaction() -> None:
    """GET and HEAD only read: their statements run in autocommit, which spares the BEGIN and
    ROLLBACK round trips of a transaction. Each statement still sees one consistent snapshot,
    and under READ COMMITTED a transaction gives a series of statements no more than that.
    When an earlier hook already opened the request's transaction (a browser session's
    bookkeeping), the request stays in it."""
    if request.method in ("GET", "HEAD") and not getattr(
            current_app.view_functions.get(request.endpoint), "reads_on_its_own", False):
        session_reads_in_autocommit()


def session_reads_in_autocommit() -> None:
    """Let the session's next statements run in autocommit, unless its transaction is open
    already; for a reads_on_its_own view that reads through the session after all (the
    lookup of an unknown worker), as for every other GET."""
    if not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


PREFIX = "/api/v1"


def init_api(app: Flask) -> None:
    """Mount the API and its OpenAPI description."""
    from bootcamp.api import views  # noqa: F401  (registers the routes on bp)
    from bootcamp.api.spec import spec

    app.register_blueprint(bp, url_prefix=PREFIX)
    spec.register(app)
    app.session_interface = CookieSessionsForPages()
    _hooks_for_pages_only(app)


class CookieSessionsForPages(SecureCookieSessionInterface):
    """Flask's cookie sessions, except for a request to the API with a bearer token: a
    machine's request gets Flask's null session (empty, and never saved). Machines send no
    session cookie, and the API reads none: a browser session has no say in an API answer
    (require_scope). Opening and saving a signed cookie session cost each lookup ~0.05 ms."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if (request.path.startswith(PREFIX + "/")
                and request.headers.get("Authorization", "")[:7].lower() == "bearer "):
            return self.make_null_session(app)
        return super().open_session(app, request)


def _hooks_for_pages_only(app: Flask) -> None:
    """Let the app-wide hooks that never do anything for an API request return at once for
    it, instead of each finding that out again on every lookup:
    - the limiter's: exempt or not, its before_request hook finds the view, its exemptions and
      meta limits, its after_request hook looks for deductions (~0.05 ms) and its teardown
      makes a request context of its own only to clear it, for limits the API never has (each
      token has its own, auth.py);
    - CSRF protection's: the blueprint is exempt (it reads no cookie);
    - Flask-Login's remember-me cookie refresh: it acts only on what login_user or
      logout_user put in the session during the same request, and no API view calls either.
    Neighbours in a registry share one check (the limiter's and CSRF's before_request hooks,
    say), run in the order Flask would run them."""
    for registry, stage in ((app.before_request_funcs, "before"),
                           (app.after_request_funcs, "after"),
                           (app.teardown_request_funcs, "teardown")):
        hooks = registry.get(None, [])
        grouped: list[Callable | list[Callable]] = []
        for hook in hooks:
            if not _does_nothing_for_the_api(hook):
                grouped.append(hook)
            elif grouped and isinstance(grouped[-1], list):
                grouped[-1].append(hook)
            else:
                grouped.append([hook])
        hooks[:] = [_pages_only(item, stage) if isinstance(item, list) else item
                    for item in grouped]


def _does_nothing_for_the_api(hook: Callable) -> bool:
    """Flask-Limiter registers bound methods (before, teardown) and a partial on itself
    (after), Flask-WTF a closure named csrf_protect, Flask-Login a bound method."""
    owner = hook.args[0] if isinstance(hook, partial) and hook.args else (
        getattr(hook, "__self__", None))
    if owner is limiter:
        return True
    if owner is login_manager:
        return hook.__name__ == "_update_remember_cookie"
    return getattr(hook, "__qualname__", "") == "CSRFProtect.init_app.<locals>.csrf_protect"


def _pages_only(hooks: list[Callable], stage: str) -> Callable:
    """Neighbouring `hooks` of one registry as one, for every request but the API's, run as
    Flask runs them: before request in order until one answers; after request in reverse
    order, each handed the response the one before gave; teardown in reverse order too."""
    if stage != "before":
        hooks = hooks[::-1]

    def for_pages(*argument: Response | BaseException | None) -> Response | None:
        if request.blueprint == "api":
            # after_request hands the response on; what a teardown returns is ignored
            return argument[0] if argument else None
        if stage == "before":
            for hook in hooks:
                answer = hook()
                if answer is not None:
                    return answer
            return None
        if stage == "after":
            response = argument[0]
            for hook in hooks:
                response = hook(response)
            return response
        for hook in hooks:
            hook(*argument)
        return None

    return for_pages
