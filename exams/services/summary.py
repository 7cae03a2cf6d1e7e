"""What course pages show about the exam: its rules in words and the trainee's standing.

Reads only: the views of the exam, the course home and the training centre call these and
pass the result to their templates (a template never queries), and nothing here writes, so a
course card can be drawn any number of times.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bootcamp.extensions import db
from bootcamp.users.models import User
from courses.models import Course, ManualVersion
from courses.services import catalog, manuals
from courses.services.items import Outline
from exams.blocks import BLOCK_SIZE
from exams.models import ExamSettings, Qualification
from exams.services import attempts, qualifications, round_requests
from exams.services.settings import readiness_problems, sequential_rules, settings_for

Standing = tuple[qualifications.Status, Qualification | None]  # qualifications.standing


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


def _shared_rules(settings: ExamSettings) -> dict[str, str]:
    """The rules a qualification exam and a refresh exam have in common, in words."""
    return {
        "pass_mark": f"{round(settings.pass_mark * 100)}%",
        "time_limit": (_duration(settings.time_limit_seconds)
                       if settings.time_limit_seconds else "no time limit"),
        "retry_delay": ("none: you can retry at once" if not settings.retry_delay_seconds
                        else _duration(settings.retry_delay_seconds)),
    }


def exam_rules(course: Course, settings: ExamSettings | None = None) -> dict[str, Any]:
    """The course's exam rules in words, for the pages (from `settings` when the caller has
    them already)."""
    settings = settings or settings_for(course)
    allowed = settings.attempts_allowed
    validity = settings.validity_days
    test = sequential_rules(settings)
    return {
        "items": settings.item_count,
        **_shared_rules(settings),
        # A sequential exam: its least and most items and its blocks (the pass mark does
        # not apply: the test decides).
        "sequential": None if test is None else {
            "items": f"{test.min_items} to {test.max_items}", "block": BLOCK_SIZE},
        "attempts": f"{allowed}" if allowed is not None else "unlimited",
        "validity": (f"{validity} day{'' if validity == 1 else 's'}" if validity
                     else "does not expire"),
        "critical_rule": settings.critical_rule,
        "refresh_items": settings.refresh_item_count,
        "refresh_grace": f"{settings.refresh_grace_days} days",
    }


def refresh_rules(course: Course, qualification: Qualification) -> dict[str, Any]:
    """A refresh exam's own rules in words: its items come from the sections that changed,
    its attempts are not counted, and its deadline is the trainee's refresh date."""
    settings = settings_for(course)
    titles = manuals.latest_section_titles(course)
    qualified_under = (db.session.get(ManualVersion, qualification.manual_version_id)
                       if qualification.manual_version_id else None)
    pool = attempts.refresh_pool(course, qualification)
    return {
        "items": min(settings.refresh_item_count, len(pool)),
        # In the manual's order, as the notice that sent the trainee here names them.
        "sections": [title for s, title in titles.items() if s in qualification.refresh_sections],
        **_shared_rules(settings),
        "due_at": qualification.refresh_due_at,
        "since": qualified_under.number if qualified_under else None,
    }


def status_label(status: qualifications.Status) -> str:
    return qualifications.LABELS.get(status, str(status))


def exam_status(user: User, course: Course,
                standing: Standing | None = None,
                ) -> dict[str, Any]:
    """The trainee's qualification in the course and their open attempt, for course pages and
    cards; for the course's staff the status is None. `standing`: qualifications.standing,
    when the page has it (and the user is not on the course's staff)."""
    return exam_statuses(user, [course.id], None if standing is None
                         else {course.id: standing})[course.id]


def exam_statuses(user: User, course_ids: Sequence[int],
                  standings: dict[int, Standing] | None = None) -> dict[int, dict[str, Any]]:
    """exam_status in many courses, in a fixed number of queries (the training centre)."""
    staffed = catalog.editable_ids(course_ids, user)
    taken = [course_id for course_id in course_ids if course_id not in staffed]
    if standings is None:
        standings = qualifications.standings(user.id, taken) if taken else {}
    current = attempts.open_attempts(user.id, taken) if taken else {}
    failed = [record for status, record in standings.values()
              if status == qualifications.Status.FAILED and record is not None]
    requests = round_requests.current_requests(user.id, failed)
    found = {}
    for course_id in course_ids:
        status, record = standings.get(course_id, (None, None))
        attempt, request = current.get(course_id), requests.get(course_id)
        found[course_id] = {
            "status": str(status) if status else None,
            "status_label": status_label(status) if status else None,
            "expires_at": record.expires_at if record else None,
            "refresh_due_at": record.refresh_due_at if record else None,
            "open_attempt_id": attempt.id if attempt else None,
            "round_request": (request.status if request else None)
            if status == qualifications.Status.FAILED else None,
        }
    return found


def exam_summary(user: User, course: Course, standing: Standing | None = None,
                 outlines: list[Outline] | None = None) -> dict[str, Any]:
    """What the course home shows about the exam: the rules, readiness and the trainee's status
    (`standing` as for exam_status, `outlines` as for settings.exam_pool)."""
    settings = settings_for(course)
    return {"rules": exam_rules(course, settings),
            "ready": not readiness_problems(course, settings, outlines),
            **exam_status(user, course, standing)}
