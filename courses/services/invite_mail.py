"""The email an instructor's invitation sends: which course, which cohort, who invited, and the
cohort's invite link (it offers a new person an account and enrols them)."""

from __future__ import annotations

from flask import current_app

from bootcamp import mail
from bootcamp.users.models import User
from courses.models import Cohort
from courses.services import enrolment

LINK_DAYS = 30  # the invitation itself stays pending until taken up; the link lasts a month


def mail_invitations(cohort: Cohort, emails: list[str], inviter: User) -> None:
    """Queue one invitation per address, sent when the invitations commit."""
    if not emails:
        return
    token = enrolment.make_invite_token(current_app.config["SECRET_KEY"], cohort, LINK_DAYS)
    context = {"course": cohort.course.title, "cohort": cohort.name,
               "inviter": inviter.name or inviter.email,
               "link": mail.external_url("courses.invite", token=token), "days": LINK_DAYS}
    for email in emails:
        mail.send(email, f"You are invited to {mail.one_line(cohort.course.title)} on Bootcamp",
                  "invitation", **context)
