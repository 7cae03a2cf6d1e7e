"""`bootcamp tokens ...`: API clients and tokens from the command line."""

from __future__ import annotations

from flask.cli import AppGroup

tokens_cli = AppGroup("tokens", help="Manage platform API clients and tokens.")
