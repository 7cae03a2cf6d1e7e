"""`bootcamp exams sweep`: close attempts past their deadline, expire lapsed qualifications.

The web app closes an expired attempt when its trainee comes back; run the sweep from cron (say
every few minutes) so that results and qualification statuses are current without them.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bootcamp.extensions import db

exams_cli = AppGroup("exams", help="Exam housekeeping.")


@exams_cli.command("sweep")
def sweep_command() -> None:
    """Grade open attempts whose deadline passed; expire qualifications that lapsed."""
    from exams.services import attempts, qualifications

    closed = attempts.close_expired()  # commits after each attempt
    expired = qualifications.expire_due()
    db.session.commit()
    click.echo(f"Closed {closed} expired attempt(s); expired {expired} qualification(s).")
