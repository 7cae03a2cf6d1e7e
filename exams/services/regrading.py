"""Regrading: when an item's gold changes, every answer ever given to it is scored again.

Practice answers get their new points; graded attempts get a new score and result, and when
pass/fail flips the trainee's qualification follows, with the reason in its history and a
notice to the trainee. Runs inside the transaction that changed the gold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from bootcamp.events import record_event
from bootcamp.extensions import db
from bootcamp.types import utcnow
from courses.models import Course, Item, PracticeAnswer
from courses.signals import gold_revised
from exams import grading
from exams.models import Attempt, AttemptKind, AttemptState, Qualification, Response
from exams.services import attempts, notices, qualifications
from exams.services.qualifications import Status
from exams.services.settings import settings_for


@dataclass
class RegradeSummary:
    practice_answers: int = 0
    attempts: int = 0
    flipped: int = 0  # attempts whose pass/fail changed


def regrade_item(item: Item, reason: str) -> RegradeSummary:
    summary = RegradeSummary()
    for answer in db.session.scalars(select(PracticeAnswer).where(
            PracticeAnswer.item_id == item.id)):
        score = attempts.score_response(item, answer.answer)
        answer.points, answer.correct, answer.details = score.points, score.correct, score.details
        answer.item_revision = item.revision
        summary.practice_answers += 1
    affected = db.session.execute(
        select(Attempt.id, Attempt.user_id, Attempt.course_id)
        .join(Response, Response.attempt_id == Attempt.id)
        .where(Response.item_id == item.id, Attempt.state == AttemptState.GRADED)
        .distinct().order_by(Attempt.id)).all()
    for attempt_id, user_id, course_id in affected:
        qualification, _ = qualifications.locked(user_id, course_id)
        attempt = db.session.scalar(select(Attempt).where(Attempt.id == attempt_id)
                                    .with_for_update())
        was = (attempt.score, attempt.passed)
        items = attempts.grade(attempt).items
        summary.attempts += 1
        if (attempt.score, attempt.passed) == was:
            continue
        attempt.regraded_at = utcnow()
        record_event("attempt_regraded", user_id=user_id, course_id=course_id, data={
            "attempt": attempt.id, "item": item.key, "revision": item.revision,
            "score": [was[0], attempt.score], "passed": [was[1], attempt.passed],
            "reason": reason})
        notices.notify(user_id, course_id, _regrade_notice(attempt, items, reason))
        if attempt.passed != was[1]:
            summary.flipped += 1
            _follow_flip(qualification, attempt, reason)
        else:
            _follow_score(qualification, attempt, reason)
    db.session.flush()
    return summary


def _regrade_notice(attempt: Attempt, items: int, reason: str) -> str:
    """The trainee's notice of a regraded attempt. It names no item, and keeps the score to
    itself where the result page does (grading.disclose, grading.disclose_sequential): next
    to the score it had before, the new one would tell how that one item's right or wrong
    changed, and a sequential attempt's score counts the right answers up to the deciding
    item."""
    kind = "refresh attempt" if attempt.is_refresh else "attempt"
    outcome = "passed" if attempt.passed else "not passed"
    if attempt.is_sequential or items < grading.MIN_GROUP:
        return (f"An item of your {kind} {attempt.number} was regraded ({reason}): the "
                f"attempt has now {outcome}.")
    return (f"An item of your {kind} {attempt.number} was regraded ({reason}): the attempt "
            f"now scores {attempt.score:.0%} and has {outcome}.")


def _follow_score(qualification: Qualification, attempt: Attempt, reason: str) -> None:
    """A still-valid qualification shows the score of the attempt that granted it: a regrade
    that moves that score moves the qualification's, and platforms hear of it."""
    if (qualification.attempt_id != attempt.id
            or qualification.status not in qualifications.VALID
            or qualification.score == attempt.score):
        return
    qualification.score = attempt.score
    qualifications.publish_change(qualification, "qualification.score_changed",
                                  f"Regraded ({reason}).", Status(qualification.status))


def _follow_flip(qualification: Qualification, attempt: Attempt, reason: str) -> None:
    """The qualification after a regrade flipped an attempt between pass and fail."""
    if qualification.status == Status.REVOKED or attempt.cycle != qualification.cycle:
        return
    why = f"Regraded ({reason}): attempt {attempt.number}{qualifications.with_score(attempt)}"
    if attempt.passed:
        if ((attempt.of_kind(AttemptKind.QUALIFICATION)
             and qualification.status in (Status.IN_TRAINING, Status.FAILED))
                or (attempt.is_refresh and qualification.status == Status.NEEDS_REFRESH)):
            qualifications.grant(qualification, attempt, f"{why} and passes.")
        return
    if qualification.attempt_id != attempt.id or qualification.status != Status.QUALIFIED:
        return
    qualification.granted_at = qualification.expires_at = None
    qualification.attempt_id = None
    if attempt.is_refresh:
        grace = settings_for(db.session.get(Course, attempt.course_id)).refresh_grace_days
        qualification.refresh_due_at = utcnow() + timedelta(days=grace)
        qualifications.transition(qualification, Status.NEEDS_REFRESH,
                                  f"{why} and no longer passes.", attempt=attempt)
    else:
        qualifications.settle_after_fail(qualification, attempt,
                                         f"{why} and no longer passes.")


LAST_REGRADE = "exams.last_regrade"  # db.session.info key: the summary of the latest regrade


@gold_revised.connect
def _on_gold_revised(item: Item, reason: str) -> None:
    # Kept on the session (one per request and thread), so that the service that revised the
    # gold (a dispute accepted) can tell what the regrade changed.
    db.session.info[LAST_REGRADE] = regrade_item(item, reason)
