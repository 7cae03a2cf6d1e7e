"""The User model and its roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

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


def new_session_token() -> str:
    """A fresh random token; changing it logs the user out of every other session."""
    return secrets.token_urlsafe(24)


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
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def get_id(self) -> str:
        """Flask-Login keeps this in the session cookie instead of the primary key."""
        return self.session_token

    def has_role(self, role: Role) -> bool:
        """True when this user's role includes `role`."""
        return self.role.rank >= role.rank

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"
