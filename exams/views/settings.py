"""The instructor's exam settings page: the rules of a course's exam and its pool's health,
and for a sequential exam its operating characteristics (charts drawn by exams.charts from
exams.operating), previewed for unsaved values with the "Preview" button."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from bootcamp.extensions import db
from bootcamp.users.access import staff_required
from courses.services import manuals
from courses.views.access import editable_course
from exams import charts, operating
from exams.forms import ExamSettingsForm, parse_quotas, quotas_text
from exams.rules import BOUNDS, SEQUENTIAL_FIELDS, SEQUENTIAL_NAMES
from exams.sequential import RulesError, SequentialRules
from exams.services import settings as exam_settings
from exams.views import bp

PERCENT_FIELDS = ("sequential_p0", "sequential_p1", "sequential_alpha", "sequential_beta",
                  "sequential_cut")  # kept as shares, asked for in %
CHART_NAMES = ("pass", "items")


def _fill(form: ExamSettingsForm, stored, sections: dict[str, str]) -> None:
    form.item_count.data = stored.item_count
    form.quotas.data = quotas_text(stored.quotas, list(sections))
    form.shuffle.data = stored.shuffle
    form.pass_mark.data = round(stored.pass_mark * 100, 4)
    form.critical_rule.data = stored.critical_rule
    form.result_detail.data = str(stored.result_detail)
    form.time_limit_minutes.data = (stored.time_limit_seconds // 60
                                    if stored.time_limit_seconds else None)
    form.attempts_allowed.data = stored.attempts_allowed
    form.retry_delay_hours.data = round(stored.retry_delay_seconds / 3600, 4)
    form.validity_days.data = stored.validity_days
    form.refresh_item_count.data = stored.refresh_item_count
    form.refresh_grace_days.data = stored.refresh_grace_days
    form.mode.data = stored.mode
    for name in SEQUENTIAL_FIELDS:
        value = getattr(stored, name)
        if name in PERCENT_FIELDS and value is not None:
            value = round(value * 100, 4)
        getattr(form, name).data = value


def _sequential_values(form: ExamSettingsForm) -> dict[str, float | int | None]:
    values = {name: getattr(form, name).data for name in SEQUENTIAL_FIELDS}
    return {name: round(value / 100, 6) if name in PERCENT_FIELDS and value is not None
            else value for name, value in values.items()}


def _rules(form: ExamSettingsForm, quotas: dict[str, int]) -> exam_settings.ExamRules:
    minutes = form.time_limit_minutes.data
    return exam_settings.ExamRules(
        item_count=form.item_count.data, quotas=quotas, shuffle=bool(form.shuffle.data),
        pass_mark=round(form.pass_mark.data / 100, 6), critical_rule=bool(form.critical_rule.data),
        time_limit_seconds=minutes * 60 if minutes else None,
        attempts_allowed=form.attempts_allowed.data,
        retry_delay_seconds=round(form.retry_delay_hours.data * 3600),
        validity_days=form.validity_days.data, refresh_item_count=form.refresh_item_count.data,
        refresh_grace_days=form.refresh_grace_days.data, result_detail=form.result_detail.data,
        mode=form.mode.data, **_sequential_values(form))


def _test_of(rules: exam_settings.ExamRules) -> SequentialRules | None:
    """The sequential test to draw, when its numbers are in bounds and agree."""
    if not all(BOUNDS[name].holds(getattr(rules, name)) for name in SEQUENTIAL_FIELDS):
        return None
    try:
        return rules.sequential_rules()
    except RulesError:
        return None


def _chart_args(test: SequentialRules) -> dict[str, object]:
    """The test as the chart route's query: every setting, the cut only when set."""
    values = {name: getattr(test, name) for name in SEQUENTIAL_NAMES}
    return {name: value for name, value in values.items() if value is not None}


@bp.route("/courses/<slug>/exam/settings", methods=["GET", "POST"])
@staff_required
def settings(slug: str):
    course = editable_course(slug)
    stored = exam_settings.settings_for(course)
    sections = manuals.latest_section_titles(course)
    form = ExamSettingsForm()
    problems: list[str] = []
    previewing = request.form.get("action") == "preview"
    shown: SequentialRules | None = None
    if form.is_submitted():
        quotas, quota_problems = parse_quotas(form.quotas.data or "", sections)
        valid = form.validate()
        form.quotas.errors = [*form.quotas.errors, *quota_problems]
        if valid and not quota_problems:
            rules = _rules(form, quotas)
            problems = exam_settings.rule_problems(rules)
            shown = _test_of(rules) if previewing or rules.is_sequential else None
            if not problems and not previewing:
                exam_settings.save_settings(course, rules, current_user)
                db.session.commit()
                flash("Exam settings saved.", "success")
                return redirect(url_for("exams.settings", slug=slug))
    else:
        _fill(form, stored, sections)
        if stored.mode == "sequential":
            shown = _test_of(exam_settings.rules_of(stored))
    pool = exam_settings.exam_pool(course)
    return render_template(
        "exams/manage_settings.html", course=course, form=form, problems=problems,
        sections=sections, pool_size=len(pool),
        readiness=exam_settings.readiness_problems(course, stored), saved=stored.id is not None,
        in_practice=exam_settings.exam_items_in_practice(course),
        disclosure=exam_settings.disclosure_warnings(stored, len(pool)),
        previewing=previewing and form.is_submitted(), shown=shown,
        profile=operating.profile(shown) if shown else None,
        chart_args=_chart_args(shown) if shown else None)


def _asked_test() -> SequentialRules:
    """The test in the chart route's query, or 404 for anything out of bounds."""
    values: dict[str, float | int | None] = {}
    for name in SEQUENTIAL_NAMES:
        text = request.args.get(name)
        whole = BOUNDS[f"sequential_{name}"].whole
        try:
            values[name] = None if text is None else int(text) if whole else float(text)
        except ValueError:
            abort(404)
    if any(value is None for name, value in values.items() if name != "cut") or not all(
            BOUNDS[f"sequential_{name}"].holds(value) for name, value in values.items()):
        abort(404)
    try:
        return SequentialRules(**values)
    except RulesError:
        abort(404)


@bp.route("/courses/<slug>/exam/characteristics/<chart>.svg")
@staff_required
def characteristics_chart(slug: str, chart: str):
    """One chart of a sequential test's characteristics, for the settings in the query (saved
    or previewed): an SVG document with the chart policy, the same for the same query."""
    editable_course(slug)
    size = request.args.get("size", "wide")
    if chart not in CHART_NAMES or size not in charts.SIZES:
        abort(404)
    test = _asked_test()
    profile = operating.profile(test)
    levels = (test.p0, test.p1)
    if chart == "pass":
        svg = charts.pass_chart(profile.grid, profile.pass_curve, profile.fixed_pass_curve,
                                levels, "Chance of passing by true accuracy", size)
    else:
        svg = charts.items_chart(profile.grid, profile.expected_items, profile.items_p95,
                                 profile.fixed.items if profile.fixed else None, levels,
                                 "Items answered by true accuracy", size)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = charts.CHART_POLICY
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
