"""Practice: modules of practice items, answering them with instant feedback, and mastery.

Every answer is scored against the item's current gold, stored with the gold revision it was
scored with and with how it counts toward mastery (its round, whether it was a first try, whether
it ended the round: courses.practice_modules.place), and recorded as a "practice_answered"
event. Mastery is read from each trainee's per-module summary (courses.models.PracticeSummary),
which every flush of answers keeps equal to the computation from the stored answers; the
dashboards read the same rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, select

import graders
from bootcamp.events import record_event
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses import kinds
from courses.models import Course, Item, ItemStatus, PracticeAnswer, PracticeSummary
from courses.practice_modules import (
    MASTERY_SHARE,
    Module,
    Round,
    Standing,
    Try,
    group_into_modules,
    module_of,
    place,
)
from courses.services import items, manuals

PRACTICE_POOL = "practice"
Keyed = tuple[str, list[str]]  # a practice item's key and the manual sections it tests
_ANSWER_PATH = re.compile(r"answer(?:\[(\d+)\])?\.?(.*)")


class AnswerRefused(ValueError):
    """An answer that cannot be scored; the message is meant for the trainee."""


@dataclass(frozen=True)
class ModuleProgress:
    """One trainee's standing in one practice module."""

    module: Module
    answered: int  # distinct items of the module answered at least once
    solved: int  # distinct items of the module answered correctly at least once
    standing: Standing

    @property
    def total(self) -> int:
        return len(self.module.item_keys)


def modules(course: Course, outlines: list[items.Outline] | None = None) -> list[Module]:
    """The course's practice modules: one per manual section its practice items test first
    (items from `outlines`, items.active_outlines, when the page has them)."""
    return modules_of([course], practice_items([course.id], outlines))[course.id]


def modules_of(courses: Sequence[Course], keyed: dict[int, list[Keyed]] | None = None,
               ) -> dict[int, list[Module]]:
    """modules of many courses: one query for their items (none when `keyed`, their
    practice_items, is given), one for their latest versions."""
    keyed = practice_items([course.id for course in courses]) if keyed is None else keyed
    latest = manuals.latest_versions([course.id for course in courses])
    found = {}
    for course in courses:
        titles = latest[course.id].section_titles if latest[course.id] else {}
        found[course.id] = group_into_modules(list(titles.items()), keyed.get(course.id, []))
    return found


def practice_items(course_ids: Sequence[int], outlines: list[items.Outline] | None = None,
                   ) -> dict[int, list[Keyed]]:
    """Per course, the (key, sections) of its active practice items in bank order, from
    `outlines` (items.active_outlines) or one query: what its modules are made of, and
    whether it has practice at all."""
    outlines = items.active_outlines(course_ids) if outlines is None else outlines
    found: dict[int, list[Keyed]] = {course_id: [] for course_id in course_ids}
    for item in outlines:
        if PRACTICE_POOL in item.pools:
            found[item.course_id].append((item.key, item.sections))
    return found


def find_module(course: Course, module_id: str) -> Module | None:
    return next((module for module in modules(course) if module.id == module_id), None)


def practice_item(course: Course, key: str) -> Item | None:
    """An active item of the practice pool, by its key."""
    item = items.find_item(course, key)
    if item is None or item.status != ItemStatus.ACTIVE or PRACTICE_POOL not in item.pools:
        return None
    return item


def has_practice(course: Course) -> bool:
    """True when the course has at least one active practice item."""
    return course.id in with_practice([course.id])


def with_practice(course_ids: Sequence[int]) -> set[int]:
    """Which of these courses have at least one active practice item (one query)."""
    return {course_id for course_id, keyed in practice_items(course_ids).items() if keyed}


def _friendly(kind: str, error: graders.ScoringError) -> str:
    """A ScoringError about an answer, worded for the person who gave it."""
    match = _ANSWER_PATH.fullmatch(error.path)
    if match is None:
        return f"Your answer could not be checked: {error}."
    index, rest = match.groups()
    where = f"{kinds.kind_of(kind).part} {int(index) + 1}" if index else "the answer"
    if rest:
        where += f" ({rest})"
    return f"Your answer could not be checked: {where} {error.message}."


def refuse_malformed(item: Item, raw_answer: Any) -> None:
    """AnswerRefused, worded for the trainee, unless the answer is well formed for the item."""
    try:
        graders.validate_answer(item.kind, item.spec, raw_answer)
    except graders.ScoringError as error:
        if not error.path.startswith("answer"):
            raise  # the item itself is broken: a bug, not the trainee's fault
        raise AnswerRefused(_friendly(item.kind, error)) from error


def check_answer(item: Item, raw_answer: Any) -> graders.Score:
    """Score an answer against the item's current gold; AnswerRefused when it is malformed."""
    refuse_malformed(item, raw_answer)
    return items.score_answer(item.kind, item.spec, item.gold, item.alternatives, raw_answer)


def answer_item(user: User, course: Course, item: Item, raw_answer: Any, *,
                now: datetime | None = None, found: list[Module] | None = None,
                ) -> PracticeAnswer:
    """Score, store and record one practice answer; AnswerRefused stores nothing. `now`
    dates it (a generated history); it defaults to the present. `found`: the course's
    modules when the caller has them."""
    now = now or utcnow()
    score = check_answer(item, raw_answer)
    module = module_of(modules(course) if found is None else found, item.key)
    module_id = module.id if module else ""
    placed = how_a_try_counts(user, course, module, item.key) if module else Try(1, False, False)
    answer = PracticeAnswer(
        user_id=user.id, course_id=course.id, item_id=item.id, item_revision=item.revision,
        module=module_id, answer=raw_answer, points=score.points, correct=score.correct,
        details=score.details, created_at=now, round_number=placed.round,
        counts=placed.counts, ends_round=placed.ends_round,
    )
    db.session.add(answer)
    record_event("practice_answered", user_id=user.id, course_id=course.id, data={
        "item": item.key, "module": module_id, "points": score.points,
        "correct": score.correct, "revision": item.revision,
    }).created_at = now
    db.session.flush()
    return answer


def solved_keys(user: User, course: Course) -> tuple[set[str], set[str]]:
    """Keys of the items this trainee has answered, and of those answered correctly."""
    rows = db.session.execute(_solved_query(),
                              {"user_id": user.id, "course_id": course.id}).all()
    return {key for key, _ in rows}, {key for key, solved in rows if solved}


@cache
def _solved_query() -> Select:
    """Built once: the practice pages ask it."""
    return (select(Item.key, func.max(case((PracticeAnswer.correct, 1), else_=0)))
            .join(Item, Item.id == PracticeAnswer.item_id)
            .where(PracticeAnswer.user_id == bindparam("user_id"),
                   PracticeAnswer.course_id == bindparam("course_id"))
            .group_by(Item.key))


def current_round(user: User, course: Course, module: Module) -> tuple[Round, str | None]:
    """The trainee's open round of the module, and the item of their latest practice answer
    in the course (a try straight after it at the same item never counts): one query, and one
    more for the items tried when the round is open."""
    previous, number, ended = db.session.execute(_latest_query(), {
        "user_id": user.id, "course_id": course.id, "module": module.id}).one()
    if number is None:
        return Round(), previous
    if ended:
        return Round(number + 1), previous
    tried = db.session.scalars(_tried_query(), {
        "user_id": user.id, "course_id": course.id, "module": module.id, "number": number})
    return Round(number, frozenset(tried)), previous


@cache
def _latest_query() -> Select:
    """current_round's first statement (bound parameters user_id, course_id, module): the key
    of the trainee's latest answer in the course, the round of their latest in the module and
    whether it ended that round. Built once per process: it is asked on every practice page."""
    order = (PracticeAnswer.created_at.desc(), PracticeAnswer.id.desc())
    mine = (PracticeAnswer.user_id == bindparam("user_id"),
            PracticeAnswer.course_id == bindparam("course_id"))

    def latest_in_module(column) -> ColumnElement:
        return (select(column).where(*mine, PracticeAnswer.module == bindparam("module"))
                .order_by(*order).limit(1).scalar_subquery())

    return select(
        select(Item.key).join(PracticeAnswer, PracticeAnswer.item_id == Item.id)
        .where(*mine).order_by(*order).limit(1).scalar_subquery(),
        latest_in_module(PracticeAnswer.round_number),
        latest_in_module(PracticeAnswer.ends_round))


@cache
def _tried_query() -> Select:
    """current_round's second statement: the keys tried in the open round, built once."""
    return (select(Item.key).join(PracticeAnswer, PracticeAnswer.item_id == Item.id)
            .where(PracticeAnswer.user_id == bindparam("user_id"),
                   PracticeAnswer.course_id == bindparam("course_id"),
                   PracticeAnswer.module == bindparam("module"),
                   PracticeAnswer.round_number == bindparam("number"), PracticeAnswer.counts))


def how_a_try_counts(user: User, course: Course, module: Module, key: str) -> Try:
    """How the trainee's next answer to `key` would count toward mastering its module."""
    current, previous = current_round(user, course, module)
    return place(module.item_keys, current, key, previous)


def summary_mastered() -> ColumnElement[bool]:
    """Mastery's rule on a PracticeSummary row, in SQL, for every trainee at once: enough
    first tries right in the latest finished round (courses.practice_modules.needed)."""
    return and_(PracticeSummary.round_items > 0,
                PracticeSummary.round_correct * MASTERY_SHARE.denominator
                >= PracticeSummary.round_items * MASTERY_SHARE.numerator)


def standings(user: User, course: Course, found: list[Module]) -> dict[str, Standing]:
    """Per module: the trainee's mastery, from their kept summaries (one query)."""
    rows = {row.module: row for row in db.session.scalars(
        _summaries_query(), {"user_id": user.id, "course_id": course.id})}
    return {module.id: Standing(len(module.item_keys), *(
        (row.rounds_done, row.round_items, row.round_correct, row.open_tried)
        if (row := rows.get(module.id)) else ()))
        for module in found}


@cache
def _summaries_query() -> Select:
    """Built once: the course and practice pages ask it."""
    return select(PracticeSummary).where(PracticeSummary.user_id == bindparam("user_id"),
                                         PracticeSummary.course_id == bindparam("course_id"))


def module_progress(user: User, course: Course,
                    found: list[Module] | None = None) -> list[ModuleProgress]:
    """Every module of the course (`found`, else asked) with this trainee's progress and
    mastery."""
    answered, solved = solved_keys(user, course)
    found = modules(course) if found is None else found
    mastery = standings(user, course, found)
    return [
        ModuleProgress(
            module=module,
            answered=len(answered.intersection(module.item_keys)),
            solved=len(solved.intersection(module.item_keys)),
            standing=mastery[module.id],
        )
        for module in found
    ]


def mastered_count(user: User, course: Course,
                   found: list[Module] | None = None) -> tuple[int, int]:
    """Modules mastered and modules in all (`found`, else the course's), from the kept
    summaries: one query, and two more for the modules when not given."""
    found = modules(course) if found is None else found
    return mastered_counts(user, {course.id: found})[course.id]


def mastered_counts(user: User, found: dict[int, list[Module]]) -> dict[int, tuple[int, int]]:
    """mastered_count in many courses (course id -> its modules), in one query."""
    mastered = {(course_id, module) for course_id, module in db.session.execute(
        _mastered_query(), {"user_id": user.id, "course_ids": list(found)}).all()}
    return {course_id: (sum((course_id, module.id) in mastered for module in course_modules),
                        len(course_modules))
            for course_id, course_modules in found.items()}


@cache
def _mastered_query() -> Select:
    """Built once: the course pages ask it."""
    return (select(PracticeSummary.course_id, PracticeSummary.module)
            .where(PracticeSummary.user_id == bindparam("user_id"),
                   PracticeSummary.course_id.in_(bindparam("course_ids", expanding=True)),
                   summary_mastered()))


def next_item(user: User, course: Course, module: Module) -> str:
    """The first item not yet tried in the open round, passing over the item just answered
    (a try at it straight away would not count); the first item when nothing else is left."""
    current, previous = current_round(user, course, module)
    left = [key for key in module.item_keys if key not in current.tried] or list(module.item_keys)
    return next((key for key in left if key != previous), left[0])
