"""Account pages. Messages never reveal whether an email address has an account."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from bootcamp.auth import bp
from bootcamp.auth.forms import ChangePasswordForm, LoginForm, SignupForm
from bootcamp.auth.limits import login_per_account, login_per_ip, signup_per_ip
from bootcamp.users import services
from bootcamp.users.passwords import verify_password

LOGIN_FAILED = "That email and password do not match an account. Check both and try again."


def _safe_next(target: str | None) -> str:
    """Follow ?next= only to a path on this site."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.dashboard")


@bp.route("/signup", methods=["GET", "POST"])
@signup_per_ip
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = SignupForm()
    if form.validate_on_submit():
        services.sign_up(form.email.data, form.password.data, form.name.data)
        # Same answer whether or not the address was new: no account enumeration.
        session["login_email"] = services.normalise_email(form.email.data)
        flash("Thanks for signing up. Log in with your email and password to start.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@login_per_ip
@login_per_account
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = LoginForm()
    if request.method == "GET" and "login_email" in session:
        form.email.data = session.pop("login_email")
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session on privilege change
            login_user(user)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
        g.login_failed = True
        form.form_errors.append(LOGIN_FAILED)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    # CSRFProtect has already checked the token: a cross-site page cannot log anyone out.
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("home.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append("This is not your current password.")
        else:
            services.change_password(current_user, form.new_password.data)
            login_user(current_user._get_current_object())  # this session stays; others end
            flash("Password changed. Your other sessions have been logged out.", "success")
            return redirect(url_for("home.dashboard"))
    return render_template("auth/password.html", form=form)
