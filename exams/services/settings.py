"""A course's exam rules, and the exam pool they draw from."""

from __future__ import annotations

from dataclasses import fields
from functools import cache

from sqlalchemy import Select, bindparam, select

from bootcamp.audit import record_audit
from bootcamp.extensions import db
from bootcamp.users.models import User
from courses.models import Course, Item, ItemStatus
from courses.services.items import Outline, active_outlines
from exams.grading import MIN_GROUP
from exams.models import ExamSettings
from exams.rules import DEFAULTS, ExamRules
from exams.rules import problems as rule_problems  # noqa: F401  (checked before saving)
from exams.sampling import PoolItem, sampling_problems
from exams.sequential import SequentialRules

EXAM_POOL = "exam"


# The editable exam settings (ExamRules), as a form or a course bundle gives them;
# rule_problems checks them against the bounds of exams.rules.
RULE_NAMES = tuple(f.name for f in fields(ExamRules))


def stored_settings(course: Course) -> ExamSettings | None:
    return db.session.scalar(_settings_query(), {"course_id": course.id})


@cache
def _settings_query() -> Select:
    """Built once: the course and exam pages ask it."""
    return select(ExamSettings).where(ExamSettings.course_id == bindparam("course_id"))


def settings_for(course: Course) -> ExamSettings:
    """The course's settings; the defaults (not yet stored) when nobody has set any."""
    stored = stored_settings(course)
    if stored is not None:
        return stored
    values = {name: getattr(DEFAULTS, name) for name in RULE_NAMES}
    return ExamSettings(course_id=course.id, **values)


def rules_of(settings: ExamSettings) -> ExamRules:
    values = {name: getattr(settings, name) for name in RULE_NAMES}
    return ExamRules(**{**values, "quotas": dict(settings.quotas or {}),
                        "result_detail": str(settings.result_detail)})


def sequential_rules(settings: ExamSettings) -> SequentialRules | None:
    """The sequential test the settings ask for; None for a fixed exam. Delivery reads the
    settings' mode and sequential fields only through this."""
    if settings.mode != "sequential":
        return None
    return rules_of(settings).sequential_rules()


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


def exam_pool(course: Course, sections: set[str] | None = None,
              outlines: list[Outline] | None = None) -> list[PoolItem]:
    """The active items of the exam pool in bank order; only those testing `sections` if given.
    From `outlines` (courses.services.items.active_outlines of the course) when the page has
    them, else one query."""
    outlines = active_outlines([course.id]) if outlines is None else outlines
    return [PoolItem(item.id, tuple(item.sections)) for item in outlines
            if EXAM_POOL in item.pools
            and (sections is None or sections.intersection(item.sections))]


def readiness_problems(course: Course, settings: ExamSettings,
                       outlines: list[Outline] | None = None) -> list[str]:
    """Why no attempt can start now (empty when the exam is ready): a sequential exam needs
    its most items. `outlines` as for exam_pool."""
    test = sequential_rules(settings)
    count = settings.item_count if test is None else test.max_items
    return sampling_problems(exam_pool(course, outlines=outlines), count, settings.quotas or {})


def exam_items_in_practice(course: Course) -> list[tuple[str, bool]]:
    """(key, critical) of active exam items that are practice items too: practice feedback
    shows their gold, so the exam gives them away."""
    rows = db.session.execute(
        select(Item.key, Item.pools, Item.critical)
        .where(Item.course_id == course.id, Item.status == ItemStatus.ACTIVE)
        .order_by(Item.position, Item.id)).all()
    return [(key, critical) for key, pools, critical in rows
            if EXAM_POOL in pools and "practice" in pools]


POOL_FACTOR = 3  # a pool this many times an attempt's items keeps retakes from repeating much


def disclosure_warnings(settings: ExamSettings, pool_size: int) -> list[str]:
    """Settings under which results, put together, could give exam gold away."""
    warnings = []
    if pool_size < POOL_FACTOR * settings.item_count:
        warnings.append(
            f"The exam pool holds {pool_size} item{'' if pool_size == 1 else 's'}, fewer than "
            f"{POOL_FACTOR} times the {settings.item_count} an attempt draws: trainees who "
            "retake the exam meet the same items again and can piece their answers together "
            "from their results. Add exam items, or draw fewer per attempt.")
    small = [f"{label} draws {count}" for label, count in (
        ("an attempt", settings.item_count), ("a refresh exam", settings.refresh_item_count))
        if count < MIN_GROUP]
    if small:
        warnings.append(
            f"{' and '.join(small).capitalize()}: the result of an exam of fewer than "
            f"{MIN_GROUP} items shows only passed or not passed, because its score would tell "
            "which answers were right.")
    return warnings
