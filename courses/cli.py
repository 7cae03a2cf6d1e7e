"""`bootcamp courses import|export` (bundles) and `bootcamp items import|export` (gold items)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from bootcamp.extensions import db
from courses import importers
from courses.clips import MAX_CLIP_FRAMES
from courses.errors import SourceInvalid
from courses.media_paths import MEDIA_PREFIX, media_path_problem
from courses.services import bundles, catalog, item_import, items

courses_cli = AppGroup("courses", help="Import and export course bundles.")
items_cli = AppGroup("items", help="Import and export a course's gold items.")


@courses_cli.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_command(directory: Path) -> None:
    """Import a course bundle; nothing is written unless the whole bundle is valid."""
    try:
        result = bundles.import_bundle(directory, actor=None)
    except SourceInvalid as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(f"{directory}/{error}", err=True)
        raise click.ClickException(
            f"{len(exc.errors)} problem(s) found; nothing was imported.") from exc
    db.session.commit()
    verb = "Created" if result.created else "Updated"
    versions = ", ".join(map(str, result.new_versions)) or "none"
    click.echo(f"{verb} course {result.course.slug}: new manual versions {versions}; "
               f"{len(result.new_media)} new media file(s).")
    changes = result.item_changes
    click.echo(f"Gold items: {len(changes.created)} new, {len(changes.revised)} with a new gold "
               f"revision, {len(changes.updated)} updated, {len(changes.unchanged)} unchanged, "
               f"{len(changes.retired)} retired.")


@courses_cli.command("export")
@click.argument("slug")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_command(slug: str, directory: Path) -> None:
    """Write a course as a bundle folder (which must not exist or be empty)."""
    course = catalog.find_course(slug)
    if course is None:
        raise click.ClickException(f"There is no course {slug!r}.")
    if directory.exists() and any(directory.iterdir()):
        raise click.ClickException(f"{directory} is not empty.")
    bundles.export_bundle(course, directory)
    click.echo(f"Exported {slug} to {directory}.")


def _course(slug: str):
    course = catalog.find_course(slug)
    if course is None:
        raise click.ClickException(f"There is no course {slug!r}.")
    return course


def _classes(_context: click.Context, _parameter: click.Parameter,
             value: str | None) -> dict[int, str] | None:
    try:
        return importers.parse_classes(value) if value is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@items_cli.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(item_import.FORMATS),
              default="jsonl", show_default=True)
@click.option("--media", "media_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder with the images the file refers to.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Label Studio labeling-config XML, for the full option and label sets.")
@click.option("--annotation", type=click.Choice(["ground-truth", "latest"]),
              default="ground-truth", show_default=True,
              help="Label Studio: which annotation of a task is the gold.")
@click.option("--pool", type=click.Choice(["practice", "exam"]), default="practice",
              show_default=True, help="Pool for converted items (jsonl items carry their own).")
@click.option("--clip", type=click.IntRange(1, MAX_CLIP_FRAMES), default=None,
              help=f"MOT, CVAT video: frames per item (default and most: {MAX_CLIP_FRAMES}).")
@click.option("--classes", callback=_classes, metavar="CLASS=LABEL,...",
              help="MOT: the classes to keep and their labels, e.g. 1=pedestrian,3=car "
                   "(default: gt/labels.txt, else MOTChallenge's classes 1 to 7).")
def items_import_command(slug: str, file: Path, fmt: str, media_dir: Path | None,
                         config: Path | None, annotation: str, pool: str, clip: int | None,
                         classes: dict[int, str] | None) -> None:
    """Import gold items into a course's bank; nothing is written unless all are valid."""
    course = _course(slug)
    try:
        converted = item_import.convert(
            course, fmt, file, media_dir, pool=pool, annotation=annotation,
            config=config.read_text(encoding="utf-8") if config else None,
            config_file=config.name if config else "config.xml", classes=classes, clip=clip)
        changes = item_import.import_items(course, converted, actor=None, source=file.name)
    except SourceInvalid as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(
            f"{len(exc.errors)} problem(s) found; nothing was imported.") from exc
    db.session.commit()
    click.echo(f"{slug}: {len(changes.created)} new item(s), {len(changes.revised)} with a new "
               f"gold, {len(changes.updated)} updated, {len(changes.unchanged)} unchanged.")


@items_cli.command("export")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--media", "media_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write the media files the items use (images, frame strips, point "
                   "clouds) into this folder, which must not exist or be empty.")
def items_export_command(slug: str, file: Path, media_dir: Path | None) -> None:
    """Write a course's active gold items as native JSONL (see docs/item-formats.md)."""
    course = _course(slug)
    active = items.bank(course, active_only=True)  # retired items stay out of circulation
    if media_dir is not None and media_dir.exists() and any(media_dir.iterdir()):
        raise click.ClickException(f"{media_dir} is not empty.")
    file.write_text(importers.dump_items(items.as_native(i) for i in active), encoding="utf-8")
    click.echo(f"Exported {len(active)} item(s) of {slug} to {file}.")
    if media_dir is not None:
        files = items.media_of(course, active)
        for path, content in files.items():
            if media_path_problem(path):  # never stored so; still, nothing leaves the folder
                raise click.ClickException(media_path_problem(path))
            target = media_dir / path.removeprefix(MEDIA_PREFIX)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        click.echo(f"Wrote {len(files)} media file(s) to {media_dir}; import them back with "
                   f"--media {media_dir}.")
