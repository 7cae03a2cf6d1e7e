"""Administration: users and roles; platforms (API clients, tokens, webhooks); the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from bootcamp.admin import audit_log, platform, views  # noqa: E402, F401  (registers the routes)
