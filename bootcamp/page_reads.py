"""Pages that only read run their statements in autocommit, from the session load on.

A transaction costs a GET two round trips to the database, BEGIN and ROLLBACK, around the
four to ten statements of a trainee's page; under READ COMMITTED each of those statements sees
a snapshot of its own anyway, so a transaction gives a page that only reads nothing more.
Views opt in with @reads_only when no write of theirs needs another statement's company: the
manual's record of an opening, for one, is a single INSERT. Work before the view that needs a
transaction (the exam sweep, with its row locks) commits first, which hands the session's
autocommit connection back and makes the next statement open a transaction as usual.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, request

from bootcamp.extensions import db


def reads_only(view: Callable) -> Callable:
    """Mark a view whose GET (and HEAD) runs in autocommit."""
    view.reads_only = True
    return view


def read_in_autocommit() -> None:
    """Before every other hook: a marked view's GET reads its session and user in autocommit
    too, unless something opened the session's transaction already."""
    if (request.method in ("GET", "HEAD")
            and getattr(current_app.view_functions.get(request.endpoint), "reads_only", False)
            and not db.session().in_transaction()):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def init_page_reads(app: Flask) -> None:
    """Run read_in_autocommit first of the app's before-request hooks: the session is loaded
    by the first hook that asks for the user."""
    app.before_request_funcs.setdefault(None, []).insert(0, read_in_autocommit)
