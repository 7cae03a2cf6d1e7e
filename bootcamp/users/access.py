"""View decorators that enforce roles."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from bootcamp.users.models import Role


def role_required(role: Role) -> Callable:
    """Allow users whose role includes `role`; others get 403, anonymous users the login page."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def staff_required(view: Callable) -> Callable:
    """Instructors and admins only: every authoring and managing page. Which courses they may
    change is a separate, per-course check (courses.views.access.editable_course)."""
    return role_required(Role.INSTRUCTOR)(view)
