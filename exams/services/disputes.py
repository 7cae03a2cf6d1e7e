"""Disputes: a trainee contests an item's gold; an instructor accepts (and regrades) or replies.

Accepting either makes the trainee's answer the gold or adds it as an alternative correct
answer; both are new item revisions, and the revision regrades every practice answer and
attempt that used the item (exams.services.regrading). Rejecting keeps the gold and sends the
instructor's reply, which the trainee sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select

import graders
from bootcamp.audit import record_audit
from bootcamp.events import record_event
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses.models import Course, Item, PracticeAnswer
from courses.services import items as item_bank
from exams.models import Attempt, AttemptState, Dispute, DisputeStatus, Response
from exams.services import notices
from exams.services.regrading import LAST_REGRADE, RegradeSummary

MAX_COMMENT = 2000
TOO_LONG = f"Keep the comment under {MAX_COMMENT} characters."
CORRECTED = "corrected"
ALTERNATIVE = "alternative"


class DisputeRefused(ValueError):
    """A dispute that cannot be opened or resolved; the message is meant for the person."""


def _check_comment(comment: str) -> str:
    comment = comment.strip()
    if not comment:
        raise DisputeRefused("Say what you think is wrong with the item.")
    if len(comment) > MAX_COMMENT:
        raise DisputeRefused(TOO_LONG)
    return comment


def open_dispute(user: User, item: Item, answer: Any, comment: str, *,
                 response: Response | None = None,
                 practice_answer: PracticeAnswer | None = None,
                 now: datetime | None = None) -> Dispute:
    """Record a dispute of the item's current gold with the trainee's answer and comment
    (`now`: when, for a generated history; else the present)."""
    now = now or utcnow()
    comment = _check_comment(comment)
    already = db.session.scalar(select(Dispute.id).where(
        Dispute.user_id == user.id, Dispute.item_id == item.id,
        Dispute.status == DisputeStatus.OPEN))
    if already is not None:
        raise DisputeRefused("You already have an open dispute about this item.")
    dispute = Dispute(
        course_id=item.course_id, item_id=item.id, user_id=user.id,
        response_id=response.id if response else None,
        practice_answer_id=practice_answer.id if practice_answer else None,
        answer=answer, item_revision=item.revision, comment=comment,
        status=DisputeStatus.OPEN, created_at=now)
    db.session.add(dispute)
    db.session.flush()
    record_event("item_disputed", user_id=user.id, course_id=item.course_id, data={
        "dispute": dispute.id, "item": item.key, "revision": item.revision,
        "source": "exam" if response else "practice"}).created_at = now
    return dispute


def latest_practice_answer(user: User, item: Item) -> PracticeAnswer | None:
    return db.session.scalar(
        select(PracticeAnswer).where(PracticeAnswer.user_id == user.id,
                                     PracticeAnswer.item_id == item.id)
        .order_by(PracticeAnswer.created_at.desc(), PracticeAnswer.id.desc()).limit(1))


def _resolve(dispute: Dispute, status: DisputeStatus, actor: User, reply: str,
             resolution: str | None) -> None:
    if dispute.status != DisputeStatus.OPEN:
        raise DisputeRefused("This dispute is already resolved.")
    dispute.status, dispute.resolution = status, resolution
    dispute.reply, dispute.resolved_by_id, dispute.resolved_at = reply.strip(), actor.id, utcnow()
    record_audit("dispute_resolved", actor_id=actor.id, target=f"dispute:{dispute.id}",
                 data={"status": str(status), "resolution": resolution})


def accept(dispute: Dispute, resolution: str, actor: User, reply: str = "") -> RegradeSummary:
    """Correct the gold to the disputed answer, or accept it as an alternative; regrades.

    Returns what the regrade changed. On DisputeRefused the caller rolls back.
    """
    if resolution not in (CORRECTED, ALTERNATIVE):
        raise DisputeRefused("Choose how to accept the dispute.")
    if dispute.answer is None:
        raise DisputeRefused("This dispute carries no answer to accept; edit the gold instead.")
    item = db.session.get(Item, dispute.item_id)
    _resolve(dispute, DisputeStatus.ACCEPTED, actor, reply, resolution)
    reason = f"dispute #{dispute.id} accepted"
    db.session.info.pop(LAST_REGRADE, None)
    try:
        if resolution == CORRECTED:
            fields = item_bank.ItemFields(item.prompt, item.explanation, list(item.sections),
                                          list(item.pools), item.critical, item.status)
            item_bank.edit_item(item, fields, dispute.answer, actor, reason)
        else:
            item_bank.add_alternative(item, dispute.answer, actor, reason)
    except item_bank.EditRefused as refused:
        raise DisputeRefused(str(refused)) from refused
    except graders.ScoringError as error:  # the answer does not fit the item's spec (any more)
        raise DisputeRefused(f"The disputed answer is not a valid answer to this item: "
                             f"{error.path}: {error.message}.") from error
    what = "corrected its gold" if resolution == CORRECTED else "now accepts your answer too"
    notices.notify(dispute.user_id, dispute.course_id,
                   f"Your dispute about item {item.key} was accepted: the item {what}."
                   + (f" {dispute.reply}" if dispute.reply else ""))
    return db.session.info.pop(LAST_REGRADE, None) or RegradeSummary()


def reject(dispute: Dispute, actor: User, reply: str) -> None:
    reply = reply.strip()
    if not reply:
        raise DisputeRefused("Write a reply: the trainee sees it.")
    _resolve(dispute, DisputeStatus.REJECTED, actor, reply, None)
    item = db.session.get(Item, dispute.item_id)
    notices.notify(dispute.user_id, dispute.course_id,
                   f"Your dispute about item {item.key} was not accepted: {reply}")


def disputes_of(course: Course, *, item: Item | None = None,
                user: User | None = None) -> list[Dispute]:
    query = select(Dispute).where(Dispute.course_id == course.id)
    if item is not None:
        query = query.where(Dispute.item_id == item.id)
    if user is not None:
        query = query.where(Dispute.user_id == user.id)
    order = case((Dispute.status == DisputeStatus.OPEN, 0), else_=1)
    return list(db.session.scalars(query.order_by(order, Dispute.created_at.desc())))


def open_counts(course_ids: list[int]) -> dict[int, int]:
    """Open disputes per course, for the course management page (one query)."""
    if not course_ids:
        return {}
    return dict(db.session.execute(
        select(Dispute.course_id, func.count())
        .where(Dispute.course_id.in_(course_ids), Dispute.status == DisputeStatus.OPEN)
        .group_by(Dispute.course_id)).all())


@dataclass(frozen=True)
class ItemTrouble:
    """One item of the queue: how often it is answered, missed and disputed."""

    item: Item
    answered: int
    missed: int
    disputes: int
    open_disputes: int

    @property
    def miss_rate(self) -> float:
        return self.missed / self.answered if self.answered else 0.0


def queue(course: Course) -> list[ItemTrouble]:
    """Items with disputes or misses, most open disputes first, then by miss rate."""
    practice = (select(PracticeAnswer.item_id.label("item_id"),
                       PracticeAnswer.correct.label("correct"))
                .where(PracticeAnswer.course_id == course.id))
    exam = (select(Response.item_id.label("item_id"), Response.correct.label("correct"))
            .join(Attempt, Attempt.id == Response.attempt_id)
            .where(Attempt.course_id == course.id, Attempt.state == AttemptState.GRADED))
    answers = practice.union_all(exam).subquery()
    answered = dict(db.session.execute(
        select(answers.c.item_id, func.count()).group_by(answers.c.item_id)).all())
    missed = dict(db.session.execute(
        select(answers.c.item_id, func.count()).where(answers.c.correct.is_(False))
        .group_by(answers.c.item_id)).all())
    disputed = {item_id: (total, int(opened or 0)) for item_id, total, opened in db.session.execute(
        select(Dispute.item_id, func.count(),
               func.sum(case((Dispute.status == DisputeStatus.OPEN, 1), else_=0)))
        .where(Dispute.course_id == course.id).group_by(Dispute.item_id)).all()}
    rows = []
    for item in item_bank.bank(course):
        total, opened = disputed.get(item.id, (0, 0))
        if not (missed.get(item.id) or total):
            continue
        rows.append(ItemTrouble(item, answered.get(item.id, 0), missed.get(item.id, 0),
                                total, opened))
    return sorted(rows, key=lambda r: (-r.open_disputes, -r.miss_rate, -r.disputes,
                                       r.item.position))
