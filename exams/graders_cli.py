"""`bootcamp graders refresh`: record who dropped out of which course, and who came back.

Run it from cron (say hourly): it applies graders.dropout's rule to every trainee as of now,
writes the dropout records (exams.models.Dropout) and emits `trainee.dropped` once per trainee
and course. Running it again changes nothing until the facts change. Pages never write these
records: they compute a trainee's state on read (exams.services.dropout.state_of).
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

graders_cli = AppGroup("graders", help="Progress and dropout statistics.")


@graders_cli.command("refresh")
@click.option("--course", "slug", metavar="SLUG", help="Only this course (default: every one).")
def refresh_command(slug: str | None) -> None:
    """Record dropouts and returns as of now; print what changed per course."""
    from sqlalchemy import select

    from bootcamp.extensions import db
    from bootcamp.types import utcnow
    from courses.models import Course
    from exams.services import dropout

    course_id = None
    if slug is not None:
        course_id = db.session.scalar(select(Course.id).where(Course.slug == slug))
        if course_id is None:
            raise click.UsageError(f"No course has the slug {slug!r}.")
    summary = dropout.refresh(utcnow(), course_id)
    db.session.commit()
    for course in summary.courses:
        click.echo(course.line())
    click.echo(f"{len(summary.courses)} course(s) refreshed; {summary.changes} change(s), "
               f"{summary.total('events')} trainee.dropped event(s).")
