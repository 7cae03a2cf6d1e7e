"""Instructors edit a gold item: its fields, and its gold through the trainees' answer widget."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

import graders
from bootcamp.extensions import db
from bootcamp.users.access import staff_required
from courses import kinds
from courses.forms import ItemEditForm
from courses.models import Course, Item, ItemStatus
from courses.services import items, manuals, practice
from courses.views import bp
from courses.views.access import course_item, editable_course, media_prefix
from courses.views.answers import parse_answer


def _section_choices(course: Course, item: Item) -> list[tuple[str, str]]:
    """The latest manual's sections, plus any the item names that the manual no longer has."""
    titles = manuals.latest_section_titles(course)
    choices = list(titles.items())
    choices += [(sid, f"{sid} (not in the latest manual)") for sid in item.sections
                if sid not in titles]
    return choices


def _invalid(error: graders.ScoringError) -> str:
    return f"The gold is not valid: {error.path}: {error.message}."


@bp.route("/<slug>/items/<key>/edit", methods=["GET", "POST"])
@staff_required
def edit_item(slug: str, key: str):
    course = editable_course(slug)
    item = course_item(course, key)
    form = ItemEditForm(data=None if request.method == "POST" else {
        "prompt": item.prompt, "explanation": item.explanation, "sections": item.sections,
        "pools": item.pools, "critical": item.critical, "status": item.status.value})
    form.sections.choices = _section_choices(course, item)
    gold: Any = item.gold
    gold_error = None
    if request.method == "POST":
        try:
            gold = parse_answer(item.kind, request.form)
            graders.validate(item.kind, item.spec, gold)
        except practice.AnswerRefused:
            gold_error = ("Choose the gold option." if kinds.kind_of(item.kind).reader == "one"
                          else "The gold could not be read. Reload the page and draw it again.")
        except graders.ScoringError as error:
            gold_error = _invalid(error)
    if form.validate_on_submit() and gold_error is None:
        fields = items.ItemFields(
            prompt=form.prompt.data, explanation=form.explanation.data or "",
            sections=list(form.sections.data), pools=list(form.pools.data),
            critical=bool(form.critical.data), status=ItemStatus(form.status.data))
        try:
            changed = items.edit_item(item, fields, gold, current_user, form.reason.data or "")
        except graders.ScoringError as error:
            db.session.rollback()
            gold_error = _invalid(error)
        except items.EditRefused as refused:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, str(refused)]
        else:
            db.session.commit()
            flash(f"Item {item.key} saved; its gold is revision {item.revision}."
                  if changed else "Nothing changed.", "success" if changed else "info")
            return redirect(url_for("courses.item_history", slug=slug, key=key))
    media_url = (manuals.media_url_for(media_prefix(course))(item.media)
                 if item.media else None)
    return render_template("courses/item_edit.html", course=course, item=item, form=form,
                           gold=gold, gold_error=gold_error, media_url=media_url)
