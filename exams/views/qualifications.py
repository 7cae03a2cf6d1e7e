"""The instructor's qualification pages: a course's roster, one trainee's record, revoke and
reinstate."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.users.access import staff_required
from bootcamp.users.models import User
from courses.models import Course, ManualVersion
from courses.views.access import editable_course
from exams.forms import ReasonForm
from exams.services import attempts, qualifications
from exams.services.qualifications import LABELS, Status
from exams.views import bp


@bp.route("/courses/<slug>/qualifications", endpoint="qualifications")
@staff_required
def qualifications_list(slug: str):
    course = editable_course(slug)
    rows = qualifications.roster(course)
    counts = dict.fromkeys(Status, 0)
    for row in rows:
        counts[row.status] += 1
    wanted = request.args.get("status", "")
    chosen = Status(wanted) if wanted in {s.value for s in Status} else None
    shown = [row for row in rows if chosen is None or row.status == chosen]
    return render_template("exams/manage_qualifications.html", course=course, rows=shown,
                           total=len(rows), counts=counts, chosen=chosen, labels=LABELS)


def _trainee(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _render_qualification(course: Course, user: User, revoke_form: ReasonForm | None = None,
                          reinstate_form: ReasonForm | None = None):
    status, qualification = qualifications.standing(user.id, course.id)  # applies an expiry
    changes = qualifications.history(qualification) if qualification else []
    actor_ids = {change.actor_id for change in changes if change.actor_id}
    actors = ({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))}
              if actor_ids else {})
    version = (db.session.get(ManualVersion, qualification.manual_version_id)
               if qualification and qualification.manual_version_id else None)
    return render_template(
        "exams/manage_qualification.html", course=course, trainee=user,
        qualification=qualification, status=status, labels=LABELS, changes=changes,
        actors=actors, version=version, attempts=attempts.attempts_of(user.id, course.id),
        can_revoke=status != Status.REVOKED,
        can_reinstate=status in (Status.REVOKED, Status.FAILED),
        revoke_form=revoke_form or ReasonForm(prefix="revoke", formdata=None),
        reinstate_form=reinstate_form or ReasonForm(prefix="reinstate", formdata=None))


@bp.route("/courses/<slug>/qualifications/<int:user_id>")
@staff_required
def qualification(slug: str, user_id: int):
    course = editable_course(slug)
    return _render_qualification(course, _trainee(user_id))


def _act(slug: str, user_id: int, action: str):
    course = editable_course(slug)
    user = _trainee(user_id)
    form = ReasonForm(prefix=action)
    if not form.validate_on_submit():
        forms = {f"{action}_form": form}
        return _render_qualification(course, user, **forms)
    change = qualifications.revoke if action == "revoke" else qualifications.reinstate
    try:
        row = change(user.id, course.id, form.reason.data, current_user)
    except qualifications.QualificationError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        done = "revoked" if action == "revoke" else f"reinstated: now “{LABELS[row.status]}”"
        flash(f"The qualification of {user.email} was {done}.", "success")
    return redirect(url_for("exams.qualification", slug=slug, user_id=user.id))


@bp.route("/courses/<slug>/qualifications/<int:user_id>/revoke", methods=["POST"])
@staff_required
def revoke(slug: str, user_id: int):
    return _act(slug, user_id, "revoke")


@bp.route("/courses/<slug>/qualifications/<int:user_id>/reinstate", methods=["POST"])
@staff_required
def reinstate(slug: str, user_id: int):
    return _act(slug, user_id, "reinstate")
