"""Demo data for `bootcamp demo`: a migrated database and one account per role."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_migrate import upgrade

from bootcamp.extensions import db
from bootcamp.users.models import Role, new_session_token
from bootcamp.users.passwords import hash_password
from bootcamp.users.services import create_user, find_user

DEMO_ACCOUNTS = [
    ("trainee@example.com", "Tara Trainee", Role.TRAINEE),
    ("instructor@example.com", "Ivan Instructor", Role.INSTRUCTOR),
    ("admin@example.com", "Ada Admin", Role.ADMIN),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str


def seed_demo() -> list[DemoAccount]:
    """Bring the database to the newest schema and (re)set the demo accounts."""
    upgrade()
    accounts = []
    for email, name, role in DEMO_ACCOUNTS:
        password = "demo-" + secrets.token_urlsafe(9)
        user = find_user(email)
        if user is None:
            user = create_user(email, password, name, role)
        else:
            user.password_hash = hash_password(password)
            user.session_token = new_session_token()
            user.role = role
        accounts.append(DemoAccount(email, password, role.value))
    db.session.commit()
    return accounts
