"""Sequential exams, block by block: after each block the server decides, and either ends the
attempt or draws the next block (the rules and the verdict: exams.blocks).

The attempt starts with its first block (exams.services.attempts.start). `advance` takes the
same locks as a submit (the qualification row, then the attempt row), so two "Next items"
posts for one block draw one block: the second finds more items drawn than its page showed
and does nothing. An attempt that ends goes through attempts.submit, the path of fixed exams
(grading, events, qualification), whose grading gives the verdict.
"""

from __future__ import annotations

import random
from datetime import datetime

from bootcamp.extensions import db
from bootcamp.types import utcnow
from courses.models import Course, Item
from exams import blocks
from exams.models import Attempt, Response
from exams.sampling import draw_block
from exams.services import attempts, item_stats, qualifications
from exams.services.settings import exam_pool, settings_for


def advance(attempt: Attempt, shown: int | None = None, *, now: datetime | None = None,
            rng: random.Random | None = None) -> Attempt:
    """Decide on a sequential attempt's answers so far: end it (through attempts.submit) or
    draw its next block. `shown`: how many items were drawn when the trainee's page showed
    them; a post for a block that is past already (a second tab, a double click) does
    nothing. The deadline closes the attempt as attempts.close_if_expired would."""
    now = now or utcnow()
    qualifications.locked(attempt.user_id, attempt.course_id)
    attempt = attempts.lock_attempt(attempt.id)
    if not attempt.is_open:
        return attempt
    if attempts.is_past_deadline(attempt, now):
        return attempts.submit(attempt, closed_by="deadline", now=now)
    rows = attempts.graded_items(attempt)
    if shown is not None and shown != len(rows):
        return attempt
    plan = blocks.Plan.of(attempt.sequential)
    graded, _ = attempts.scored(rows)
    verdict = blocks.verdict(plan, graded, attempt.critical_rule, final=False)
    chosen = [] if verdict.ending is not blocks.Ending.GOING_ON else _next_block(
        attempt, plan, [response.item_id for response, _ in rows], rng)
    if not chosen:  # decided, or the pool ran out: the verdict decides it when grading
        return attempts.submit(attempt, closed_by="trainee", now=now)
    db.session.add_all(Response(attempt_id=attempt.id, position=n, item_id=item_id,
                                answer_seq=0)
                       for n, item_id in enumerate(chosen, start=len(rows) + 1))
    db.session.flush()
    return attempt


def _next_block(attempt: Attempt, plan: blocks.Plan, drawn: list[int],
                rng: random.Random | None) -> list[int]:
    """The next block's item ids (quota items first, items of known facility first:
    exams.sampling.draw_block), shuffled as the attempt started (a plan kept before it kept
    that: as the course says now)."""
    course = db.session.get(Course, attempt.course_id)
    shuffle = settings_for(course).shuffle if plan.shuffle is None else plan.shuffle
    return draw_block(exam_pool(course), drawn, plan.next_size(len(drawn)), plan.quotas,
                      rng or random.SystemRandom(), shuffle=shuffle,
                      known=item_stats.known_items(course))


def progress(attempt: Attempt, drawn: int) -> tuple[int, int]:
    """(items answered in the blocks before the current one, the current block's first
    position): what the exam page shows, nothing from which a score could be told."""
    start = blocks.Plan.of(attempt.sequential).block_start(drawn)
    return start - 1, start


def trainee_ending(attempt: Attempt, drawn: int) -> str:
    """How a graded sequential attempt ended, for the trainee who took it: only what they saw
    (how many items were drawn, whether time ran out), never the item at which the test
    became certain nor why, which would tell whether that item's answer was right."""
    items = f"{drawn} item{'' if drawn == 1 else 's'}"
    if attempt.closed_by == "deadline":
        return (f"Time ran out after {items}: the result was decided on the answers saved by "
                "then, an unanswered item counting as wrong.")
    most = blocks.Plan.of(attempt.sequential).rules.max_items
    return (f"The exam ended after {items}: it stops as soon as its result is certain, and "
            f"after {most} items at the most.")


def _why_undecided(attempt: Attempt) -> str:
    """Why a graded attempt stopped before its result was certain: the clock, a regrade that
    made the answers given no longer decisive (no next block is drawn after the fact), or
    the pool."""
    if attempt.closed_by == "deadline":
        return "Time ran out"
    if attempt.regraded_at is not None:
        return "Regraded, the answers stopped being decisive"
    return "The exam ran out of items"


def ending(attempt: Attempt, rows: list[tuple[Response, Item]]) -> str:
    """How a graded sequential attempt ended, in one sentence for staff: the items that
    decided it and why (the verdict re-run on the stored grades, as grading ran it)."""
    verdict = blocks.verdict(blocks.Plan.of(attempt.sequential), attempts.stored_grades(rows),
                             attempt.critical_rule, final=True)
    items = f"{verdict.items} item{'' if verdict.items == 1 else 's'}"
    sentence = {
        blocks.Ending.CERTAIN: f"The exam ended after {items}: the result was certain.",
        blocks.Ending.CRITICAL: f"The exam ended after {items}: a critical item was not "
                                "answered right, which fails the exam.",
        blocks.Ending.TRUNCATED: f"The exam ended at its most items, {items}: the result was "
                                 "decided by the cut score.",
        blocks.Ending.UNDECIDED: (
            f"{_why_undecided(attempt)} after {items}, before the result was certain: it was "
            "decided by the cut score on those items, an unanswered one counting as wrong."),
    }[verdict.ending]
    later = len(rows) - verdict.items
    if later == 1:
        sentence += " The answer to the item after it was kept but did not count."
    elif later > 1:
        sentence += (f" The answers to the {later} items after it were kept but did not "
                     "count.")
    return sentence
