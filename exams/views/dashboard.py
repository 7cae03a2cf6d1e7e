"""The course and cohort dashboards for course staff: the funnel and retention, as charts (SVG
drawn by exams.charts, shown with <img>) with their numbers in tables beside them."""

from __future__ import annotations

import math
from dataclasses import replace

from flask import Response, abort, render_template, request

from bootcamp.extensions import db
from bootcamp.users.access import staff_required
from courses.models import Cohort, Course
from courses.views.access import editable_course
from exams import charts
from exams.services import cohort_stats, sequential_stats
from exams.services.cohort_stats import CourseStats, Group
from exams.views import bp
from graders.retention import Curve

CHARTS = ("funnel", "retention", "qualification")
SHORT_LABELS = {"enrolled": "Enrolled", "opened": "Opened", "read_all": "Read all",
                "practised": "Practised", "mastered": "Mastered", "examined": "Exam",
                "qualified": "Qualified"}


def _cohort(course: Course, cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or cohort.course_id != course.id:
        abort(404)
    return cohort


def qualified_curve(curve: Curve) -> Curve:
    """Time to qualification as "share qualified by day t": 1 - S(t), the band flipped."""
    def flip(values: tuple[float | None, ...]) -> tuple[float | None, ...]:
        return tuple(None if value is None else 1 - value for value in values)

    return replace(curve, survival=tuple(1 - value for value in curve.survival),
                   low=flip(curve.high), high=flip(curve.low))


def curve_groups(stats: CourseStats) -> list[Group]:
    """The groups drawn side by side: each cohort with enough trainees (or the whole course
    when it has no cohorts)."""
    groups = [group for group in stats.groups if group.meaningful]
    if not stats.groups and stats.whole.meaningful:
        groups = [stats.whole]
    return groups


def _lines(groups: list[Group], which: str) -> list[charts.Line]:
    if which == "retention":
        return [charts.Line(group.name, group.retention.dropout, index)
                for index, group in enumerate(groups)]
    return [charts.Line(group.name, qualified_curve(group.retention.qualification), index,
                        start=0.0)
            for index, group in enumerate(groups)]


def _render_chart(stats: CourseStats, which: str, size: str) -> str:
    title = stats.whole.name
    if which == "funnel":
        bars = [charts.Bar(step.label, step.count, step.share, SHORT_LABELS[step.key])
                for step in stats.whole.funnel]
        return charts.funnel_chart(bars, f"How far the trainees got: {title}", size)
    groups = curve_groups(stats)
    followed = max((item.days for group in groups for item in group.observations), default=1)
    if which == "retention":
        return charts.retention_chart(_lines(groups, which), f"Still in the course: {title}",
                                      size, until=followed)
    return charts.retention_chart(_lines(groups, which), f"Pace of qualification: {title}",
                                  size, until=followed, y_title="Qualified")


def _chart_asked(chart: str) -> str:
    """The size asked for, or 404 for a chart or size that does not exist (before any query)."""
    size = request.args.get("size", "wide")
    if chart not in CHARTS or size not in charts.SIZES:
        abort(404)
    return size


def _svg(stats: CourseStats, which: str, size: str) -> Response:
    """A chart as an SVG document, with the chart policy (no scripts, its own styles)."""
    response = Response(_render_chart(stats, which, size), mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = charts.CHART_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(course: Course, stats: CourseStats, cohort: Cohort | None) -> str:
    return render_template("exams/dashboard.html", course=course, stats=stats, cohort=cohort,
                           curves=curve_groups(stats), palette=charts.PALETTE,
                           min_trainees=cohort_stats.MIN_TRAINEES, by_day=by_day,
                           qualified_curve=qualified_curve,
                           decisions=sequential_stats.decisions(course, cohort))


def by_day(days: float | None) -> int | None:
    """A fractional day as the day it falls in ("by day 3" for 2.4 days)."""
    return None if days is None else max(math.ceil(days), 1)


@bp.route("/courses/<slug>/dashboard")
@staff_required
def dashboard(slug: str):
    course = editable_course(slug)
    return _page(course, cohort_stats.course_stats(course), None)


@bp.route("/courses/<slug>/dashboard/<chart>.svg")
@staff_required
def dashboard_chart(slug: str, chart: str):
    course = editable_course(slug)
    size = _chart_asked(chart)
    return _svg(cohort_stats.course_stats(course), chart, size)


@bp.route("/courses/<slug>/cohorts/<int:cohort_id>/dashboard")
@staff_required
def cohort_dashboard(slug: str, cohort_id: int):
    course = editable_course(slug)
    cohort = _cohort(course, cohort_id)
    return _page(course, cohort_stats.course_stats(course, cohort=cohort), cohort)


@bp.route("/courses/<slug>/cohorts/<int:cohort_id>/dashboard/<chart>.svg")
@staff_required
def cohort_dashboard_chart(slug: str, cohort_id: int, chart: str):
    course = editable_course(slug)
    cohort = _cohort(course, cohort_id)
    size = _chart_asked(chart)
    return _svg(cohort_stats.course_stats(course, cohort=cohort), chart, size)
