"""A course's exam rules, and the exam pool they draw from."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import select

from bootcamp.audit import record_audit
from bootcamp.extensions import db
from bootcamp.users.models import User
from courses.bundles import ExamSpec
from courses.models import Course, Item, ItemStatus
from exams.models import ExamSettings
from exams.sampling import PoolItem, sampling_problems

EXAM_POOL = "exam"


# The editable exam settings, as a form or a course bundle gives them (with their defaults).
ExamRules = ExamSpec
RULE_NAMES = tuple(f.name for f in fields(ExamRules))


def stored_settings(course: Course) -> ExamSettings | None:
    return db.session.scalar(select(ExamSettings).where(ExamSettings.course_id == course.id))


def settings_for(course: Course) -> ExamSettings:
    """The course's settings; the defaults (not yet stored) when nobody has set any."""
    stored = stored_settings(course)
    if stored is not None:
        return stored
    values = {name: getattr(ExamRules(), name) for name in RULE_NAMES}
    return ExamSettings(course_id=course.id, **values)


def rules_of(settings: ExamSettings) -> ExamRules:
    values = {name: getattr(settings, name) for name in RULE_NAMES}
    return ExamRules(**{**values, "quotas": dict(settings.quotas or {})})


def rule_problems(rules: ExamRules) -> list[str]:
    """What is wrong with the settings themselves, whatever the pool holds."""
    problems = []
    if not 1 <= rules.item_count <= 500:
        problems.append("The number of items must be between 1 and 500.")
    if not 0.0 < rules.pass_mark <= 1.0:
        problems.append("The pass mark must be more than 0% and at most 100%.")
    if rules.time_limit_seconds is not None and not 60 <= rules.time_limit_seconds <= 86400:
        problems.append("The time limit must be between 1 minute and 24 hours.")
    if rules.attempts_allowed is not None and not 1 <= rules.attempts_allowed <= 100:
        problems.append("Attempts allowed must be between 1 and 100.")
    if not 0 <= rules.retry_delay_seconds <= 365 * 86400:
        problems.append("The retry delay must be between 0 and 365 days.")
    if rules.validity_days is not None and not 1 <= rules.validity_days <= 3650:
        problems.append("Validity must be between 1 and 3650 days.")
    if not 1 <= rules.refresh_item_count <= 500:
        problems.append("The refresh exam needs between 1 and 500 items.")
    if not 0 <= rules.refresh_grace_days <= 365:
        problems.append("The grace period must be between 0 and 365 days.")
    for section, count in rules.quotas.items():
        if type(count) is not int or count < 1:
            problems.append(f"The quota for section {section!r} must be a whole number above 0.")
    return problems


def save_settings(course: Course, rules: ExamRules, actor: User | None) -> ExamSettings:
    """Store new exam rules (checked by the caller with rule_problems); audit what changed."""
    settings = stored_settings(course)
    if settings is None:
        settings = settings_for(course)
        db.session.add(settings)
    before = rules_of(settings)
    for name in RULE_NAMES:
        value = getattr(rules, name)
        setattr(settings, name, dict(value) if name == "quotas" else value)
    changed = [name for name in RULE_NAMES if getattr(before, name) != getattr(rules, name)]
    if changed or settings.id is None:
        record_audit("exam_settings_changed", actor_id=actor.id if actor else None,
                     target=f"course:{course.id}",
                     data={name: getattr(rules, name) for name in changed})
    db.session.flush()
    return settings


def exam_pool(course: Course, sections: set[str] | None = None) -> list[PoolItem]:
    """The active items of the exam pool in bank order; only those testing `sections` if given."""
    rows = db.session.execute(
        select(Item.id, Item.sections, Item.pools)
        .where(Item.course_id == course.id, Item.status == ItemStatus.ACTIVE)
        .order_by(Item.position, Item.id)
    ).all()
    return [PoolItem(item_id, tuple(item_sections)) for item_id, item_sections, pools in rows
            if EXAM_POOL in pools and (sections is None or sections.intersection(item_sections))]


def readiness_problems(course: Course, settings: ExamSettings) -> list[str]:
    """Why no attempt can start now (empty when the exam is ready)."""
    return sampling_problems(exam_pool(course), settings.item_count, settings.quotas or {})


def exam_items_in_practice(course: Course) -> list[str]:
    """Keys of active exam items that are practice items too: their gold is no secret."""
    rows = db.session.execute(
        select(Item.key, Item.pools)
        .where(Item.course_id == course.id, Item.status == ItemStatus.ACTIVE)
        .order_by(Item.position, Item.id)).all()
    return [key for key, pools in rows if EXAM_POOL in pools and "practice" in pools]
