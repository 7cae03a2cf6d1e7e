"""The instructor's progress pages: every trainee's progress in a course (table and CSV), and
the training-hours report that training is paid by.

Sorting and filtering happen on the server (query string), so a link to a sorted, filtered
table can be shared and the CSV export takes the same filters.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from flask import Response, abort, render_template, request
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.access import staff_required
from courses.models import Cohort, Course
from courses.views.access import editable_course
from exams.services import progress
from exams.services.progress import STAGE_LABELS, STATE_LABELS, HoursRow, ProgressRow
from exams.views import bp
from graders.activity import Stage
from graders.dropout import State

# Sortable columns: query value -> (header, key of a row). None sorts last either way.
COLUMNS: dict[str, tuple[str, Callable[[ProgressRow], Any]]] = {
    "trainee": ("Trainee", lambda r: (r.name or r.email).casefold()),
    "state": ("Standing", lambda r: list(State).index(r.state)),
    "stage": ("Furthest step", lambda r: r.stage.rank),
    "read": ("Manual read", lambda r: r.sections_read),
    "practice": ("Practice answers", lambda r: r.practice_answers),
    "mastered": ("Modules mastered", lambda r: r.modules_mastered),
    "attempts": ("Exam attempts", lambda r: r.attempts),
    "best": ("Best exam score", lambda r: r.best_score),
    "qualification": ("Qualification", lambda r: r.status_label),
    "time": ("Time on task", lambda r: r.active),
    "last": ("Last active", lambda r: r.last_activity),
    "first": ("First active", lambda r: r.first_activity),
    "cohort": ("Cohort", lambda r: r.cohort.casefold() if r.cohort else None),
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@bp.app_template_filter("duration")
def format_duration(amount: timedelta | None) -> str:
    """Time on task as people say it: "2 h 05 min", "12 min", "under a minute", "none"."""
    if not amount:
        return "none"
    minutes = int(amount.total_seconds() // 60)
    if minutes == 0:
        return "under a minute"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP "CSV injection"): text that
    starts with = + - @ or a tab or carriage return gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(header: list[str], rows: Iterable[list[object]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _cohorts(course: Course) -> list[Cohort]:
    return list(db.session.scalars(select(Cohort).where(Cohort.course_id == course.id)
                                   .order_by(Cohort.starts_on, Cohort.id)))


def _chosen_cohort(cohorts: list[Cohort]) -> Cohort | None:
    """The ?cohort= of the request: one of the course's cohorts, else 404 (a typo must not
    quietly show every trainee)."""
    wanted = request.args.get("cohort", "")
    if not wanted:
        return None
    found = next((c for c in cohorts if str(c.id) == wanted), None)
    if found is None:
        abort(404)
    return found


def _filters() -> dict[str, str]:
    """The filters and order of the request, only known values kept."""
    args = request.args
    sort = args.get("sort", "trainee")
    return {
        "cohort": args.get("cohort", ""),
        "state": args.get("state", "") if args.get("state") in set(State) else "",
        "stage": args.get("stage", "") if args.get("stage") in set(Stage) else "",
        "q": args.get("q", "").strip()[:200],
        "sort": sort if sort in COLUMNS else "trainee",
        "dir": "desc" if args.get("dir") == "desc" else "asc",
    }


def _shown(rows: list[ProgressRow], filters: dict[str, str]) -> list[ProgressRow]:
    """Rows that pass the state, stage and search filters, in the chosen order."""
    needle = filters["q"].casefold()
    kept = [row for row in rows
            if (not filters["state"] or row.state == filters["state"])
            and (not filters["stage"] or row.stage == filters["stage"])
            and (not needle or needle in row.name.casefold() or needle in row.email.casefold())]
    key = COLUMNS[filters["sort"]][1]
    reverse = filters["dir"] == "desc"
    known = sorted((row for row in kept if key(row) is not None), key=key, reverse=reverse)
    return known + [row for row in kept if key(row) is None]


def _table(slug: str) -> tuple[Course, list[Cohort], Cohort | None, dict[str, str],
                               list[ProgressRow], list[ProgressRow]]:
    course = editable_course(slug)
    cohorts = _cohorts(course)
    cohort = _chosen_cohort(cohorts)
    filters = _filters()
    rows = progress.course_progress(course, cohort.id if cohort else None, now=utcnow())
    return course, cohorts, cohort, filters, rows, _shown(rows, filters)


@bp.route("/courses/<slug>/progress", endpoint="progress")
@staff_required
def progress_page(slug: str):
    course, cohorts, cohort, filters, rows, shown = _table(slug)
    counts = {state: sum(row.state == state for row in rows) for state in State}
    return render_template(
        "exams/progress.html", course=course, cohorts=cohorts, cohort=cohort, filters=filters,
        rows=shown, total=len(rows), counts=counts,
        columns={key: header for key, (header, _) in COLUMNS.items()
                 if key != "cohort" or (cohorts and cohort is None)},
        state_labels=STATE_LABELS, stage_labels=STAGE_LABELS,
        window=course.dropout_window_days)


def _iso(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def _minutes(amount: timedelta) -> str:
    return f"{amount.total_seconds() / 60:.1f}"


@bp.route("/courses/<slug>/progress.csv", endpoint="progress_csv")
@staff_required
def progress_csv(slug: str):
    course, _, cohort, _, _, shown = _table(slug)
    header = ["name", "email", "cohort", "sections_read", "sections_total", "practice_answers",
              "practice_correct", "modules_mastered", "modules_total", "exam_attempts",
              "best_score_percent", "qualification", "active_minutes", "first_active_utc",
              "last_active_utc", "furthest_step", "standing"]
    rows = ([row.name, row.email, row.cohort or "", row.sections_read, row.sections_total,
             row.practice_answers, row.practice_correct, row.modules_mastered,
             row.modules_total, row.attempts,
             "" if row.best_score is None else round(row.best_score * 100),
             row.status_label, _minutes(row.active), _iso(row.first_activity),
             _iso(row.last_activity), row.stage_label, row.state_label] for row in shown)
    suffix = f"-cohort-{cohort.id}" if cohort else ""
    return csv_response(header, rows, f"{course.slug}{suffix}-progress.csv")


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _hours(slug: str) -> tuple[Course, list[Cohort], Cohort | None, dict[str, Any],
                               list[HoursRow]]:
    course = editable_course(slug)
    cohorts = _cohorts(course)
    cohort = _chosen_cohort(cohorts)
    period = "week" if request.args.get("period") == "week" else "day"
    start, end = _day("from"), _day("to")
    rows = progress.training_hours(course, cohort.id if cohort else None, period=period,
                                   start=start, end=end)
    filters = {"period": period, "from": start.isoformat() if start else "",
               "to": end.isoformat() if end else "", "cohort": str(cohort.id) if cohort else ""}
    return course, cohorts, cohort, filters, rows


@bp.route("/courses/<slug>/hours", endpoint="hours")
@staff_required
def hours_page(slug: str):
    course, cohorts, cohort, filters, rows = _hours(slug)
    totals: dict[int, list] = {}
    for row in rows:
        entry = totals.setdefault(row.user_id, [row, timedelta(0)])
        entry[1] += row.active
    people = sorted(totals.values(), key=lambda entry: entry[0].email)
    return render_template(
        "exams/progress_hours.html", course=course, cohorts=cohorts, cohort=cohort,
        filters=filters, rows=rows, people=people, show_cohort=bool(cohorts) and cohort is None,
        total=sum((row.active for row in rows), timedelta(0)))


@bp.route("/courses/<slug>/hours.csv", endpoint="hours_csv")
@staff_required
def hours_csv(slug: str):
    course, _, cohort, filters, rows = _hours(slug)
    period = filters["period"]
    header = [f"{period}_utc" if period == "day" else "week_starting_monday", "name", "email",
              "cohort", "active_minutes", "active_hours"]
    body = ([row.period.isoformat(), row.name, row.email, row.cohort or "", _minutes(row.active),
             f"{row.active.total_seconds() / 3600:.2f}"] for row in rows)
    suffix = f"-cohort-{cohort.id}" if cohort else ""
    return csv_response(header, body, f"{course.slug}{suffix}-hours-per-{period}.csv")
