"""Another round of attempts: a trainee who used every attempt asks, an instructor answers.

One request per trainee, course and cycle. Granting reinstates the qualification
(qualifications.reinstate: a new cycle, so attempts count afresh); declining keeps the failure.
Either way the trainee gets a notice with the answer, and sees it on the exam page.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bootcamp.audit import record_audit
from bootcamp.events import record_event
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses.models import Course
from exams.models import Qualification, RoundRequest
from exams.services import notices, qualifications
from exams.services.qualifications import Status

MAX_TEXT = 1000
PENDING, GRANTED, DECLINED = "pending", "granted", "declined"


class RoundRequestRefused(ValueError):
    """A request that cannot be made or answered; the message is meant for the person."""


def _checked(text: str, what: str) -> str:
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise RoundRequestRefused(f"Keep the {what} under {MAX_TEXT} characters.")
    return text


def current_request(user_id: int, course_id: int) -> RoundRequest | None:
    """The request of the trainee's current cycle, if they made one."""
    qualification = qualifications.qualification_of(user_id, course_id)
    if qualification is None:
        return None
    return db.session.scalar(select(RoundRequest).where(
        RoundRequest.user_id == user_id, RoundRequest.course_id == course_id,
        RoundRequest.cycle == qualification.cycle))


def current_requests(user_id: int, records: Sequence[Qualification]
                     ) -> dict[int, RoundRequest]:
    """current_request for many courses, given the trainee's records there (one query)."""
    cycles = {record.course_id: record.cycle for record in records}
    found = db.session.scalars(select(RoundRequest).where(
        RoundRequest.user_id == user_id, RoundRequest.course_id.in_(cycles))) if cycles else []
    return {request.course_id: request for request in found
            if request.cycle == cycles[request.course_id]}


def ask(user: User, course: Course, message: str) -> RoundRequest:
    """Ask for another round; asking twice in a cycle returns the first request."""
    message = _checked(message, "message")
    status, qualification = qualifications.standing(user.id, course.id)
    if status != Status.FAILED or qualification is None:
        raise RoundRequestRefused("Only a trainee who has used every attempt can ask for "
                                  "another round.")
    existing = current_request(user.id, course.id)
    if existing is not None:
        return existing
    request = RoundRequest(user_id=user.id, course_id=course.id, cycle=qualification.cycle,
                           message=message, status=PENDING, answer="")
    try:
        with db.session.begin_nested():  # a second tab may have asked a moment ago
            db.session.add(request)
    except IntegrityError:
        return current_request(user.id, course.id)
    record_event("round_requested", user_id=user.id, course_id=course.id,
                 data={"cycle": qualification.cycle})
    return request


def pending(course: Course) -> list[tuple[RoundRequest, User]]:
    """The course's unanswered requests with their trainees, oldest first."""
    return list(db.session.execute(
        select(RoundRequest, User).join(User, User.id == RoundRequest.user_id)
        .where(RoundRequest.course_id == course.id, RoundRequest.status == PENDING)
        .order_by(RoundRequest.created_at, RoundRequest.id)).all())


def pending_counts(course_ids: list[int]) -> dict[int, int]:
    """{course id: unanswered requests}, for the instructor's dashboard."""
    return dict(db.session.execute(
        select(RoundRequest.course_id, func.count())
        .where(RoundRequest.course_id.in_(course_ids), RoundRequest.status == PENDING)
        .group_by(RoundRequest.course_id)).all())


def decide(course: Course, request_id: int, grant: bool, answer: str,
           actor: User) -> RoundRequest:
    """Grant (a new round of attempts) or decline a pending request, once."""
    answer = _checked(answer, "answer")
    if not grant and not answer:
        raise RoundRequestRefused("Say why, when you decline: the trainee reads your answer.")
    request = db.session.scalar(select(RoundRequest).where(
        RoundRequest.id == request_id, RoundRequest.course_id == course.id).with_for_update())
    if request is None:
        raise RoundRequestRefused("There is no such request in this course.")
    if request.status != PENDING:
        raise RoundRequestRefused("This request was already answered.")
    if grant:
        try:
            qualifications.reinstate(request.user_id, course.id,
                                     answer or "Another round of attempts granted.", actor)
        except qualifications.QualificationError as error:
            raise RoundRequestRefused(str(error)) from error
    request.status = GRANTED if grant else DECLINED
    request.answer, request.decided_by_id, request.decided_at = answer, actor.id, utcnow()
    said = f" They said: {answer}" if answer else ""
    notices.notify(request.user_id, course.id,
                   ("Your instructor gave you another round of exam attempts." if grant else
                    "Your instructor did not give you another round of attempts.") + said)
    record_audit(f"round_request_{request.status}", actor_id=actor.id,
                 target=f"round_request:{request.id}", data={"answer": answer})
    return request
