"""`bootcamp webhooks ...`: the delivery worker."""

from __future__ import annotations

from flask.cli import AppGroup

webhooks_cli = AppGroup("webhooks", help="Deliver webhooks to platforms.")
