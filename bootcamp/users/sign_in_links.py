"""One-time sign-in links: how a platform hands a worker straight into their course.

A link carries the user's id, the course to land on and the user's `last_login_at` at the
moment it was made, signed with the app's SECRET_KEY and timed (72 hours). Signing in through
it moves `last_login_at`, so the same link (and any other link made before, or a log-in since)
no longer matches: each link works once. Links are only ever made for trainees, and checked
again when used, so a platform can never get a session of an instructor or admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bootcamp.types import utcnow
from bootcamp.users import signed_links
from bootcamp.users.models import Role, User

LIFETIME = timedelta(hours=72)
SALT = "worker-sign-in"


class LinkRefused(ValueError):
    """The link cannot sign anyone in; the message says why, for the person holding it."""


@dataclass(frozen=True)
class LinkTarget:
    user: User
    course_slug: str | None


def _stamp(user: User) -> str:
    return user.last_login_at.isoformat() if user.last_login_at else ""


def make_link_token(user: User, course_slug: str | None) -> tuple[str, datetime]:
    """A token for `user` (a trainee) and when it stops working."""
    if user.role != Role.TRAINEE:
        raise LinkRefused("Sign-in links are only for trainees.")
    token = signed_links.sign(SALT, {"u": user.id, "l": _stamp(user), "c": course_slug})
    return token, utcnow() + LIFETIME


def read_link(token: str, *, lock: bool = False) -> LinkTarget:
    """The user and course the token names, if it still may sign in; LinkRefused otherwise.
    With `lock`, the user's row stays locked until commit, so two clicks sign in once."""
    data, user = signed_links.read(token, salt=SALT, lifetime=LIFETIME, name="sign-in link",
                                   refused=LinkRefused, lock=lock)
    if user.role != Role.TRAINEE:
        raise LinkRefused("This sign-in link is not valid.")
    if data.get("l") != _stamp(user):
        raise LinkRefused("This sign-in link was already used. Log in, or ask for a new one.")
    course = data.get("c")
    return LinkTarget(user, course if isinstance(course, str) else None)


def use_link(target: LinkTarget) -> None:
    """Spend the link: the caller has locked the user (read_link(lock=True)) and commits."""
    target.user.last_login_at = utcnow()
