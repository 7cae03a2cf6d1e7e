"""The email a trainee gets when their qualification is granted, needs a refresh, expires or
is revoked. qualifications.transition calls it beside the platform event, so each change sends
one mail, and only once the change commits (bootcamp.mail)."""

from __future__ import annotations

from bootcamp import mail
from bootcamp.extensions import db
from bootcamp.users.models import User
from courses.models import Course
from exams.models import Qualification

SUBJECTS = {
    "qualification.granted": "You are qualified for {course}",
    "qualification.needs_refresh": "{course}: the guidelines changed, a short refresh exam is due",
    "qualification.expired": "Your qualification for {course} has expired",
    "qualification.revoked": "Your qualification for {course} was revoked",
}


def mail_change(qualification: Qualification, event: str, reason: str) -> None:
    """Queue the mail for a platform event of SUBJECTS (other events mail nobody)."""
    subject = SUBJECTS.get(event)
    user = db.session.get(User, qualification.user_id)
    if subject is None or user is None or not user.is_active:
        return
    course = db.session.get(Course, qualification.course_id)
    template = event.removeprefix("qualification.")
    mail.send(user.email, subject.format(course=mail.one_line(course.title)),
              f"qualification_{template}",
              name=user.name or user.email, course=course.title, reason=reason,
              expires=mail.day(qualification.expires_at),
              refresh_due=mail.day(qualification.refresh_due_at),
              link=mail.external_url("courses.home", slug=course.slug))
