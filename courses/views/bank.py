"""Instructor pages for the gold item bank: list, history, and imports from other tools."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from bootcamp.extensions import db
from bootcamp.users.access import staff_required
from courses import gold_view, importers
from courses.bundles import unpack_zip
from courses.errors import SourceInvalid
from courses.forms import ItemsImportForm
from courses.services import item_import, items, manuals
from courses.views import bp
from courses.views.access import course_item, editable_course, media_prefix


@bp.route("/<slug>/items")
@staff_required
def bank(slug: str):
    course = editable_course(slug)
    return render_template("courses/bank.html", course=course, items=items.bank(course),
                           form=ItemsImportForm(), errors=[])


@bp.route("/<slug>/items/<key>")
@staff_required
def item_history(slug: str, key: str):
    course = editable_course(slug)
    item = course_item(course, key)
    revisions = items.revisions(item)
    media_url = (manuals.media_url_for(media_prefix(course))(item.media)
                 if item.media else None)
    golds = {view.number: view for view in gold_view.history(item.kind, revisions)}
    return render_template("courses/item.html", course=course, item=item, revisions=revisions,
                           golds=golds, media_url=media_url)


def _save(upload, folder: Path) -> Path:
    """Keep the uploaded file under its own name (errors cite it) in a folder of its own, so
    that no name ("..", "media", "") can land anywhere else or collide with the media."""
    name = Path(upload.filename or "").name[:100]
    path = folder / "upload" / (name if name not in ("", ".", "..") else "items")
    path.parent.mkdir()
    upload.save(path)
    return path


def _sequence_folder(unpacked: Path) -> Path:
    """A MOTChallenge sequence zipped with its folder (MOT17-02/seqinfo.ini) or without it."""
    inside = list(unpacked.iterdir())
    if len(inside) == 1 and inside[0].is_dir() and not (unpacked / "img1").is_dir():
        return inside[0]
    return unpacked


def _convert(form: ItemsImportForm, course, folder: Path) -> tuple[str, importers.Converted]:
    """Turn the uploads into native items and the media files they need."""
    media_dir = None
    if form.media.data:
        media_dir = unpack_zip(form.media.data.stream, folder / "media")
        if form.format.data == "mot":
            media_dir = _sequence_folder(media_dir)
    source = _save(form.items.data, folder)
    config = form.config.data
    converted = item_import.convert(
        course, form.format.data, source, media_dir, pool=form.pool.data,
        annotation=form.annotation.data,
        config=config.read().decode("utf-8") if config else None,
        config_file=Path(config.filename or "config.xml").name if config else "config.xml",
        classes=importers.parse_classes(form.classes.data) if form.classes.data else None,
        clip=form.clip.data)
    return source.name, converted


@bp.route("/<slug>/items", methods=["POST"])
@staff_required
def import_items(slug: str):
    """Import gold items from an upload; all of them or none, with every error listed."""
    course = editable_course(slug)
    form = ItemsImportForm()
    errors: list[str] = []
    if form.validate_on_submit():
        with tempfile.TemporaryDirectory(prefix="items-") as tmp:
            try:
                name, converted = _convert(form, course, Path(tmp))
                changes = item_import.import_items(course, converted, current_user, source=name)
            except UnicodeDecodeError:
                errors = ["The file is not UTF-8 text."]
            except ValueError as exc:  # an unsafe or broken zip
                errors = [str(exc)]
            except SourceInvalid as exc:
                db.session.rollback()
                errors = [str(error) for error in exc.errors]
            else:
                db.session.commit()
                flash(f"Imported {len(changes.created)} new item(s); {len(changes.revised)} "
                      f"got a new gold; {len(changes.updated)} updated.", "success")
                return redirect(url_for("courses.bank", slug=slug))
    return render_template("courses/bank.html", course=course, items=items.bank(course),
                           form=form, errors=errors), 200
