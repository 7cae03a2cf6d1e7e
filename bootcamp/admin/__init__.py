"""Administration: users and roles."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from bootcamp.admin import views  # noqa: E402, F401  (registers the routes)
