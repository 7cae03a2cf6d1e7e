"""Demo data for `bootcamp demo`: a migrated database, one account per role, example courses."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_migrate import upgrade

from bootcamp.config import resource_dir
from bootcamp.extensions import db
from bootcamp.users.models import Role, User, new_session_token
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
    """Bring the database to the newest schema, load the examples, (re)set the accounts."""
    upgrade()
    accounts = []
    users = {}
    for email, name, role in DEMO_ACCOUNTS:
        password = "demo-" + secrets.token_urlsafe(9)
        user = find_user(email)
        if user is None:
            user = create_user(email, password, name, role)
        else:
            user.password_hash = hash_password(password)
            user.session_token = new_session_token()
            user.role = role
        users[role] = user
        accounts.append(DemoAccount(email, password, role.value))
    load_examples()
    _trainee_history(users[Role.TRAINEE])
    db.session.commit()
    return accounts


def load_examples() -> None:
    """Import every bundle under examples/ (new versions are appended, the rest is unchanged)."""
    from courses.services.bundles import import_bundle

    for folder in sorted(resource_dir("examples").iterdir()):
        if (folder / "course.yaml").is_file():
            import_bundle(folder, actor=None)


def _trainee_history(trainee: User) -> None:
    """The demo trainee read version 2 of the clothing manual, so "what changed" has content."""
    from courses.models import EnrollmentSource
    from courses.services import catalog, enrolment, manuals

    course = catalog.find_course("clothing-tagging")
    if course is None or enrolment.enrollment_of(trainee.id, course.id) is not None:
        return
    enrolment.enrol(trainee, course, EnrollmentSource.SELF)
    version = manuals.version_by_number(course, 2)
    if version is not None:
        manuals.record_opened(trainee, course, version)
