"""Account operations used by the auth and admin views and by the CLI.

Like every service, these never commit: the view or CLI command that calls them does, once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bootcamp.audit import record_audit
from bootcamp.events import record_event
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import Role, User
from bootcamp.users.passwords import hash_password, needs_rehash, verify_password
from bootcamp.users.sessions import end_other_sessions, find_session


class AccountError(ValueError):
    """An account operation that cannot be done, with a message fit to show."""


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """The user with this email, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, password: str, name: str = "", role: Role = Role.TRAINEE) -> User:
    """Create an account; raises AccountError when the email is taken."""
    email = normalise_email(email)
    user = User(
        email=email,
        name=name.strip() or email.split("@")[0],
        password_hash=hash_password(password),
        role=role,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise AccountError(f"an account for {email} already exists") from exc
    return user


def sign_up(email: str, password: str, name: str) -> User | None:
    """Register a trainee and record the event; None when the email is already registered."""
    if find_user(email) is not None:
        hash_password(password)  # spend the same time as a real sign-up: no timing oracle
        return None
    try:
        user = create_user(email, password, name)
    except AccountError:
        return None  # lost a race with a concurrent sign-up for the same address
    record_event("signed_up", user_id=user.id)
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the user when the credentials match (the caller starts a session and commits);
    also upgrades outdated hashes."""
    user = find_user(email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if not user.is_active:  # deactivated: refused like a wrong password, after the same work
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    record_event("logged_in", user_id=user.id)
    return user


def change_password(user: User, new_password: str, keep_session_id: int | None) -> None:
    """Set a new password and end every session of this user but `keep_session_id`."""
    user.password_hash = hash_password(new_password)
    end_other_sessions(user, keep_session_id)
    record_event("password_changed", user_id=user.id)


def set_role(user: User, role: Role, actor: User) -> None:
    """Change a user's role, keeping at least one admin, and write it to the audit log."""
    if user.role == role:
        return
    if user.role == Role.ADMIN and admin_count() <= 1:
        raise AccountError("Bootcamp needs at least one admin: promote someone else first.")
    record_audit(
        "role_changed",
        actor_id=actor.id,
        target=f"user:{user.id}",
        data={"email": user.email, "from": user.role.value, "to": role.value},
    )
    user.role = role
    _end_sessions_for_new_role(user, actor)


def _end_sessions_for_new_role(user: User, actor: User) -> None:
    """New rights start with a new log-in; an admin changing their own role keeps the session
    they do it from."""
    acting = find_session(actor.session_key) if actor.id == user.id else None
    end_other_sessions(user, acting.id if acting else None)


def admin_count() -> int:
    """How many active admins exist; locks their rows so two demotions (or deactivations)
    cannot race to zero."""
    admins = select(User.id).where(User.role == Role.ADMIN,
                                   User.deactivated_at.is_(None)).with_for_update()
    return len(db.session.scalars(admins).all())


def deactivate(user: User, actor: User) -> None:
    """Turn an account off: it is logged out everywhere at once and can no longer log in or
    be signed in by a link. Nothing it did is deleted; reactivate() turns it on again."""
    if user.id == actor.id:
        raise AccountError("You cannot deactivate your own account.")
    if not user.is_active:
        return
    if user.role == Role.ADMIN and admin_count() <= 1:
        raise AccountError("Bootcamp needs at least one active admin.")
    user.deactivated_at = utcnow()
    end_other_sessions(user, None)
    record_audit("user_deactivated", actor_id=actor.id, target=f"user:{user.id}",
                 data={"email": user.email})


def reactivate(user: User, actor: User) -> None:
    """Turn a deactivated account on again; it logs in with its password as before."""
    if user.is_active:
        return
    user.deactivated_at = None
    record_audit("user_reactivated", actor_id=actor.id, target=f"user:{user.id}",
                 data={"email": user.email})
