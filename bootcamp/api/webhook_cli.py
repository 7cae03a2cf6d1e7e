"""`bootcamp webhooks ...`: the delivery worker.

`bootcamp webhooks work` runs until SIGTERM or Ctrl+C, finishing the delivery under way before
it stops; run as many as you like, on as many hosts (PostgreSQL lets them share the work).
`--once` does one round and exits, for tests and cron.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click
from flask.cli import AppGroup

from bootcamp.api import delivery
from bootcamp.extensions import db

webhooks_cli = AppGroup("webhooks", help="Deliver webhooks to platforms.")
log = logging.getLogger(__name__)


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT end the loop after the current delivery (a lease covers the rest)."""

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def _round(batch: int) -> int:
    """One round; an error is logged and rolled back, so the loop keeps going."""
    try:
        return delivery.work_once(limit=batch)
    except Exception:  # noqa: BLE001 - a database blip must not end a long-running worker
        log.exception("webhook round failed")
        db.session.rollback()
        return 0


@webhooks_cli.command("work")
@click.option("--once", is_flag=True, help="Do one round (dispatch, deliver what is due), "
                                           "then exit.")
@click.option("--batch", default=delivery.CLAIM_BATCH, show_default=True, type=int,
              help="Deliveries claimed per round.")
@click.option("--idle", default=1.0, show_default=True, type=float,
              help="Seconds to wait when nothing is due.")
def work_command(once: bool, batch: int, idle: float) -> None:
    """Dispatch events and deliver webhooks."""
    if once:
        tried = delivery.work_once(limit=batch)
        click.echo(f"Tried {tried} deliveries.")
        return
    stop = threading.Event()
    _stop_on_signals(stop)
    click.echo("Delivering webhooks (SIGTERM or Ctrl+C stops).")
    while not stop.is_set():
        if _round(batch) == 0:
            stop.wait(idle)
    db.session.remove()
    click.echo("Stopped.")
