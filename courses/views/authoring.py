"""Instructor pages: create and edit courses, write, preview and publish manual versions."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from bootcamp.extensions import db
from bootcamp.forms import ActionForm
from bootcamp.users.access import staff_required
from bootcamp.users.models import Role
from courses.bundles import extract_zip, normalise_markdown
from courses.errors import SourceInvalid
from courses.forms import BundleUploadForm, CourseForm, DraftForm, PublishForm
from courses.manual_diff import diff_manuals
from courses.models import CourseStatus
from courses.rendering import limit_problems
from courses.services import bundles, catalog, manuals
from courses.views import bp
from courses.views.access import editable_course, media_prefix
from exams.services import disputes


def _fields(form: CourseForm, slug: str) -> catalog.CourseFields:
    return catalog.CourseFields(
        slug=slug, title=form.title.data, code_name=form.code_name.data or None,
        description=normalise_markdown(form.description.data or ""),
        qualifies_for=form.qualifies_for.data or "",
        estimated_minutes=form.estimated_minutes.data, status=CourseStatus(form.status.data),
        dropout_window_days=form.dropout_window_days.data,
    )


@bp.route("/manage")
@staff_required
def manage():
    courses = catalog.staff_courses(current_user)
    ids = [c.id for c in courses]
    return render_template("courses/manage.html", courses=courses,
                           counts=catalog.published_counts(ids),
                           open_disputes=disputes.open_counts(ids),
                           every_course=current_user.has_role(Role.ADMIN))


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    form = CourseForm()
    if form.validate_on_submit():
        try:
            course = catalog.create_course(_fields(form, form.slug.data), current_user)
        except catalog.CourseError as exc:
            form.slug.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Course created. Now write the first version of its manual.", "success")
            return redirect(url_for("courses.draft", slug=course.slug))
    return render_template("courses/edit.html", form=form, course=None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@staff_required
def edit(slug: str):
    course = editable_course(slug)
    form = CourseForm(obj=course)
    form.slug.data = course.slug  # shown, never changed
    if form.validate_on_submit():
        catalog.update_course(course, _fields(form, course.slug), current_user)
        db.session.commit()
        flash("Course saved.", "success")
        return redirect(url_for("courses.home", slug=slug))
    return render_template("courses/edit.html", form=form, course=course)


@bp.route("/<slug>/manual/draft", methods=["GET", "POST"])
@staff_required
def draft(slug: str):
    course = editable_course(slug)
    form = DraftForm()
    if request.method == "GET":
        form.markdown.data = manuals.draft_text(course)
    elif form.validate_on_submit():
        manuals.save_draft(course, form.markdown.data or "", current_user)
        db.session.commit()
        if request.form.get("action") == "publish":
            return redirect(url_for("courses.publish", slug=slug))
        flash("Draft saved.", "success")
        return redirect(url_for("courses.draft", slug=slug))
    preview, problems = manuals.preview(form.markdown.data or "", media_prefix(course))
    return render_template("courses/draft.html", course=course, form=form, preview=preview,
                           problems=problems, latest=manuals.latest_version(course),
                           discard_form=ActionForm(),
                           has_draft=manuals.draft_of(course) is not None)


@bp.route("/<slug>/manual/preview", methods=["POST"])
@staff_required
def preview(slug: str):
    """The draft rendered by the same sanitiser trainees get; the editor fetches it live.

    A draft past the size limits is not rendered: 422 and the reasons, shown in its place.
    """
    course = editable_course(slug)
    rendered, problems = manuals.preview(request.form.get("markdown", ""), media_prefix(course))
    return (render_template("courses/_preview.html", preview=rendered, problems=problems),
            422 if problems else 200)


@bp.route("/<slug>/manual/draft/discard", methods=["POST"])
@staff_required
def discard(slug: str):
    course = editable_course(slug)
    manuals.discard_draft(course)
    db.session.commit()
    flash("Draft discarded.", "info")
    return redirect(url_for("courses.history", slug=slug))


@bp.route("/<slug>/manual/publish", methods=["GET", "POST"])
@staff_required
def publish(slug: str):
    course = editable_course(slug)
    pending = manuals.draft_of(course)
    if pending is None:
        flash("Write a draft first.", "info")
        return redirect(url_for("courses.draft", slug=slug))
    latest = manuals.latest_version(course)
    form = PublishForm()
    problems = limit_problems(pending.markdown)
    if problems:  # a draft saved before the limits: say why rather than render it
        form.form_errors.extend(["Shorten the manual draft before publishing it.", *problems])
        return render_template("courses/publish.html", course=course, form=form, diff=None,
                               latest=latest, sections=[])
    prefix = media_prefix(course)
    rendered = manuals.render_version(pending, prefix)
    diff = diff_manuals(manuals.render_version(latest, prefix), rendered) if latest else None
    form.material.choices = [SelectChoice(s.id, s.title) for s in rendered.sections]
    refreshing = 0
    if form.validate_on_submit():
        material = form.material.data or []
        try:
            version = manuals.publish_draft(
                course, form.changelog.data or "", material, current_user,
                confirmed_refreshes=_confirmed_refreshes(form.confirmed.data, material))
        except manuals.ManualError as exc:
            form.form_errors.extend(exc.problems)
        except manuals.RefreshUnconfirmed as exc:
            refreshing = exc.count
            form.confirmed.data = f"{exc.count}:{','.join(sorted(material))}"
        else:
            db.session.commit()
            flash(f"Version {version.number} is published.", "success")
            return redirect(url_for("courses.history", slug=slug))
    return render_template("courses/publish.html", course=course, form=form, diff=diff,
                           latest=latest, sections=rendered.sections, refreshing=refreshing)


def _confirmed_refreshes(confirmed: str | None, material: list[str]) -> int:
    """How many refreshes the instructor confirmed for exactly these material sections (the
    warning's "<count>:<section ids>"); 0 when they confirmed none or other sections."""
    count, _, sections = (confirmed or "").partition(":")
    return int(count) if count.isdigit() and sections == ",".join(sorted(material)) else 0


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_bundle():
    """Upload a zipped course bundle; it is imported whole or not at all."""
    form = BundleUploadForm()
    errors: list[str] = []
    if form.validate_on_submit():
        with tempfile.TemporaryDirectory(prefix="bundle-") as tmp:
            try:
                root = extract_zip(form.bundle.data.stream, Path(tmp))
                result = bundles.import_bundle(root, current_user)
            except ValueError as exc:  # not a zip, unsafe paths, too large
                errors = [str(exc)]
            except SourceInvalid as exc:
                db.session.rollback()
                errors = [str(error) for error in exc.errors]
            else:
                db.session.commit()
                versions = ", ".join(map(str, result.new_versions)) or "no new versions"
                created = len(result.item_changes.created)
                revised = len(result.item_changes.revised)
                retired = len(result.item_changes.retired)
                flash(f"Imported {result.course.title}: manual {versions}. Gold items: "
                      f"{created} new, {revised} with a new gold revision, {retired} retired "
                      "(no longer in items.jsonl).", "success")
                return redirect(url_for("courses.home", slug=result.course.slug))
    return render_template("courses/import.html", form=form, errors=errors)
