"""Password links by email: "forgot password", a sign-up with a taken address, an admin's reset."""

from __future__ import annotations

from datetime import datetime

from bootcamp import mail
from bootcamp.users import password_resets
from bootcamp.users.models import User

SUBJECTS = {
    "password_reset": "Set a new Bootcamp password",
    "password_reset_admin": "An administrator sent you a link to set your Bootcamp password",
    "signup_taken": "Someone tried to sign up to Bootcamp with your address",
}


def mail_reset_link(user: User, template: str, actor: User | None = None) -> tuple[str, datetime]:
    """Queue `template` (one of SUBJECTS) to the user with a fresh password link; returns the
    link and when it stops working. Sent when the caller's transaction commits."""
    token, expires = password_resets.make_reset_token(user, actor)
    link = mail.external_url("auth.reset_password", token=token)
    mail.send(user.email, SUBJECTS[template], template, name=user.name or user.email, link=link,
              login_link=mail.external_url("auth.login"),
              forgot_link=mail.external_url("auth.forgot_password"),
              hours=int(password_resets.LIFETIME.total_seconds() // 3600))
    return link, expires
