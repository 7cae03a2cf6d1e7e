"""Sign-up, log-in, log-out and password changes."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from bootcamp.auth import views  # noqa: E402, F401  (registers the routes)
