"""Template globals and filters shared by every page."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from bootcamp.users.models import Role


def format_datetime(value: datetime | None) -> str:
    """Render a UTC time the same way on every page."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def format_date(value: datetime | None) -> str:
    """A day, written out so no reader confuses day and month."""
    return value.strftime("%-d %B %Y") if value else "never"


def format_minutes(minutes: int | None) -> str:
    """90 -> "1 h 30 min": how long a course takes, as people say it."""
    if not minutes:
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def init_templating(app: Flask) -> None:
    """Make roles and the date filters available to every template."""
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["minutes"] = format_minutes
    app.jinja_env.globals["Role"] = Role
