"""The landing page and each user's dashboard."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from courses.views.reading import training_centre

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
    return render_template("home/dashboard.html", **training_centre(current_user))
