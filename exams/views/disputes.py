"""Disputes: the instructor's queue and decisions, and a trainee's dispute of a practice item
(an exam item's dispute posts from its result: exams/views/taking.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.users.access import staff_required
from bootcamp.users.models import User
from courses.models import Course, Item
from courses.services import enrolment, manuals, practice
from courses.views.access import course_item, editable_course, media_prefix, viewable_course
from exams.forms import DisputeForm, ResolveDisputeForm
from exams.models import Dispute
from exams.services import attempts, disputes
from exams.services.regrading import RegradeSummary
from exams.views import bp


@bp.route("/courses/<slug>/disputes", endpoint="disputes")
@staff_required
def disputes_queue(slug: str):
    course = editable_course(slug)
    item = None
    if request.args.get("item"):
        item = course_item(course, request.args["item"])
    listed = disputes.disputes_of(course, item=item)
    keys = dict(db.session.execute(select(Item.id, Item.key).where(
        Item.id.in_({d.item_id for d in listed}))).all()) if listed else {}
    users = ({u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({d.user_id for d in listed})))} if listed else {})
    return render_template("exams/manage_disputes.html", course=course,
                           queue=disputes.queue(course), disputes=listed, item=item,
                           keys=keys, users=users)


def _dispute(course: Course, dispute_id: int) -> Dispute:
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None or dispute.course_id != course.id:
        abort(404)
    return dispute


def _answer_view(item: Item, answer):
    """The score of the disputed answer under the current gold, when it can be drawn."""
    if answer is None:
        return None
    score = attempts.score_response(item, answer)
    return None if "invalid" in (score.details or {}) else score


def _render_dispute(course: Course, dispute: Dispute, form: ResolveDisputeForm | None = None):
    item = db.session.get(Item, dispute.item_id)
    trouble = next((row for row in disputes.queue(course) if row.item.id == item.id), None)
    media_url = (manuals.media_url_for(media_prefix(course))(item.media) if item.media
                 else None)
    return render_template(
        "exams/manage_dispute.html", course=course, dispute=dispute, item=item,
        trainee=db.session.get(User, dispute.user_id), trouble=trouble,
        resolver=db.session.get(User, dispute.resolved_by_id) if dispute.resolved_by_id else None,
        score=_answer_view(item, dispute.answer), media_url=media_url,
        form=form or ResolveDisputeForm(formdata=None))


@bp.route("/courses/<slug>/disputes/<int:dispute_id>")
@staff_required
def dispute(slug: str, dispute_id: int):
    course = editable_course(slug)
    return _render_dispute(course, _dispute(course, dispute_id))


def _accepted(summary: RegradeSummary) -> str:
    """What accepting a dispute regraded, for the instructor."""
    return (f"Dispute accepted. Regraded {summary.attempts} "
            f"attempt{'' if summary.attempts == 1 else 's'} "
            f"({summary.flipped} changed between pass and fail) and "
            f"{summary.practice_answers} practice "
            f"answer{'' if summary.practice_answers == 1 else 's'}.")


@bp.route("/courses/<slug>/disputes/<int:dispute_id>/resolve", methods=["POST"])
@staff_required
def resolve_dispute(slug: str, dispute_id: int):
    course = editable_course(slug)
    found = _dispute(course, dispute_id)
    form = ResolveDisputeForm()
    valid = form.validate_on_submit()
    if valid and form.action.data == "reject" and not form.reply.data:
        form.reply.errors = [*form.reply.errors, "Write a reply: the trainee sees it."]
        valid = False
    if not valid:
        return _render_dispute(course, found, form)
    action = form.action.data
    try:
        if action == "reject":
            disputes.reject(found, current_user, form.reply.data)
            message = "Dispute rejected; the trainee will see your reply."
        else:
            resolution = (disputes.ALTERNATIVE if action == "accept_alternative"
                          else disputes.CORRECTED)
            message = _accepted(disputes.accept(found, resolution, current_user,
                                                form.reply.data or ""))
    except disputes.DisputeRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("exams.dispute", slug=slug, dispute_id=dispute_id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("exams.disputes", slug=slug))


@bp.route("/courses/<slug>/practice/<module>/<item_key>/dispute", methods=["POST"])
@login_required
def dispute_practice_item(slug: str, module: str, item_key: str):
    course = viewable_course(slug)
    back = url_for("courses.practice_item", slug=slug, module=module, item_key=item_key)
    item = practice.practice_item(course, item_key)
    if item is None:
        abort(404)
    if enrolment.enrollment_of(current_user.id, course.id) is None:
        flash("Only trainees enrolled in the course can dispute its items.", "error")
        return redirect(back)
    form = DisputeForm()
    refusal = form.refusal()
    if refusal:
        flash(refusal, "error")
        return redirect(back)
    answered = disputes.latest_practice_answer(current_user, item)
    if answered is None:
        flash("Answer the item before disputing it.", "error")
        return redirect(back)
    return send_dispute(form, item, answered.answer, back,
                        "Your dispute was sent to the instructors. You will find their answer "
                        "on the course page.", practice_answer=answered)


def send_dispute(form: DisputeForm, item: Item, answer, back: str, thanks: str, **source):
    """Open the trainee's dispute (the form already valid) and go back to `back`, saying why
    not if it is refused; `source` is the response or practice answer it contests."""
    try:
        disputes.open_dispute(current_user, item, answer, form.comment.data, **source)
    except disputes.DisputeRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(back)
    db.session.commit()
    flash(thanks, "success")
    return redirect(back)
