"""The User model and its roles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bootcamp.extensions import db
from bootcamp.types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    """What a user may do; each role includes everything the roles before it may do."""

    TRAINEE = "trainee"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    @property
    def label(self) -> str:
        return self.value.capitalize()


class User(UserMixin, db.Model):
    """A person with an account: trainee, instructor or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="user_role", values_callable=lambda roles: [r.value for r in roles]),
        default=Role.TRAINEE,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set by an admin: the account cannot log in or be signed in by any link until reactivated.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # The raw token of the server-side session this request runs in: set at log-in and by the
    # user loader, never stored (user_sessions keeps only its hash).
    session_key = None

    # Plain identity: UserMixin compares get_id(), which names a session, not a person.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def get_id(self) -> str:
        """Flask-Login keeps this in the session cookie: the token of a UserSession."""
        if self.session_key is None:
            raise RuntimeError("log users in through bootcamp.auth.sessions.log_in")
        return self.session_key

    @property
    def is_active(self) -> bool:
        """Flask-Login's notion: a deactivated account may hold no session."""
        return self.deactivated_at is None

    def has_role(self, role: Role) -> bool:
        """True when this user's role includes `role`."""
        return self.role.rank >= role.rank

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"


class UserSession(db.Model):
    """One log-in: the cookie carries a random token, the database only its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    device: Mapped[str] = mapped_column(String(80), default="")
    address: Mapped[str] = mapped_column(String(45), default="")

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"
