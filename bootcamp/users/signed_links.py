"""What one-time links share (a platform's sign-in links, an admin's password links): a timed
token signed with the app's SECRET_KEY under the link's own salt (so no token passes for
another kind), naming a user who must still exist and be active. Each kind adds its own
"used once" check."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.users.models import User


def sign(salt: str, data: dict[str, Any]) -> str:
    """A token carrying `data` ("u": the user's id, plus the kind's own keys)."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt).dumps(data)


def read(token: str, *, salt: str, lifetime: timedelta, name: str,
         refused: type[ValueError], lock: bool = False) -> tuple[dict[str, Any], User]:
    """The token's data and its active user, or `refused` saying why, for the holder of the
    "{name}". With `lock`, the user's row stays locked until commit (two clicks act once)."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)
    try:
        data = serializer.loads(token, max_age=int(lifetime.total_seconds()))
    except SignatureExpired as exc:
        raise refused(f"This {name} has expired. Ask for a new one.") from exc
    except BadSignature as exc:
        raise refused(f"This {name} is not valid.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise refused(f"This {name} is not valid.")
    query = select(User).where(User.id == data["u"])
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    user = db.session.scalar(query)
    if user is None:
        raise refused(f"This {name} is not valid.")
    if not user.is_active:
        raise refused("This account is turned off. Ask an administrator.")
    return data, user
