"""Cohorts: create them, invite trainees by link or by a list of emails, accept invitations."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, user_logged_in
from sqlalchemy import select

from bootcamp.auth.forms import SignupForm
from bootcamp.auth.sessions import log_in
from bootcamp.extensions import db, limiter
from bootcamp.forms import ActionForm
from bootcamp.users import services
from bootcamp.users.access import staff_required
from bootcamp.users.models import User
from courses.forms import CohortForm, EmailListForm, InviteLinkForm
from courses.models import Cohort, CourseStatus, Enrollment, Invitation
from courses.services import enrolment, invite_mail
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
    existing = list(db.session.scalars(
        select(Cohort).where(Cohort.course_id == course.id).order_by(Cohort.starts_on.desc())))
    return render_template("courses/cohorts.html", course=course, form=form, cohorts=existing,
                           places=enrolment.cohort_places(existing))


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
        pending=list(pending), places=enrolment.places_of(cohort), link=link, report=report,
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
            invite_mail.mail_invitations(cohort, report.invited, current_user)
        except UnicodeDecodeError:
            form.emails.errors.append("The file is not UTF-8 text. Save it as CSV (UTF-8).")
        except enrolment.EnrolmentError as exc:
            db.session.rollback()
            form.emails.errors.extend(exc.problems)
        else:
            db.session.commit()
    return _render_cohort(course, cohort, report=report, list_form=form)


# Someone following an invite link may have no account yet: the page shows the invitation
# to anyone and lets a newcomer sign up right there, limited per client address like sign-up.
_signup_per_ip = limiter.limit(lambda: current_app.config["SIGNUP_LIMIT_PER_IP"],
                               methods=["POST"], scope="invite-signup-ip",
                               exempt_when=lambda: current_user.is_authenticated)


def _invite_page(cohort: Cohort, token: str, status: int = 200, **context):
    places = enrolment.places_of(cohort)
    enrollment = (enrolment.enrollment_of(current_user.id, cohort.course_id)
                  if current_user.is_authenticated else None)
    problem = context.pop("refused", None) or enrolment.join_problem(cohort, places, enrollment)
    # Someone logged out may be one of the invited, whose kept place waits for their address.
    kept = (problem is not None and not current_user.is_authenticated and places.full
            and places.invited > 0 and cohort.course.status == CourseStatus.OPEN)
    return render_template(
        "courses/invite.html", cohort=cohort, places=places, enrollment=enrollment,
        member=enrollment is not None and enrollment.cohort_id == cohort.id,
        problem=None if kept else problem, kept=problem if kept else None,
        form=ActionForm(), signup=context.pop("signup", None) or SignupForm(),
        login_url=url_for("auth.login", next=url_for("courses.invite", token=token)),
        **context), status


@bp.route("/invite/<token>", methods=["GET", "POST"])
@_signup_per_ip
def invite(token: str):
    """The invitation, shown before anything is asked: logged in, one button joins; logged
    out, a sign-up form (or a log-in that comes back here)."""
    try:
        cohort = enrolment.cohort_from_token(current_app.config["SECRET_KEY"], token)
    except enrolment.EnrolmentError as exc:
        return render_template("courses/invite.html", problem=str(exc), cohort=None), 400
    if not current_user.is_authenticated:
        return _sign_up_and_join(cohort, token)
    if ActionForm().validate_on_submit():
        try:
            enrolment.join_cohort(current_user, cohort, enrolment.EnrollmentSource.INVITE_LINK)
        except enrolment.EnrolmentError as exc:
            db.session.rollback()
            return _invite_page(cohort, token, 409, refused=str(exc))
        db.session.commit()
        return _welcome(cohort)
    return _invite_page(cohort, token)


def _sign_up_and_join(cohort: Cohort, token: str):
    """A new address gets an account, is logged in and joins; a taken one is told to log in
    (nobody is logged in), as on the sign-up page."""
    form = SignupForm()
    if not form.validate_on_submit():
        return _invite_page(cohort, token, signup=form)
    user = services.sign_up(form.email.data, form.password.data, form.name.data)
    if user is None:
        return _invite_page(cohort, token, signup=form, taken=True)  # passwords not shown
    log_in(user)  # also takes up any invitation by email to this address
    try:
        enrolment.join_cohort(user, cohort, enrolment.EnrollmentSource.INVITE_LINK)
    except enrolment.EnrolmentError as exc:  # the last place went while they typed
        db.session.commit()  # the account stands; only the place is missing
        flash(f"Your account is ready, but you could not join {cohort.name}. {exc} "
              "Ask your instructor for another invitation.", "error")
        return redirect(url_for("home.dashboard"))
    db.session.commit()
    return _welcome(cohort)


def _welcome(cohort: Cohort):
    flash(f"Welcome to {cohort.course.title} ({cohort.name}).", "success")
    return redirect(url_for("courses.home", slug=cohort.course.slug))


@user_logged_in.connect
def _accept_invitations(app, user) -> None:
    """Someone invited by email becomes enrolled the first time they log in."""
    courses = enrolment.accept_pending_invitations(user)
    db.session.commit()  # also invitations taken up by an enrolment that already existed
    if courses:
        flash("You have been enrolled in " + ", ".join(c.title for c in courses) + ".", "success")
