"""Exam rules in course bundles: applied on import, provided on export.

courses never import exams, so course bundles carry the `exam:` block of course.yaml as plain
data (courses.bundles.ExamSpec). This module connects exams to both directions; it is imported
by exams/views/__init__.py, so it is connected whenever the app exists.
"""

from __future__ import annotations

from courses.bundles import BundleError, BundleInvalid
from courses.models import Course
from courses.services.bundles import provide_exam_settings
from courses.signals import bundle_imported
from exams.services.settings import (
    RULE_NAMES,
    ExamRules,
    rule_problems,
    rules_of,
    save_settings,
    stored_settings,
)


@bundle_imported.connect
def apply_bundle_exam(course: Course, exam: dict | None = None, actor=None, **_) -> None:
    """Store the bundle's exam rules; a bundle without an `exam:` block changes nothing."""
    if exam is None:
        return
    rules = ExamRules(**{name: exam[name] for name in RULE_NAMES if name in exam})
    problems = rule_problems(rules)
    if problems:  # reading checks the same ranges: this is a safety net
        raise BundleInvalid([BundleError("course.yaml", 1, f"exam: {p}") for p in problems])
    stored = stored_settings(course)
    if stored is not None and rules_of(stored) == rules:
        return  # re-importing an unchanged bundle writes nothing
    save_settings(course, rules, actor)


@provide_exam_settings
def exam_rules_for_export(course: Course) -> dict | None:
    """The course's stored exam rules as plain data; None when nobody has set any."""
    stored = stored_settings(course)
    if stored is None:
        return None
    rules = rules_of(stored)
    return {name: getattr(rules, name) for name in RULE_NAMES}
