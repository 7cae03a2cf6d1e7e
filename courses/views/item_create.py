"""Instructors create a gold item in the browser: 1. the question and its media, 2. the gold,
given with the trainees' own answer widget. Every post shows every field again as typed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

import graders
from bootcamp.extensions import db
from bootcamp.users.access import staff_required
from courses import kinds
from courses.forms import ItemNewForm
from courses.importers.common import slug as key_from
from courses.item_spec import SpecProblem, build_spec
from courses.models import Course
from courses.services import items, manuals, practice
from courses.views import bp
from courses.views.access import editable_course, media_prefix
from courses.views.answers import parse_answer


@dataclass
class Question:
    """Step 1 as accepted: what the gold widget draws on, shaped like an item for its macro."""

    key: str
    kind: str
    prompt: str
    spec: dict[str, Any]
    media: str | None


@bp.route("/<slug>/items/new")
@staff_required
def new_item_kind(slug: str):
    course = editable_course(slug)
    return render_template("courses/item_new_kind.html", course=course,
                           kinds={name: kind for name, kind in kinds.KINDS.items()
                                  if kind.made_in_browser})


def _image(course: Course, form: ItemNewForm, kind: kinds.ItemKind) -> tuple[int, int] | None:
    """The image's size: a new upload is checked and stored; else the one an earlier post kept."""
    if kind.media != "image":
        return None
    upload = form.image.data
    if upload and upload.filename:
        content = upload.stream.read(items.MAX_IMAGE_BYTES + 1)
        try:
            image = items.store_image(course, content)
        except items.ItemInvalid as refused:
            form.image.errors = [p.removeprefix("media: ") for p in refused.problems]
            return None
        db.session.commit()  # kept at once: the next post refers to it by image_path
    else:
        image = items.stored_image(course, form.image_path.data or "")
        if image is None:
            form.image.errors = ["Upload the image the question is about."]
            return None
    form.image_path.data = image.path
    return image.width, image.height


def _question(course: Course, form: ItemNewForm, kind: kinds.ItemKind) -> Question | None:
    """Step 1 checked: None after putting each problem on its field."""
    size = _image(course, form, kind)
    if kind.media == "image" and size is None:
        return None
    try:
        spec = build_spec(kind, form.names.data or "", form.settings.data or "", image=size,
                          text=form.text.data)
    except SpecProblem as problem:
        getattr(form, problem.field).errors = [problem.message]
        return None
    prompt = form.prompt.data or kind.default_prompt(spec, "person")
    if not form.key.data and not form.key.errors:
        form.key.data = _free_key(course, key_from(prompt) or kind.name)
    return Question(form.key.data, kind.name, prompt, spec, form.image_path.data or None)


def _gold(question: Question) -> tuple[Any, str | None]:
    """The posted gold (shown again even when refused) and, when it cannot be used, why not."""
    try:
        gold = parse_answer(question.kind, request.form)
    except practice.AnswerRefused:
        return None, ("Choose the gold option." if kinds.kind_of(question.kind).reader == "one"
                      else "The gold could not be read. Draw it again.")
    try:
        graders.validate(question.kind, question.spec, gold)
    except graders.ScoringError as error:
        return gold, f"The gold is not valid: {error.path}: {error.message}."
    return gold, None


def _free_key(course: Course, base: str) -> str:
    """`base`, or `base-2`, `base-3`... whichever no item of the course has yet."""
    key, number = base, 1
    while items.find_item(course, key) is not None:
        number += 1
        key = f"{base[:90]}-{number}"
    return key


# Where a refused item's problem shows: on the field that set the value it names.
_FIELD_OF = {"id": "key", "prompt": "prompt", "explanation": "explanation",
             "sections": "sections", "pools": "pools", "critical": "critical", "media": "image"}


def _save(course: Course, form: ItemNewForm, question: Question,
          gold: Any) -> list[str] | None:
    """Create the item; the problems no field shows, or None when it was created."""
    native = {"id": question.key, "kind": question.kind, "prompt": question.prompt,
              "media": question.media, "spec": question.spec, "gold": gold,
              "explanation": form.explanation.data or "", "sections": list(form.sections.data),
              "critical": bool(form.critical.data), "pools": list(form.pools.data)}
    try:
        items.create_item(course, native, current_user)
        db.session.commit()
    except items.ItemInvalid as refused:
        db.session.rollback()
        problems = refused.problems
    except IntegrityError:  # another instructor took the key a moment ago
        db.session.rollback()
        problems = [f'id: "{question.key}" is already used by another item of this course']
    else:
        return None
    rest = []
    for problem in problems:
        name = _FIELD_OF.get(problem.split(":")[0].split("[")[0])
        if name:
            field = getattr(form, name)
            field.errors = [*field.errors, problem.partition(": ")[2]]
        else:
            rest.append(problem)
    return rest


@bp.route("/<slug>/items/new/<kind_name>", methods=["GET", "POST"])
@staff_required
def new_item(slug: str, kind_name: str):
    course = editable_course(slug)
    kind = kinds.KINDS.get(kind_name)
    if kind is None or not kind.made_in_browser:
        abort(404)
    form = ItemNewForm()
    form.names.label.text = kind.names_label
    form.sections.choices = list(manuals.latest_section_titles(course).items())
    question = gold = gold_error = None
    problems: list[str] | None = []
    if request.method == "POST":
        valid = form.validate_on_submit()
        if not form.csrf_token.errors:
            question = _question(course, form, kind)
    if question is not None and request.form.get("action") == "save":
        gold, gold_error = _gold(question)
        if valid and gold_error is None:
            problems = _save(course, form, question, gold)
            if problems is None:
                flash(f"Item {question.key} created; its gold is revision 1.", "success")
                return redirect(url_for("courses.item_history", slug=slug, key=question.key))
    media_url = (manuals.media_url_for(media_prefix(course))(question.media)
                 if question and question.media else None)
    return render_template("courses/item_new.html", course=course, kind=kind, form=form,
                           question=question, gold=gold, gold_error=gold_error,
                           problems=problems, media_url=media_url,
                           max_image_mb=items.MAX_IMAGE_BYTES // 1024 // 1024)
