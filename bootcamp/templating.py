"""Template globals and filters shared by every page."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from markupsafe import Markup

from bootcamp.users.models import Role


def _moment(value: datetime, text: str, shown: str) -> Markup:
    """A <time> that static/js/local-times.js rewrites in the reader's own time zone; without
    JavaScript the UTC text stays, and the title keeps UTC for whoever wants it."""
    return Markup('<time datetime="{}" title="{}" data-local="{}">{}</time>').format(
        value.isoformat(), value.strftime("%Y-%m-%d %H:%M UTC"), shown, text)


def format_datetime(value: datetime | None) -> str | Markup:
    """A moment, the same way on every page: UTC from the server, local in the browser."""
    if not value:
        return "never"
    return _moment(value, value.strftime("%Y-%m-%d %H:%M UTC"), "datetime")


def format_date(value: datetime | date | None) -> str | Markup:
    """A day, written out so no reader confuses day and month (a moment's day is the reader's
    local day, in the browser; a calendar date stays as it is)."""
    if not value:
        return "never"
    text = value.strftime("%-d %B %Y")
    return _moment(value, text, "date") if isinstance(value, datetime) else text


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
