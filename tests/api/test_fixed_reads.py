"""fixed_reads.fetch_all gives what SQLAlchemy's Result gives for the same statement: the
same values of the same types (aware UTC times, enums, booleans, on SQLite too), in a
connection of its own in autocommit, or in the request's open transaction."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import event

from bootcamp.api import standings
from bootcamp.api.fixed_reads import fetch_all
from bootcamp.extensions import db
from exams.models import QualificationStatus


def test_the_rows_are_the_results_rows(app, api_world, token):
    params = {"client_id": token.client_id, "external_id": "w-1"}
    with app.app_context():
        expected = db.session.execute(standings.WORKER_STANDINGS, params).all()
        db.session.remove()
        found = fetch_all(standings.WORKER_STANDINGS, params)
        assert not db.session.registry.has()  # no session was opened for it
    assert len(found) == 4
    assert [tuple(row) for row in found] == [tuple(row) for row in expected]
    for row, other in zip(found, expected, strict=True):
        assert [type(value) for value in row] == [type(value) for value in other]
        assert row._fields == tuple(other._fields)
    assert {row.status for row in found} <= {*QualificationStatus, None}
    assert all(row.updated_at is None or row.updated_at.tzinfo is UTC for row in found)
    assert all(isinstance(row.has_settings, bool) for row in found)


def test_it_reads_in_the_requests_open_transaction(app, api_world, token):
    params = {"client_id": token.client_id, "external_id": "w-1"}
    with app.app_context():
        db.session.execute(standings.COURSE, {"slug": "qualified"})  # opens the transaction
        connection = db.session.connection()
        seen = []
        listener = lambda conn, *args: seen.append(conn)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert len(fetch_all(standings.WORKER_STANDINGS, params)) == 4
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert seen == [connection]
        db.session.remove()
