"""Sign-up, log-in, log-out, sessions, the Account page and password changes."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from bootcamp.auth import sessions, views  # noqa: E402, F401  (registers routes and hooks)
