"""Trainee pages: the training centre, a course's home, the manual and what changed."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from bootcamp.extensions import db
from bootcamp.forms import ActionForm
from bootcamp.page_reads import reads_only
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses.models import Course
from courses.rendering import render_markdown
from courses.services import catalog, enrolment, items, manuals, practice, progress
from courses.views import bp
from courses.views.access import media_prefix, viewable_course
from courses.views.manual_markup import manual_markup
from exams.services import dropout, qualifications, summary, timing
from exams.services import progress as trainee_progress


def training_centre(user: User) -> dict[str, Any]:
    """The course cards of the training centre (here and on the dashboard): progress from
    courses, and for enrolled courses the exam status from exams."""
    courses, enrolled_ids = progress.training_centre_courses(user)
    keyed = practice.practice_items([course.id for course in courses]) if courses else {}
    with_items = {course_id for course_id, found in keyed.items() if found}
    cards = progress.courses_progress(user, courses, with_items, enrolled_ids)
    enrolled = [card.course.id for card in cards if card.enrolled]
    practising = [card.course for card in cards if card.enrolled and card.has_practice]
    return {"cards": cards,
            "exams": summary.exam_statuses(user, enrolled) if enrolled else {},
            "practice": practice.mastered_counts(user, practice.modules_of(practising, keyed))
            if practising else {}}


@bp.route("/")
@reads_only
@login_required
def index():
    return render_template("courses/index.html", **training_centre(current_user))


@bp.route("/<slug>")
@reads_only
@login_required
def home(slug: str):
    course = viewable_course(slug)
    outlines = items.active_outlines([course.id])
    found = practice.modules(course, outlines)
    enrolled = enrolment.enrollment_of(current_user.id, course.id)
    standing = progress.course_progress(current_user, course, has_practice=bool(found),
                                        enrolled=enrolled is not None)
    staff = catalog.can_edit(course.id, current_user)
    held = None if staff else qualifications.standing(current_user.id, course.id)
    mine = (trainee_progress.trainee_progress(
        current_user, course, now=utcnow(), modules=found, enrolment=enrolled, standing=held,
        reading=(standing.sections_read, standing.sections_total))
        if enrolled is not None and not staff else None)
    return render_template(
        "courses/home.html", course=course, standing=standing, staff=staff, your_progress=mine,
        left_at=None if standing.enrolled else enrolment.left_at(current_user.id, course.id),
        description_html=render_markdown(course.description), form=ActionForm(),
        exam=summary.exam_summary(current_user, course, held, outlines), practice_modules=found,
        practice_mastered=_mastered(course, found, mine) if standing.enrolled and found else None,
        honest_time=timing.course_timing(course), min_finished=timing.MIN_FINISHED,
    )


def _mastered(course: Course, found: list[practice.Module],
              mine: trainee_progress.ProgressRow | None) -> tuple[int, int]:
    """Modules the signed-in trainee mastered: their progress row counts them by the same
    rule, so the page asks only when it has no row (staff trying the course)."""
    if mine is not None:
        return mine.modules_mastered, mine.modules_total
    return practice.mastered_count(current_user, course, found)


@bp.route("/<slug>/enrol", methods=["POST"])
@login_required
def enrol(slug: str):
    course = viewable_course(slug)
    try:
        enrolment.enrol(current_user, course, enrolment.EnrollmentSource.SELF)
    except enrolment.EnrolmentError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"You are enrolled in {course.title}.", "success")
    return redirect(url_for("courses.home", slug=slug))


@bp.route("/<slug>/leave", methods=["POST"])
@login_required
def leave(slug: str):
    """The trainee leaves the course; the dropout is recorded at once (reason "withdrew")."""
    course = viewable_course(slug)  # the CSRF token is checked for every POST (CSRFProtect)
    now = utcnow()
    try:
        enrolment.withdraw(current_user, course, now)
    except enrolment.WithdrawError as exc:
        flash(str(exc), "error")
    else:
        dropout.refresh(now, course.id, current_user.id)
        db.session.commit()
        flash(f"You have left {course.title}. Enrol again whenever you like: your reading, "
              "practice and results are kept.", "success")
    return redirect(url_for("courses.home", slug=slug))


def _show_version(course, version, current: bool):
    prefix = media_prefix(course)
    last_read = manuals.open_manual(current_user, course, version)
    changes = (manuals.changes_since(course, last_read, prefix)
               if current and last_read and last_read != version.number else None)
    changed = changes.diff.changed_ids if changes else frozenset()
    page = render_template(
        "courses/manual.html", course=course, version=version, changes=changes, current=current,
        markup=manual_markup(version, prefix, url_for("courses.mark_read", slug=course.slug),
                             ActionForm().csrf_token(), changed,
                             manuals.sections_still_read(current_user.id, course, version)),
    )
    # After the page: the commit keeps the opening (and a rendering made now) and would
    # expire what the page still reads.
    db.session.commit()
    return page


@bp.route("/<slug>/manual")
@reads_only
@login_required
def manual(slug: str):
    course = viewable_course(slug)
    version = manuals.latest_version(course)
    if version is None:
        flash("This course has no published manual yet.", "info")
        return redirect(url_for("courses.home", slug=slug))
    return _show_version(course, version, current=True)


@bp.route("/<slug>/manual/v<int:number>")
@reads_only
@login_required
def manual_version(slug: str, number: int):
    course = viewable_course(slug)
    version = manuals.version_by_number(course, number)
    if version is None or not version.is_published:
        abort(404)
    latest = manuals.latest_version(course)
    return _show_version(course, version, current=version.number == latest.number)


@bp.route("/<slug>/manual/read", methods=["POST"])
@login_required
def mark_read(slug: str):
    course = viewable_course(slug)
    version = manuals.version_by_number(course, request.form.get("version", type=int) or 0)
    section = request.form.get("section", "")
    if version is None or not version.is_published:
        abort(400)
    try:
        manuals.mark_section_read(current_user, course, version, section)
    except manuals.ManualError:
        abort(400)
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return {"section": section, "read": True}
    return redirect(url_for("courses.manual_version", slug=slug, number=version.number,
                            _anchor=section))


@bp.route("/<slug>/manual/changes")
@reads_only
@login_required
def changes(slug: str):
    course = viewable_course(slug)
    since = request.args.get("since", type=int) or manuals.last_read_version(
        current_user.id, course.id)
    summary = manuals.changes_since(course, since, media_prefix(course)) if since else None
    return render_template("courses/changes.html", course=course, summary=summary, since=since,
                           render_markdown=render_markdown)


@bp.route("/<slug>/manual/history")
@login_required
def history(slug: str):
    course = viewable_course(slug)
    versions = manuals.published_versions(course)
    titles = {v.number: v.section_titles for v in versions if v.material_sections}
    return render_template(
        "courses/history.html", course=course, versions=versions, titles=titles,
        draft=manuals.draft_of(course) if catalog.can_edit(course.id, current_user) else None,
        render_markdown=render_markdown,
    )


@bp.route("/<slug>/manual/diff")
@login_required
def diff(slug: str):
    course = viewable_course(slug)
    versions = manuals.published_versions(course)
    if len(versions) < 2:
        flash("There is only one version so far: nothing to compare.", "info")
        return redirect(url_for("courses.history", slug=slug))
    old_number = request.args.get("from", type=int) or versions[-2].number
    new_number = request.args.get("to", type=int) or versions[-1].number
    old, new = (manuals.version_by_number(course, n) for n in (old_number, new_number))
    if old is None or new is None or not (old.is_published and new.is_published):
        abort(404)
    return render_template(
        "courses/diff.html", course=course, old=old, new=new, versions=versions,
        diff=manuals.diff_versions(old, new, media_prefix(course)),
    )
