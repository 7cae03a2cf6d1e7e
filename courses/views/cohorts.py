"""Cohorts: create them, invite trainees by link or by a list of emails, accept invitations."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, user_logged_in
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.forms import ActionForm
from bootcamp.users.access import staff_required
from bootcamp.users.models import User
from courses.forms import CohortForm, EmailListForm, InviteLinkForm
from courses.models import Cohort, Enrollment, Invitation
from courses.services import enrolment
from courses.views import bp
from courses.views.access import editable_course


def _cohort(course, cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or cohort.course_id != course.id:
        abort(404)
    return cohort


@bp.route("/<slug>/cohorts", methods=["GET", "POST"])
@staff_required
def cohorts(slug: str):
    course = editable_course(slug)
    form = CohortForm()
    if form.validate_on_submit():
        cohort = enrolment.create_cohort(course, form.name.data, form.starts_on.data,
                                         form.capacity.data, current_user)
        db.session.commit()
        flash(f"Cohort {cohort.name} created. Invite its trainees below.", "success")
        return redirect(url_for("courses.cohort", slug=slug, cohort_id=cohort.id))
    existing = db.session.scalars(
        select(Cohort).where(Cohort.course_id == course.id).order_by(Cohort.starts_on.desc()))
    return render_template("courses/cohorts.html", course=course, form=form,
                           cohorts=list(existing), counts=enrolment.cohort_member_counts(course))


def _render_cohort(course, cohort, link: str | None = None, report=None, link_form=None,
                   list_form=None):
    members = db.session.execute(
        select(User, Enrollment).join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.cohort_id == cohort.id).order_by(User.email)).all()
    pending = db.session.scalars(
        select(Invitation).where(Invitation.cohort_id == cohort.id,
                                 Invitation.accepted_at.is_(None)).order_by(Invitation.email))
    return render_template(
        "courses/cohort.html", course=course, cohort=cohort, members=members,
        pending=list(pending), link=link, report=report,
        link_form=link_form or InviteLinkForm(), list_form=list_form or EmailListForm(),
    )


@bp.route("/<slug>/cohorts/<int:cohort_id>")
@staff_required
def cohort(slug: str, cohort_id: int):
    course = editable_course(slug)
    return _render_cohort(course, _cohort(course, cohort_id))


@bp.route("/<slug>/cohorts/<int:cohort_id>/link", methods=["POST"])
@staff_required
def invite_link(slug: str, cohort_id: int):
    course = editable_course(slug)
    cohort = _cohort(course, cohort_id)
    form = InviteLinkForm()
    link = None
    if form.validate_on_submit():
        token = enrolment.make_invite_token(current_app.config["SECRET_KEY"], cohort,
                                            form.days.data)
        link = url_for("courses.invite", token=token, _external=True)
    return _render_cohort(course, cohort, link=link, link_form=form)


@bp.route("/<slug>/cohorts/<int:cohort_id>/emails", methods=["POST"])
@staff_required
def invite_emails(slug: str, cohort_id: int):
    course = editable_course(slug)
    cohort = _cohort(course, cohort_id)
    form = EmailListForm()
    report = None
    if form.validate_on_submit():
        raw = form.emails.data.read()
        try:
            report = enrolment.invite_emails(cohort, raw.decode("utf-8"), current_user)
        except UnicodeDecodeError:
            form.emails.errors.append("The file is not UTF-8 text. Save it as CSV (UTF-8).")
        except enrolment.EnrolmentError as exc:
            db.session.rollback()
            form.emails.errors.extend(exc.problems)
        else:
            db.session.commit()
    return _render_cohort(course, cohort, report=report, list_form=form)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@login_required
def invite(token: str):
    form = ActionForm()
    try:
        cohort = enrolment.cohort_from_token(current_app.config["SECRET_KEY"], token)
    except enrolment.EnrolmentError as exc:
        return render_template("courses/invite.html", problem=str(exc), cohort=None), 400
    if form.validate_on_submit():
        try:
            enrolment.enrol(current_user, cohort.course, enrolment.EnrollmentSource.INVITE_LINK,
                            cohort)
        except enrolment.EnrolmentError as exc:
            db.session.rollback()
            return render_template("courses/invite.html", problem=str(exc), cohort=cohort), 409
        db.session.commit()
        flash(f"Welcome to {cohort.course.title} ({cohort.name}).", "success")
        return redirect(url_for("courses.home", slug=cohort.course.slug))
    return render_template("courses/invite.html", cohort=cohort, form=form, problem=None)


@user_logged_in.connect
def _accept_invitations(app, user) -> None:
    """Someone invited by email becomes enrolled the first time they log in."""
    courses = enrolment.accept_pending_invitations(user)
    db.session.commit()  # also invitations taken up by an enrolment that already existed
    if courses:
        flash("You have been enrolled in " + ", ".join(c.title for c in courses) + ".", "success")
