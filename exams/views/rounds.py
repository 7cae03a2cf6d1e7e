"""Another round of attempts: a failed trainee asks from the exam page; instructors answer
from their queue (exams.services.round_requests)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from bootcamp.extensions import db
from bootcamp.users.access import staff_required
from courses.services import enrolment
from courses.views.access import editable_course, viewable_course
from exams.forms import RoundAnswerForm, RoundRequestForm
from exams.services import round_requests
from exams.views import bp


@bp.route("/courses/<slug>/exam/another-round", methods=["POST"])
@login_required
def ask_for_round(slug: str):
    course = viewable_course(slug)
    form = RoundRequestForm()
    if enrolment.enrollment_of(current_user.id, course.id) is None:
        flash("Enrol in this course to take its exam.", "info")
        return redirect(url_for("courses.home", slug=slug))
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors)
              or "The request could not be sent: reload the page and try again.", "error")
        return redirect(url_for("exams.overview", slug=slug))
    try:
        round_requests.ask(current_user, course, form.message.data or "")
    except round_requests.RoundRequestRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash("Your request for another round is sent to your instructor.", "success")
    return redirect(url_for("exams.overview", slug=slug))


def _render_queue(course, forms: dict[int, RoundAnswerForm] | None = None):
    waiting = round_requests.pending(course)
    forms = forms or {}
    return render_template(
        "exams/manage_rounds.html", course=course, waiting=waiting,
        forms={r.id: forms.get(r.id) or RoundAnswerForm(prefix=f"r{r.id}", formdata=None)
               for r, _ in waiting})


@bp.route("/courses/<slug>/round-requests", endpoint="round_requests")
@staff_required
def round_requests_queue(slug: str):
    return _render_queue(editable_course(slug))


@bp.route("/courses/<slug>/round-requests/<int:request_id>", methods=["POST"])
@staff_required
def answer_round_request(slug: str, request_id: int):
    course = editable_course(slug)
    form = RoundAnswerForm(prefix=f"r{request_id}")
    if not form.validate_on_submit():
        return _render_queue(course, {request_id: form}), 400
    try:
        round_requests.decide(course, request_id, form.action.data == "grant",
                              form.answer.data or "", current_user)
    except round_requests.RoundRequestRefused as refused:
        db.session.rollback()
        form.answer.errors = [*form.answer.errors, str(refused)]
        return _render_queue(course, {request_id: form}), 409
    db.session.commit()
    flash("Another round given: the trainee can take the exam again." if form.action.data
          == "grant" else "Request declined; the trainee sees your answer.", "success")
    return redirect(url_for("exams.round_requests", slug=slug))
