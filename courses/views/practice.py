"""Practice pages: modules with progress and mastery, and one item at a time with feedback."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

import graders
from bootcamp.extensions import db
from bootcamp.forms import ActionForm
from bootcamp.page_reads import reads_only
from courses import kinds
from courses.models import Course, Item
from courses.practice_modules import Module, Try, module_of
from courses.rendering import render_markdown
from courses.services import catalog, enrolment, manuals, practice
from courses.views import bp
from courses.views.access import media_prefix, viewable_course
from courses.views.answers import parse_answer


@bp.app_template_global("item_kind")
def item_kind(name: str) -> kinds.ItemKind:
    """A kind's registry entry, for the widget and feedback macros every item page uses."""
    return kinds.kind_of(name)


def _practice_course(slug: str) -> tuple[Course, bool]:
    """The course and whether answers are stored: enrolled trainees practise, staff preview."""
    course = viewable_course(slug)
    if enrolment.enrollment_of(current_user.id, course.id) is not None:
        return course, True
    if catalog.can_edit(course.id, current_user):
        return course, False
    flash("Enrol in this course to practise.", "info")
    abort(redirect(url_for("courses.home", slug=slug)))


@bp.route("/<slug>/practice")
@login_required
def practice_index(slug: str):
    course, stores = _practice_course(slug)
    return render_template("courses/practice.html", course=course, preview=not stores,
                           rows=practice.module_progress(current_user, course))


@bp.route("/<slug>/practice/<module>")
@login_required
def practice_module(slug: str, module: str):
    course, _ = _practice_course(slug)
    found = practice.find_module(course, module)
    if found is None:
        abort(404)
    key = practice.next_item(current_user, course, found)
    return redirect(url_for("courses.practice_item", slug=slug, module=module, item_key=key))


@bp.route("/<slug>/practice/<module>/<item_key>", methods=["GET", "POST"])
@reads_only  # its GET; the POST of an answer keeps its transaction
@login_required
def practice_item(slug: str, module: str, item_key: str):
    course, stores = _practice_course(slug)
    item = practice.practice_item(course, item_key)
    course_modules = practice.modules(course) if item else []
    found = module_of(course_modules, item_key) if item else None
    if item is None or found is None:
        abort(404)
    if found.id != module:  # the manual moved the item's section: send the trainee there
        return redirect(url_for("courses.practice_item", slug=slug, module=found.id,
                                item_key=item_key))
    form = ActionForm()
    answer = score = error = placed = None
    if form.validate_on_submit():
        try:
            answer = parse_answer(item.kind, request.form)
            score, placed = _check(course, course_modules, item, answer, stores)
        except practice.AnswerRefused as refused:
            error = str(refused)
    if placed is None and stores:  # how the next try at this item would count
        placed = practice.how_a_try_counts(current_user, course, found, item.key)
    page = _item_page(course, course_modules, found, item, form, stores, answer, score, error,
                      placed)
    if stores and score is not None:
        # The answer is kept after the page, which reads it in this transaction: committing
        # first would expire everything the page reads, to be loaded again.
        db.session.commit()
    return page


def _check(course: Course, course_modules: list[Module], item: Item, answer: Any,
           stores: bool) -> tuple[graders.Score, Try | None]:
    """The score, and how the stored answer counted toward mastery (None in a preview)."""
    if not stores:
        return practice.check_answer(item, answer), None
    stored = practice.answer_item(current_user, course, item, answer, found=course_modules)
    return (graders.Score(stored.points, stored.correct, stored.details),
            Try(stored.round_number, stored.counts, stored.ends_round))


def _next_module(rows: list[practice.ModuleProgress],
                 module: Module) -> practice.ModuleProgress | None:
    """The first module after this one (then from the start) not mastered yet."""
    at = next(n for n, row in enumerate(rows) if row.module.id == module.id)
    return next((row for row in rows[at + 1:] + rows[:at] if not row.standing.mastered), None)


def _item_page(course: Course, course_modules: list[Module], module: Module, item: Item,
               form: ActionForm, stores: bool, answer: Any, score: graders.Score | None,
               error: str | None, placed: Try | None):
    titles = manuals.latest_section_titles(course)
    rows = practice.module_progress(current_user, course, course_modules)
    progress = next(row for row in rows if row.module.id == module.id)
    media_url_of = manuals.media_url_for(media_prefix(course))
    media_url = media_url_of(item.media) if item.media else None
    return render_template(
        "courses/practice_item.html", course=course, module=module, item=item, form=form,
        preview=not stores, answer=answer, score=score, error=error, progress=progress,
        placed=placed, next_module=_next_module(rows, module),
        staff=catalog.can_edit(course.id, current_user),
        position=module.position_of(item.key) + 1, next_key=module.key_after(item.key),
        media_url=media_url, explanation_html=render_markdown(item.explanation, media_url_of),
        rules=[(sid, titles[sid]) for sid in item.sections if sid in titles],
    )
