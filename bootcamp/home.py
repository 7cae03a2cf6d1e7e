"""The landing page and each user's dashboard."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from bootcamp.users.models import Role
from courses.views.reading import training_centre
from exams.services import teaching

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    return render_template("home/index.html")


@bp.route("/dashboard")
@login_required
def dashboard():
    """A trainee's training centre: their courses, progress and next steps. Instructors see
    first what waits for them in the courses they teach, and only the courses they take."""
    centre = training_centre(current_user)
    taught = None
    if current_user.has_role(Role.INSTRUCTOR):
        taught = teaching.taught_courses(current_user)
        centre["cards"] = [card for card in centre["cards"] if card.enrolled]
    return render_template("home/dashboard.html", taught=taught, **centre)
