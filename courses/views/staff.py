"""The staff of a course: who may change it. Owners (and admins) add and remove people."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from bootcamp.extensions import db
from bootcamp.forms import ActionForm
from bootcamp.users.access import staff_required
from courses.forms import StaffForm
from courses.models import Course, StaffRole
from courses.services import catalog, staff
from courses.views import bp
from courses.views.access import editable_course


def _render(course: Course, form: StaffForm | None = None):
    return render_template(
        "courses/staff.html", course=course, members=staff.staff_of(course),
        form=form or StaffForm(formdata=None),
        can_manage=catalog.can_manage_staff(course, current_user))


def _managed_course(slug: str) -> Course:
    """The course, for its owners and admins; its other staff may only look (403)."""
    course = editable_course(slug)
    if not catalog.can_manage_staff(course, current_user):
        abort(403)
    return course


@bp.route("/<slug>/staff")
@staff_required
def staff_list(slug: str):
    return _render(editable_course(slug))


@bp.route("/<slug>/staff", methods=["POST"])
@staff_required
def add_staff(slug: str):
    course = _managed_course(slug)
    form = StaffForm()
    if not form.validate_on_submit():
        return _render(course, form)
    try:
        done = staff.add_staff(course, form.email.data, StaffRole(form.role.data), current_user)
    except staff.StaffError as refused:
        db.session.rollback()
        form.email.errors = [*form.email.errors, str(refused)]
        return _render(course, form)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("courses.staff_list", slug=slug))


@bp.route("/<slug>/staff/<int:user_id>/remove", methods=["POST"])
@staff_required
def remove_staff(slug: str, user_id: int):
    course = _managed_course(slug)
    if not ActionForm().validate_on_submit():
        flash("The form has expired; try again.", "error")
        return redirect(url_for("courses.staff_list", slug=slug))
    try:
        removed = staff.remove_staff(course, user_id, current_user)
    except staff.StaffError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("courses.staff_list", slug=slug))
    db.session.commit()
    flash(f"{removed.email} is no longer on the staff of {course.title}.", "success")
    if not catalog.can_edit(course.id, current_user):  # they removed themselves
        return redirect(url_for("courses.manage"))
    return redirect(url_for("courses.staff_list", slug=slug))
