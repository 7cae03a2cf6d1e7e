"""`bootcamp courses import DIR` and `bootcamp courses export SLUG DIR`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from bootcamp.extensions import db
from courses.bundles import BundleInvalid
from courses.services import bundles, catalog

courses_cli = AppGroup("courses", help="Import and export course bundles.")


@courses_cli.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_command(directory: Path) -> None:
    """Import a course bundle; nothing is written unless the whole bundle is valid."""
    try:
        result = bundles.import_bundle(directory, actor=None)
    except BundleInvalid as exc:
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
