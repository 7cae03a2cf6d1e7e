"""Attempts: starting (sampling and a server-side deadline), autosaving answers, grading.

Locks, so that limits hold under concurrent requests: every start and submit first locks the
trainee's qualification row (exams.services.qualifications.locked), then the attempt row;
saving an answer locks the attempt row only. A partial unique index allows one open attempt
per trainee and course, and attempt numbers are unique per cycle, should a lock be missed.

Services never commit (the view or the sweep does) and reads never write: an attempt whose
deadline passed stays open until the sweep (exams.views.sweep) closes it with
close_if_expired, or its trainee submits.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

import graders
from bootcamp.events import record_event
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses.models import Course, CourseStatus, Item
from courses.services import items as item_bank
from courses.services import manuals, practice
from exams import blocks, grading
from exams.models import Attempt, AttemptKind, AttemptState, Qualification, Response
from exams.sampling import PoolItem, SamplingError, draw_block, sample, sampling_problems
from exams.services import item_stats, qualifications
from exams.services.qualifications import Status
from exams.services.settings import exam_pool, sequential_rules, settings_for

# Saves that left the browser before the deadline may arrive a little after it.
SAVE_GRACE = timedelta(seconds=10)
# Items of unknown facility a sequential attempt draws whatever the known ones could give:
# one, so that each attempt measures a new item while the test rests on known ones (drawn
# only known-first, a new item would never be answered: docs/exams.md, "Unequal difficulty").
TRIAL_ITEMS = 1
_SCORE_COLUMNS = ("item_revision", "points", "correct", "details")


class StartRefused(ValueError):
    """No attempt can start now; the message says why, `retry_at` when one can."""

    def __init__(self, message: str, retry_at: datetime | None = None):
        super().__init__(message)
        self.retry_at = retry_at


class AttemptClosed(ValueError):
    """The attempt is graded, or its time is up: answers can no longer change."""


class ItemLocked(ValueError):
    """The item was in a block of a sequential attempt that is decided on already."""


@dataclass(frozen=True)
class Standing:
    """What a trainee may do about the exam now, for the exam page."""

    status: Status
    kind: AttemptKind | None  # the exam they would take (None when none applies)
    open_attempt: Attempt | None
    refusal: str | None  # why they cannot start one now
    retry_at: datetime | None
    attempts_used: int
    attempts_allowed: int | None

    @property
    def can_start(self) -> bool:
        return self.open_attempt is None and self.refusal is None

    @property
    def is_refresh(self) -> bool:
        """The exam they would take is a refresh exam."""
        return self.kind is AttemptKind.REFRESH

    @property
    def attempts_left(self) -> int | None:
        if self.attempts_allowed is None or self.kind != AttemptKind.QUALIFICATION:
            return None
        return max(self.attempts_allowed - self.attempts_used, 0)


def open_attempt(user_id: int, course_id: int) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(
        Attempt.user_id == user_id, Attempt.course_id == course_id,
        Attempt.state == AttemptState.OPEN))


def open_attempts(user_id: int, course_ids: Sequence[int]) -> dict[int, Attempt]:
    """The trainee's open attempt in each of these courses that has one (one query)."""
    return {attempt.course_id: attempt for attempt in db.session.scalars(
        _open_attempts_query(), {"user_id": user_id, "course_ids": list(course_ids)})}


@cache
def _open_attempts_query() -> Select:
    """Built once: every course page asks it."""
    return select(Attempt).where(
        Attempt.user_id == bindparam("user_id"),
        Attempt.course_id.in_(bindparam("course_ids", expanding=True)),
        Attempt.state == AttemptState.OPEN)


def attempts_of(user_id: int, course_id: int) -> list[Attempt]:
    """Every attempt of the trainee in the course, newest first."""
    return list(db.session.scalars(
        select(Attempt).where(Attempt.user_id == user_id, Attempt.course_id == course_id)
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())))


def _last_failed(qualification: Qualification) -> Attempt | None:
    """The latest failed attempt of the cycle: the retry delay runs from its submission."""
    return db.session.scalar(
        select(Attempt).where(
            Attempt.user_id == qualification.user_id,
            Attempt.course_id == qualification.course_id,
            Attempt.cycle == qualification.cycle, Attempt.state == AttemptState.GRADED,
            Attempt.passed.is_(False))
        .order_by(Attempt.submitted_at.desc(), Attempt.id.desc()).limit(1))


def _refusal(qualification: Qualification | None, course: Course,
             now: datetime) -> tuple[AttemptKind | None, str | None, datetime | None, int]:
    """(kind, refusal, retry_at, attempts used) for a trainee's next attempt."""
    settings = settings_for(course)
    if course.status != CourseStatus.OPEN:
        return None, "This course is closed: its exam cannot be taken.", None, 0
    if qualification is None:
        return AttemptKind.QUALIFICATION, None, None, 0
    status = qualification.status
    if status == Status.QUALIFIED:
        return None, "You are qualified: there is no exam to take.", None, 0
    if status == Status.REVOKED:
        return None, "Your qualification was revoked. Ask your instructor.", None, 0
    kind = next_kind(status)
    used = qualifications.attempts_used(qualification, kind)
    if exhausted(status, kind, used, settings.attempts_allowed):
        return kind, (f"You have used all {settings.attempts_allowed} attempts. Ask your "
                      "instructor for another round."), None, used
    last = _last_failed(qualification)
    retry_at = retry_time(last.submitted_at if last else None, settings.retry_delay_seconds, now)
    if retry_at is not None:
        return kind, "Your next attempt opens after the retry delay.", retry_at, used
    return kind, None, None, used


def next_kind(status: Status) -> AttemptKind:
    """The exam a trainee with a record in `status` would take next."""
    return AttemptKind.REFRESH if status == Status.NEEDS_REFRESH else AttemptKind.QUALIFICATION


def exhausted(status: Status, kind: AttemptKind, used: int, allowed: int | None) -> bool:
    """No attempt is left in the cycle (refresh exams are not counted)."""
    return status == Status.FAILED or (kind is AttemptKind.QUALIFICATION
                                       and allowed is not None and used >= allowed)


def retry_time(last_failed_at: datetime | None, delay_seconds: int,
               now: datetime) -> datetime | None:
    """When the retry delay after the cycle's latest failed attempt ends; None once it has.
    Pure, like next_kind and exhausted: the platform API feeds them batched rows."""
    if last_failed_at is None:
        return None
    retry_at = last_failed_at + timedelta(seconds=delay_seconds)
    return retry_at if now < retry_at else None


def refresh_pool(course: Course, qualification: Qualification) -> list[PoolItem]:
    """What a refresh exam draws from: the items on the sections that changed, or the whole
    pool when none of them has one."""
    return exam_pool(course, set(qualification.refresh_sections)) or exam_pool(course)


def standing(user: User, course: Course, now: datetime | None = None) -> Standing:
    now = now or utcnow()
    status, qualification = qualifications.standing(user.id, course.id)
    kind, refusal, retry_at, used = _refusal(qualification, course, now)
    return Standing(status, kind, open_attempt(user.id, course.id), refusal, retry_at, used,
                    settings_for(course).attempts_allowed)


def start(user: User, course: Course, *, now: datetime | None = None,
          rng: random.Random | None = None) -> Attempt:
    """Start an attempt, or return the open one; StartRefused when none may start now."""
    now = now or utcnow()
    qualification, created = qualifications.locked(user.id, course.id)
    if created:
        qualifications.transition(qualification, Status.IN_TRAINING, "Started the exam.",
                                  before=Status.NOT_STARTED, now=now)
    qualifications.expire_if_due(qualification, now)
    current = open_attempt(user.id, course.id)
    if current is not None:
        return current
    kind, refusal, retry_at, used = _refusal(qualification, course, now)
    if refusal is not None:
        raise StartRefused(refusal, retry_at)
    version = manuals.latest_version(course)
    if version is None:
        raise StartRefused("The exam is not ready yet: the course has no published manual.")
    settings = settings_for(course)
    rules = sequential_rules(settings) if kind is AttemptKind.QUALIFICATION else None
    if kind is AttemptKind.REFRESH:
        pool = refresh_pool(course, qualification)
        count, quotas = min(settings.refresh_item_count, len(pool)), {}
    else:
        pool, count, quotas = exam_pool(course), settings.item_count, settings.quotas or {}
    plan = (blocks.Plan(rules, dict(quotas), shuffle=settings.shuffle)
            if rules is not None else None)
    try:
        chosen = (_first_block(pool, plan, rng or random.SystemRandom(),
                               item_stats.known_items(course))
                  if plan is not None else
                  sample(pool, count, quotas, rng or random.SystemRandom(),
                         shuffle=settings.shuffle))
    except SamplingError as error:
        raise StartRefused(f"The exam is not ready yet: {error}") from error
    limit = settings.time_limit_seconds
    attempt = Attempt(
        user_id=user.id, course_id=course.id, kind=kind, cycle=qualification.cycle,
        number=used + 1, manual_version_id=version.id, state=AttemptState.OPEN,
        started_at=now, deadline=now + timedelta(seconds=limit) if limit else None,
        pass_mark=settings.pass_mark, critical_rule=settings.critical_rule, critical_missed=[],
        sequential=plan.snapshot() if plan is not None else None,
        responses=[Response(position=n, item_id=item_id, answer_seq=0)
                   for n, item_id in enumerate(chosen, start=1)],
    )
    db.session.add(attempt)
    db.session.flush()
    record_event("exam_started", user_id=user.id, course_id=course.id, data={
        "attempt": attempt.id, "kind": str(kind), "number": attempt.number,
        "items": len(chosen), "version": version.number}).created_at = now
    return attempt


def _first_block(pool: list[PoolItem], plan: blocks.Plan, rng: random.Random,
                 known: frozenset[int]) -> list[int]:
    """The first block of a sequential attempt: one trial item of unknown facility if there
    is one (TRIAL_ITEMS), then items of known facility first; SamplingError unless the pool
    can give the test all its items (max_items, quotas met)."""
    problems = sampling_problems(pool, plan.rules.max_items, plan.quotas)
    if problems:
        raise SamplingError(" ".join(problems))
    return draw_block(pool, [], plan.next_size(0), plan.quotas, rng, shuffle=bool(plan.shuffle),
                      known=known, trials=TRIAL_ITEMS)


def lock_attempt(attempt_id: int) -> Attempt | None:
    """The attempt, locked (SELECT ... FOR UPDATE) until the transaction ends, read afresh."""
    return db.session.scalar(_lock_query(), {"attempt_id": attempt_id})


@cache
def _lock_query() -> Select:
    """Built once: every autosave asks it."""
    return (select(Attempt).where(Attempt.id == bindparam("attempt_id")).with_for_update()
            .execution_options(populate_existing=True))


def is_past_deadline(attempt: Attempt, now: datetime, grace: timedelta = timedelta(0)) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + grace


def save_answer(attempt: Attempt, position: int, answer: Any, seq: int,
                now: datetime | None = None) -> Response:
    """Keep the answer unless a newer one (higher seq) is already saved; idempotent.

    Raises LookupError for an unknown position, AttemptClosed after the deadline (plus a
    short grace for saves in flight) or once graded, ItemLocked for an item of a block of a
    sequential attempt already decided on, practice.AnswerRefused when malformed.
    """
    return save_locked_answer(lock_attempt(attempt.id), position, answer, seq, now)


def save_locked_answer(attempt: Attempt, position: int, answer: Any, seq: int,
                       now: datetime | None = None) -> Response:
    """save_answer for an attempt this transaction has locked (lock_attempt): the autosave
    takes one lock, reads the response with its item and updates it, nothing more."""
    now = now or utcnow()
    if not attempt.is_open or is_past_deadline(attempt, now, SAVE_GRACE):
        raise AttemptClosed("This attempt is closed: its time is up or it was submitted.")
    row = db.session.execute(_response_query(),
                             {"attempt_id": attempt.id, "position": position}).first()
    if row is None:
        raise LookupError(f"attempt {attempt.id} has no item {position}")
    response, item, count = row
    if attempt.is_sequential and position < blocks.Plan.of(attempt.sequential).block_start(count):
        raise ItemLocked(f"Item {position} was in a block that is graded already: its answer "
                         "can no longer change.")
    if answer is not None:
        practice.refuse_malformed(item, answer)
    if seq > response.answer_seq:
        response.answer, response.answer_seq, response.saved_at = answer, seq, now
    db.session.flush()
    return response


@cache
def _response_query() -> Select:
    """Built once, for every autosave: the response with its item, and the count of the
    items drawn so far."""
    drawn = aliased(Response)
    return (select(Response, Item, select(func.count()).select_from(drawn)
                   .where(drawn.attempt_id == bindparam("attempt_id")).scalar_subquery())
            .join(Item, Item.id == Response.item_id)
            .where(Response.attempt_id == bindparam("attempt_id"),
                   Response.position == bindparam("position")))


def score_response(item: Item, answer: Any) -> graders.Score:
    """The answer's score under the item's current gold; nothing answered scores nothing."""
    if answer is None:
        return graders.Score(0.0, False, {"unanswered": True})
    try:
        return item_bank.score_answer(item.kind, item.spec, item.gold, item.alternatives or [],
                                      answer)
    except graders.ScoringError as error:  # the spec changed since: the answer no longer fits
        return graders.Score(0.0, False, {"invalid": str(error)})


def graded_items(attempt: Attempt) -> list[tuple[Response, Item]]:
    return list(db.session.execute(_graded_items_query(), {"attempt_id": attempt.id}))


@cache
def _graded_items_query() -> Select:
    """Built once: the exam page asks it."""
    return (select(Response, Item).join(Item, Item.id == Response.item_id)
            .where(Response.attempt_id == bindparam("attempt_id")).order_by(Response.position))


def grade(attempt: Attempt) -> grading.AttemptResult:
    """Score every response with the graders and store the attempt's result (for a
    sequential attempt, the test's verdict on its answers in order: exams.blocks).

    One query loads the responses and their items, scoring is in memory, and one executemany
    UPDATE writes the results: the statements do not grow with the items. The loaded
    responses also fill `attempt.responses`, which nothing then loads again.
    """
    rows = graded_items(attempt)
    set_committed_value(attempt, "responses", [response for response, _ in rows])
    graded, results = scored(rows)
    _store_scores(rows, results)
    if attempt.is_sequential:
        result = _sequential_result(attempt, graded)
    else:
        result = grading.grade(graded, attempt.pass_mark, attempt.critical_rule)
    attempt.score, attempt.passed = result.score, result.passed
    attempt.critical_missed = list(result.critical_missed)
    return result


def scored(rows: list[tuple[Response, Item]]) -> tuple[list[grading.Graded],
                                                       list[dict[str, Any]]]:
    """The responses scored under their items' current gold: graded items, and the values
    to store on each response."""
    graded, results = [], []
    for response, item in rows:
        score = score_response(item, response.answer)
        results.append({"id": response.id, "item_revision": item.revision,
                        "points": score.points, "correct": score.correct,
                        "details": score.details})
        graded.append(grading.Graded(item.key, tuple(item.sections), item.critical,
                                     score.points, score.correct))
    return graded, results


def _sequential_result(attempt: Attempt,
                       graded: list[grading.Graded]) -> grading.AttemptResult:
    """A closing sequential attempt's result: the verdict on its answers in order, over the
    items it used (later ones are kept but do not count); stores the items and the ratio."""
    verdict = blocks.verdict(blocks.Plan.of(attempt.sequential), graded, attempt.critical_rule,
                             final=True)
    attempt.decision_items, attempt.decision_llr = verdict.items, round(verdict.llr, 6)
    used = graded[:verdict.items]
    return grading.AttemptResult(
        verdict.score, bool(verdict.passed),
        tuple(g.key for g in used if g.critical and not g.correct),
        grading.by_section(used), len(used), grading.partition(used))


def _store_scores(rows: list[tuple[Response, Item]], results: list[dict[str, Any]]) -> None:
    """Write the responses' scores as one bulk UPDATE by primary key, which skips the unit of
    work's per-object bookkeeping, and set the same values on the loaded responses, as
    committed, so that they read like the rows they now are."""
    if not results:
        return
    db.session.execute(update(Response), results)
    for (response, _), values in zip(rows, results, strict=True):
        for key in _SCORE_COLUMNS:
            set_committed_value(response, key, values[key])


def stored_grades(rows: list[tuple[Response, Item]]) -> list[grading.Graded]:
    """Graded items from the scores stored on a graded attempt's responses."""
    return [grading.Graded(item.key, tuple(item.sections), item.critical,
                           response.points or 0.0, bool(response.correct))
            for response, item in rows]


def result_of(attempt: Attempt, rows: list[tuple[Response, Item]] | None = None,
              order: Sequence[str] = ()) -> grading.AttemptResult:
    """The stored result of a graded attempt, with its breakdowns (`rows`: its graded_items,
    when the caller has them already; `order`: the manual's section ids)."""
    rows = rows if rows is not None else graded_items(attempt)
    if attempt.decision_items is not None:  # a sequential attempt: the items its test used
        rows = rows[:attempt.decision_items]
    graded = stored_grades(rows)
    return grading.AttemptResult(attempt.score or 0.0, bool(attempt.passed),
                                 tuple(attempt.critical_missed), grading.by_section(graded),
                                 len(graded), grading.partition(graded, order))


def item_counts(attempt_ids: Collection[int]) -> dict[int, int]:
    """How many items each attempt has (a score is shown only from grading.MIN_GROUP)."""
    if not attempt_ids:
        return {}
    return dict(db.session.execute(
        select(Response.attempt_id, func.count()).where(Response.attempt_id.in_(attempt_ids))
        .group_by(Response.attempt_id)).all())


def submit(attempt: Attempt, closed_by: str = "trainee", now: datetime | None = None) -> Attempt:
    """Grade the attempt once: a second submit (or a late sweep) finds it graded already."""
    now = now or utcnow()
    qualification, _ = qualifications.locked(attempt.user_id, attempt.course_id)
    attempt = lock_attempt(attempt.id)
    if not attempt.is_open:
        return attempt
    grade(attempt)
    # Time ran out at the deadline, however late the page or the sweep noticed it.
    closed_at = attempt.deadline if closed_by == "deadline" and attempt.deadline else now
    attempt.state, attempt.submitted_at, attempt.closed_by = (
        AttemptState.GRADED, min(closed_at, now), closed_by)
    record_event("exam_submitted", user_id=attempt.user_id, course_id=attempt.course_id, data={
        "attempt": attempt.id, "kind": str(attempt.kind), "number": attempt.number,
        "score": attempt.score, "passed": attempt.passed, "closed_by": closed_by,
        "critical_missed": list(attempt.critical_missed),
        **({"decision_items": attempt.decision_items, "decision_llr": attempt.decision_llr}
           if attempt.is_sequential else {})}).created_at = now
    qualifications.apply_result(qualification, attempt, now=now)
    db.session.flush()
    return attempt


def close_if_expired(attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Submit an open attempt whose deadline has passed, with what was saved."""
    now = now or utcnow()
    if attempt.is_open and is_past_deadline(attempt, now):
        return submit(attempt, closed_by="deadline", now=now)
    return attempt


def expired(now: datetime, user_id: int | None = None) -> list[Attempt]:
    """Open attempts whose time is up, for the sweep to close: everyone's once the save grace
    has passed too (saves in flight may still land), or one trainee's at the deadline itself
    (before their page shows)."""
    return list(db.session.scalars(expired_query(now, user_id)))


def expired_query(now: datetime, user_id: int | None = None) -> Select:
    """The query of `expired`."""
    query = select(Attempt).where(Attempt.state == AttemptState.OPEN)
    if user_id is None:
        return query.where(Attempt.deadline < now - SAVE_GRACE)
    return query.where(Attempt.user_id == user_id, Attempt.deadline < now)
