"""Error answers: a friendly page for people, an RFC 9457 problem document for programs.

An error handler must never read the request body again: the body may be what caused the
error (unparsable or deeply nested JSON, an upload over the size limit), and reading it a
second time inside the handler would turn a 400 or 413 into a bare 500.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from bootcamp.extensions import db

MESSAGES = {
    400: ("Something was wrong with that request", "Go back, reload the page and try again."),
    403: ("You cannot open this page", "Your account does not have access to it."),
    404: ("Page not found", "The address may be mistyped, or the page was moved."),
    405: ("That action is not possible here", "Go back and use the page's own buttons."),
    413: ("That file is too large", "Upload a smaller file."),
    429: ("Too many attempts", "Wait a few minutes, then try again."),
    500: ("Something went wrong on our side", "It has been logged. Please try again shortly."),
}
_JSON_TYPES = ("application/json", "application/problem+json")
KEPT_HEADERS = ("allow", "retry-after", "www-authenticate")


def problem(status: int, title: str, detail: str, **extra: object) -> Response:
    """An RFC 9457 problem document: the one error shape every JSON endpoint answers with."""
    response = jsonify({"type": "about:blank", "title": title, "detail": detail,
                        "status": status, **extra})
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def wants_problem() -> bool:
    """True for programs: the platform API, and clients that prefer JSON to a page."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", *_JSON_TYPES])
    return best in _JSON_TYPES


def _describe(error: HTTPException) -> tuple[int, str, str]:
    code = error.code or 500
    title, hint = MESSAGES.get(code, (error.name, error.description or ""))
    if isinstance(error, CSRFError):
        title, hint = "This form has expired", "Reload the page and submit the form again."
    elif code == 413 and request.max_content_length:
        limit = request.max_content_length / 1024 / 1024
        hint = f"Bootcamp accepts uploads of up to {limit:g} MB. Upload a smaller file."
    return code, title, hint


def render_error(error: HTTPException):
    """The error page (or problem document) that matches the status code."""
    code, title, hint = _describe(error)
    if wants_problem():
        response = problem(code, title, hint)
        for name, value in error.get_headers():  # a 405 must still say what is allowed
            if name.lower() in KEPT_HEADERS:
                response.headers[name] = value
        return response
    return render_template("errors/error.html", code=code, title=title, hint=hint), code


def render_internal_error(error: Exception):
    """Roll back whatever the failed request left half done, then apologise."""
    db.session.rollback()
    return render_error(InternalServerError())


class SafeJSONProvider(DefaultJSONProvider):
    """JSON nested too deeply for the parser is bad input (a 400), not a crash (a 500)."""

    def loads(self, s: str | bytes, **kwargs: object):
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON is nested too deeply") from exc


def init_errors(app: Flask) -> None:
    """Register the handlers and the JSON parser that cannot be made to crash."""
    app.json = SafeJSONProvider(app)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(InternalServerError, render_internal_error)
