"""`bootcamp exams sweep`: close attempts past their deadline, expire lapsed qualifications.

The web app runs the same sweep (exams.views.sweep) before requests; run it from cron (say
every few minutes) so that results and qualification statuses are current without them.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

exams_cli = AppGroup("exams", help="Exam housekeeping.")


@exams_cli.command("sweep")
def sweep_command() -> None:
    """Grade open attempts whose deadline passed; expire qualifications that lapsed."""
    from exams.views.sweep import sweep

    closed, expired = sweep()
    click.echo(f"Closed {closed} expired attempt(s); expired {expired} qualification(s).")
