"""Password-reset links: a signed, timed token that lets one person set a new password once.

The token carries the user's id and a fingerprint of their current password hash, signed with
the app's SECRET_KEY (its own salt, so no other signed token can pass for one) and good for 24
hours. Setting a password changes the hash, so the link (and any other made before) stops
working: each link works once. Admins make them for people locked out; the "forgot password"
mail will carry the same link.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from bootcamp.audit import record_audit
from bootcamp.types import utcnow
from bootcamp.users import signed_links
from bootcamp.users.models import User

LIFETIME = timedelta(hours=24)
SALT = "password-reset"


class ResetRefused(ValueError):
    """The link cannot set a password; the message says why, for the person holding it."""


def _fingerprint(user: User) -> str:
    """A short digest of the password hash: it changes with the password, and says nothing
    of it (the hash itself never leaves the database)."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def make_reset_token(user: User, actor: User | None) -> tuple[str, datetime]:
    """A reset token for `user` and when it stops working; audited when an admin asks."""
    if actor is not None:
        record_audit("password_reset_link_made", actor_id=actor.id, target=f"user:{user.id}",
                     data={"email": user.email})
    return signed_links.sign(SALT, {"u": user.id, "p": _fingerprint(user)}), utcnow() + LIFETIME


def read_reset_token(token: str, *, lock: bool = False) -> User:
    """The user whose password the token may set; ResetRefused otherwise. With `lock`, the
    user's row stays locked until commit, so two submissions set the password once."""
    data, user = signed_links.read(token, salt=SALT, lifetime=LIFETIME, name="password link",
                                   refused=ResetRefused, lock=lock)
    if not hmac.compare_digest(str(data.get("p", "")), _fingerprint(user)):
        raise ResetRefused("This password link was already used. Log in, or ask for a new one.")
    return user
