"""Admin pages: list users, change their roles, turn accounts off and on, and make password
links for them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from bootcamp.admin import bp
from bootcamp.admin.forms import RoleForm
from bootcamp.auth.reset_mail import mail_reset_link
from bootcamp.extensions import db
from bootcamp.forms import ActionForm
from bootcamp.users import password_resets
from bootcamp.users.access import role_required
from bootcamp.users.models import Role, User
from bootcamp.users.services import AccountError, deactivate, reactivate, set_role

PAGE_SIZE = 50


@bp.route("/users")
@role_required(Role.ADMIN)
def users():
    query = request.args.get("q", "").strip()
    stmt = select(User).order_by(User.email)
    if query:
        pattern = f"%{query.lower()}%"
        stmt = stmt.where(or_(User.email.like(pattern), User.name.ilike(pattern)))
    page = db.paginate(stmt, per_page=PAGE_SIZE, error_out=False)
    forms = {user.id: RoleForm(role=user.role.value, prefix=f"u{user.id}") for user in page.items}
    return render_template("admin/users.html", page=page, forms=forms, query=query,
                           action_form=ActionForm())


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@role_required(Role.ADMIN)
def deactivate_user(user_id: int):
    """Turn an account off: it is logged out everywhere at once."""
    return _set_active(user_id, turn_on=False)


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@role_required(Role.ADMIN)
def reactivate_user(user_id: int):
    """Turn an account on again."""
    return _set_active(user_id, turn_on=True)


def _set_active(user_id: int, *, turn_on: bool):
    user = db.get_or_404(User, user_id)
    back = redirect(url_for("admin.users", q=request.args.get("q") or None))
    if not ActionForm().validate_on_submit():
        flash("The form has expired; try again.", "error")
        return back
    try:
        (reactivate if turn_on else deactivate)(user, current_user)
    except AccountError as exc:
        flash(str(exc), "error")
        return back
    db.session.commit()
    flash(f"{user.email} can log in again." if turn_on else
          f"{user.email} is turned off and was logged out everywhere.", "success")
    return back


@bp.route("/users/<int:user_id>/password-link", methods=["POST"])
@role_required(Role.ADMIN)
def password_link(user_id: int):
    """A one-time link that lets the user set a new password, shown once to the admin to
    pass on (a POST: making one is audited, and a page a scanner fetches makes none)."""
    user = db.get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        flash("The form has expired; try again.", "error")
        return redirect(url_for("admin.users"))
    if user.is_active:  # emailed to them as well, once the audit entry commits
        link, expires = mail_reset_link(user, "password_reset_admin", actor=current_user)
    else:  # the link works only after reactivation: no mail that would not work
        token, expires = password_resets.make_reset_token(user, current_user)
        link = url_for("auth.reset_password", token=token, _external=True)
    db.session.commit()
    return render_template("admin/password_link.html", user=user, expires=expires, link=link,
                           emailed=user.is_active)


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@role_required(Role.ADMIN)
def change_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RoleForm(prefix=f"u{user.id}")
    if form.validate_on_submit():
        try:
            set_role(user, Role(form.role.data), actor=current_user)
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"{user.email} is now {user.role.label.lower()}.", "success")
    else:
        flash("Choose one of the listed roles.", "error")
    return redirect(url_for("admin.users", q=request.args.get("q") or None))
