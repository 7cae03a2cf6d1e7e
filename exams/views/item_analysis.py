"""Which exam items and which manual rules cause errors, for course staff: Moodle's item and
test statistics, error rates per section with common mistakes, and the button that turns a
common mistake into a call-out in the next manual draft.

Staff only: these pages show answers, and the right answer is among them.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from bootcamp.extensions import db
from bootcamp.forms import ActionForm
from bootcamp.users.access import staff_required
from courses.services import callouts
from courses.views.access import editable_course
from exams.services import item_stats, sequential_stats
from exams.views import bp
from graders import item_analysis


@bp.route("/courses/<slug>/items/analysis")
@staff_required
def item_analysis_page(slug: str) -> ResponseReturnValue:
    course = editable_course(slug)
    report = item_stats.item_report(course)
    return render_template("exams/item_analysis.html", course=course, report=report,
                           min_answers=item_stats.MIN_ANSWERS, percent=item_stats.percent,
                           facility_band=item_analysis.facility_band,
                           decisions=sequential_stats.decisions(course))


@bp.route("/courses/<slug>/rules")
@staff_required
def rules(slug: str) -> ResponseReturnValue:
    course = editable_course(slug)
    return render_template("exams/rules_errors.html", course=course,
                           report=item_stats.rule_report(course),
                           percent=item_stats.percent)


@bp.route("/courses/<slug>/rules/callout", methods=["POST"])
@staff_required
def add_callout(slug: str) -> ResponseReturnValue:
    """One click: the common mistake, as a call-out under its section in the draft."""
    course = editable_course(slug)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    back = url_for("exams.rules", slug=slug)
    chosen = [request.form.get(name, "") for name in ("section", "item", "answer")]
    found = item_stats.find_mistake(course, *chosen) if all(chosen) else None
    if found is None:
        flash("That is no longer one of the common mistakes: nothing was added.", "error")
        return redirect(back)
    row, mistake, info = found
    block = callouts.mistake_callout(info.key, str(mistake.answer), mistake.count)
    _, placed = callouts.add_to_draft(course, row.section, block, current_user)
    db.session.commit()
    where = (f"under “{row.title}”" if placed
             else f"at the end: the draft has no section “{row.title}” any more")
    flash(f"A call-out about item {info.key} was added to the draft {where}. "
          "Reword it, then publish when ready.", "success")
    return redirect(url_for("courses.draft", slug=slug))
