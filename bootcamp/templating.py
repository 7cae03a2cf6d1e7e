"""Template globals and filters shared by every page."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from bootcamp.auth.forms import ActionForm
from bootcamp.users.models import Role


def format_datetime(value: datetime | None) -> str:
    """Render a UTC time the same way on every page."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def init_templating(app: Flask) -> None:
    """Make roles and the log-out form available to every template."""
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["action_form"] = ActionForm
