"""The exam rules in words, as the exam pages and the course home show them up front."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_login import current_user

from courses.models import Course
from courses.services import catalog
from exams.services import attempts, qualifications
from exams.services.settings import readiness_problems, settings_for
from exams.views import bp


def _duration(seconds: int | None) -> str:
    """3600 -> "1 hour"; 90 -> "2 minutes" (rounded up); None/0 -> "no limit"."""
    if not seconds:
        return "none"
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day{'' if days == 1 else 's'}"
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'' if hours == 1 else 's'}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def exam_rules(course: Course) -> dict[str, Any]:
    """The course's exam rules in words, for the pages."""
    settings = settings_for(course)
    allowed = settings.attempts_allowed
    validity = settings.validity_days
    return {
        "items": settings.item_count,
        "pass_mark": f"{round(settings.pass_mark * 100)}%",
        "time_limit": (_duration(settings.time_limit_seconds)
                       if settings.time_limit_seconds else "no time limit"),
        "attempts": f"{allowed}" if allowed is not None else "unlimited",
        "retry_delay": ("none: you can retry at once" if not settings.retry_delay_seconds
                        else _duration(settings.retry_delay_seconds)),
        "validity": (f"{validity} day{'' if validity == 1 else 's'}" if validity
                     else "does not expire"),
        "critical_rule": settings.critical_rule,
        "refresh_items": settings.refresh_item_count,
        "refresh_grace": f"{settings.refresh_grace_days} days",
    }


def status_label(status: qualifications.Status) -> str:
    return qualifications.LABELS.get(status, str(status))


@bp.app_template_global("exam_status")
def exam_status(course: Course) -> dict[str, Any]:
    """The signed-in trainee's qualification in the course, for course pages and cards.

    A template global, so the courses package shows it without importing exams; for staff and
    anonymous visitors the status is None.
    """
    found: dict[str, Any] = {"url": url_for("exams.overview", slug=course.slug),
                             "status": None, "status_label": None, "expires_at": None,
                             "refresh_due_at": None, "resume_url": None}
    if current_user.is_authenticated and not catalog.can_edit(course.id, current_user):
        status, record = qualifications.standing(current_user.id, course.id)
        current = attempts.open_attempt(current_user.id, course.id)
        found.update(status=str(status), status_label=status_label(status),
                     expires_at=record.expires_at if record else None,
                     refresh_due_at=record.refresh_due_at if record else None,
                     resume_url=url_for("exams.take", attempt_id=current.id) if current else None)
    return found


@bp.app_template_global("exam_summary")
def exam_summary(course: Course) -> dict[str, Any]:
    """What the course home shows about the exam: the rules, readiness and the trainee's status."""
    return {"rules": exam_rules(course),
            "ready": not readiness_problems(course, settings_for(course)),
            **exam_status(course)}
