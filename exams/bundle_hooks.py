"""Exam rules in course bundles: applied on import, provided on export.

courses never import exams, so course bundles carry the `exam:` block of course.yaml as an
exams.rules.ExamRules they do not look inside (a courses.bundles.ExamBlock: exams/bundle_block.py
reads it, ExamRules.bundle_block gives it back to write). This module connects exams to both
directions; exams/views/__init__.py imports it, so it is connected whenever the app exists.
"""

from __future__ import annotations

from courses.errors import SourceError, SourceInvalid
from courses.models import Course
from courses.signals import bundle_exporting, bundle_imported
from exams.services.settings import (
    ExamRules,
    rule_problems,
    rules_of,
    save_settings,
    stored_settings,
)


@bundle_imported.connect
def apply_bundle_exam(course: Course, exam: ExamRules | None = None, actor=None, **_) -> None:
    """Store the bundle's exam rules; a bundle without an `exam:` block changes nothing."""
    if exam is None:
        return
    problems = rule_problems(exam)
    if problems:  # reading checks the same ranges: this is a safety net
        raise SourceInvalid([SourceError("course.yaml", 1, f"exam: {p}") for p in problems])
    stored = stored_settings(course)
    if stored is not None and rules_of(stored) == exam:
        return  # re-importing an unchanged bundle writes nothing
    save_settings(course, exam, actor)


@bundle_exporting.connect
def exam_rules_for_export(course: Course) -> ExamRules | None:
    """The course's stored exam rules; None when nobody has set any."""
    stored = stored_settings(course)
    return None if stored is None else rules_of(stored)
