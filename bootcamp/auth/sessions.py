"""Log-in sessions on the web: the cookie's token, the user loader and the activity hook."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, flash, g, request, session
from flask_login import current_user, login_user, logout_user

from bootcamp.auth import bp
from bootcamp.types import utcnow
from bootcamp.users.models import User, UserSession
from bootcamp.users.sessions import (
    SessionPolicy,
    discard_session,
    find_session_with_facts,
    record_activity,
    start_session,
)

# (substring of the User-Agent header, name shown), first match wins: order matters.
BROWSERS = [("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser/", "Samsung Internet"),
            ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"),
            ("Chrome/", "Chrome"), ("Safari/", "Safari")]
SYSTEMS = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
           ("Windows", "Windows"), ("Macintosh", "macOS"), ("CrOS", "ChromeOS"),
           ("Linux", "Linux")]
MAX_USER_AGENT = 512  # enough to name the browser; the header itself can be kilobytes


def policy() -> SessionPolicy:
    """The idle timeout and absolute lifetime configured for this app."""
    return SessionPolicy(idle=timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]),
                         lifetime=current_app.config["PERMANENT_SESSION_LIFETIME"])


def describe_device(user_agent: str) -> str:
    """"Firefox on Windows": enough for a person to recognise their own device."""
    user_agent = user_agent[:MAX_USER_AGENT]
    browser = next((name for mark, name in BROWSERS if mark in user_agent), "A browser")
    system = next((name for mark, name in SYSTEMS if mark in user_agent), "")
    return f"{browser} on {system}" if system else browser


def log_in(user: User) -> None:
    """Start a server-side session for `user` in a fresh cookie; the view commits."""
    token = start_session(user, describe_device(request.user_agent.string),
                          request.remote_addr or "", policy())
    session.clear()  # a fresh cookie session on privilege change
    user.session_key = token
    login_user(user)
    session.permanent = True


def load_user(token: str) -> User | None:
    """Flask-Login's user loader: the user of a live session, or None."""
    loaded = find_session_with_facts(token)
    if loaded is None:
        return None
    found, g.session_facts = loaded
    if policy().expired(found, utcnow()):
        g.expired_session = found
        return None
    g.user_session = found
    found.user.session_key = token
    return found.user


def session_fact(name: str) -> Any:
    """A fact registered with bootcamp.users.sessions.register_fact about the signed-in user,
    as loaded with their session in this request; None when no session was loaded."""
    return g.get("session_facts", {}).get(name)


def current_session() -> UserSession | None:
    """The session this request runs in, when a user is logged in."""
    return g.get("user_session") if current_user.is_authenticated else None


@bp.before_app_request
def track_activity() -> None:
    """End expired sessions and move last_seen_at forward, at most every few minutes."""
    if "_user_id" not in session or request.endpoint == "static":
        return
    if not current_user.is_authenticated:  # loads the user: runs load_user
        logout_user()  # the session ended: forget its token
        expired = g.pop("expired_session", None)
        if expired is not None:
            discard_session(expired.id)
            flash(_expired_message(expired), "info")
        return
    found, now = g.user_session, utcnow()
    if now - found.last_seen_at >= policy().touch_interval:
        record_activity(found.id, now)


def _expired_message(expired: UserSession) -> str:
    limits = policy()
    if utcnow() - expired.created_at > limits.lifetime:
        return f"You were logged out {limits.lifetime.days} days after logging in."
    minutes = int(limits.idle.total_seconds() // 60)
    return f"You were logged out after {minutes} minutes without activity."
