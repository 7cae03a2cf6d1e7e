"""The landing page and each user's dashboard."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from courses.services import progress

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    return render_template("home/index.html")


@bp.route("/dashboard")
@login_required
def dashboard():
    """The trainee's training centre: their courses, progress and next steps."""
    cards = [progress.course_progress(current_user, course)
             for course in progress.training_centre_courses(current_user)]
    return render_template("home/dashboard.html", cards=cards)
