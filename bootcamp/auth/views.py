"""Account pages. Log-in and "forgot password" never reveal whether an address has an
account; sign-up does (a new address is logged in at once, a taken one is told to check its
mail), bounded by the sign-up limits: see docs/security.md."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from bootcamp.auth import bp, limits
from bootcamp.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
)
from bootcamp.auth.reset_mail import mail_reset_link
from bootcamp.auth.sessions import current_session, log_in, policy
from bootcamp.events import record_event
from bootcamp.extensions import db
from bootcamp.forms import ActionForm
from bootcamp.users import password_resets, services, sessions, sign_in_links
from bootcamp.users.passwords import verify_password

LOGIN_FAILED = "That email and password do not match an account. Check both and try again."
LINK_SENT = ("If an account uses that address, we have sent a link to set a new password; "
             "it works for 24 hours.")


def _safe_next(target: str | None) -> str:
    """Follow ?next= only to a path on this site."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.dashboard")


@bp.route("/signup", methods=["GET", "POST"])
@limits.signup_per_ip
@limits.signup_mail_per_account
def signup():
    """A new address: the account is made and logged in at once. A taken one: nobody is
    logged in, nothing changes, and the address's owner gets an email saying so."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignupForm()
    if form.validate_on_submit():
        user = services.sign_up(form.email.data, form.password.data, form.name.data)
        if user is None:
            return _address_taken(form.email.data)
        log_in(user)
        db.session.commit()
        flash(f"Welcome to Bootcamp, {user.name}. You are logged in.", "success")
        response = redirect(_safe_next(request.args.get("next")))
        limits.remember_device(response, user.email)
        return response
    return render_template("auth/signup.html", form=form)


def _address_taken(email: str):
    owner = services.find_user(email)
    if owner is not None and owner.is_active:
        mail_reset_link(owner, "signup_taken")
        g.mail_sent = True
    db.session.commit()  # changes nothing; sends the mail
    return render_template("auth/signup_sent.html", email=services.normalise_email(email))


@bp.route("/login", methods=["GET", "POST"])
@limits.login_per_ip
@limits.login_per_device
@limits.login_per_account_and_ip
@limits.login_per_account
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = LoginForm()
    if request.method == "GET" and "login_email" in session:
        form.email.data = session.pop("login_email")
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            log_in(user)
            db.session.commit()
            response = redirect(_safe_next(request.args.get("next")))
            limits.remember_device(response, user.email)
            return response
        g.login_failed = True
        form.form_errors.append(LOGIN_FAILED)
    return render_template("auth/login.html", form=form)


@bp.route("/forgot", methods=["GET", "POST"])
@limits.forgot_per_ip
@limits.forgot_per_account
def forgot_password():
    """Mail a password link to an active account; the same answer for any address."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.find_user(form.email.data)
        if user is not None and user.is_active:
            mail_reset_link(user, "password_reset")
        db.session.commit()
        session["login_email"] = services.normalise_email(form.email.data)
        flash(LINK_SENT, "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    # CSRFProtect has already checked the token: a cross-site page cannot log anyone out.
    ending = current_session()
    if ending is not None:
        sessions.end_session(ending.id)  # a copy of the cookie dies with it
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("home.index"))


@bp.route("/account")
@login_required
def account():
    rules, here = policy(), current_session()
    active = sessions.active_sessions(current_user, rules)
    active.sort(key=lambda row: row.id != here.id)  # this device first, then the most recent
    return render_template(
        "auth/account.html", form=ActionForm(), sessions=active, this_session=here,
        idle_minutes=int(rules.idle.total_seconds() // 60), lifetime_days=rules.lifetime.days)


@bp.route("/account/logout-others", methods=["POST"])
@login_required
def end_other_sessions():
    ended = sessions.end_other_sessions(current_user, current_session().id)
    db.session.commit()
    flash(f"Logged out of {ended} other session{'' if ended == 1 else 's'}. "
          "This device stays logged in.", "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def end_all_sessions():
    sessions.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out everywhere, on this device too.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(account=current_user)
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append("This is not your current password.")
        else:
            services.change_password(current_user, form.new_password.data,
                                     keep_session_id=current_session().id)
            db.session.commit()
            flash("Password changed. Your other sessions have been logged out.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Set a new password through a reset link (bootcamp.users.password_resets). It works once
    and logs the account out everywhere; the person then logs in with the new password."""
    try:
        user = password_resets.read_reset_token(token, lock=request.method == "POST")
    except password_resets.ResetRefused as refused:
        db.session.rollback()
        return render_template("auth/reset.html", refused=str(refused)), 400
    form = ResetPasswordForm(account=user)
    if form.validate_on_submit():
        services.change_password(user, form.new_password.data, keep_session_id=None)
        db.session.commit()
        if current_user.is_authenticated and current_user.id == user.id:
            logout_user()
        session["login_email"] = user.email
        flash("Your new password is set, and every device was logged out. Log in with it.",
              "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, account=user)


@bp.route("/link/<token>", methods=["GET", "POST"])
def link_sign_in(token: str):
    """A platform's one-time sign-in link (bootcamp.users.sign_in_links). GET only shows who
    it signs in, so a link scanner or preview cannot spend it; the POST (CSRF-checked) signs
    in and lands on the worker's first course."""
    form = ActionForm()
    try:
        target = sign_in_links.read_link(token, lock=request.method == "POST")
    except sign_in_links.LinkRefused as refused:
        db.session.rollback()
        return render_template("auth/link.html", refused=str(refused), form=form), 400
    if not form.validate_on_submit():
        return render_template("auth/link.html", target=target, form=form)
    sign_in_links.use_link(target)
    log_in(target.user)
    record_event("logged_in", user_id=target.user.id, data={"via": "sign_in_link"})
    db.session.commit()
    if target.course_slug:
        return redirect(url_for("courses.home", slug=target.course_slug))
    return redirect(url_for("home.dashboard"))
