"""Friendly error pages for the errors people actually meet."""

from __future__ import annotations

from flask import Flask, render_template
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


def render_error(error: HTTPException):
    """Render the error page that matches the status code."""
    code = error.code or 500
    title, hint = MESSAGES.get(code, (error.name, error.description or ""))
    if isinstance(error, CSRFError):
        title, hint = "This form has expired", "Reload the page and submit the form again."
    return render_template("errors/error.html", code=code, title=title, hint=hint), code


def render_internal_error(error: Exception):
    """Roll back whatever the failed request left half done, then apologise."""
    db.session.rollback()
    return render_error(InternalServerError())


def init_errors(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(InternalServerError, render_internal_error)
