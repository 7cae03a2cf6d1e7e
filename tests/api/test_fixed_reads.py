"""fixed_reads.fetch_all gives what SQLAlchemy's Result gives for the same statement: the
same values of the same types (aware UTC times, enums, booleans, on SQLite too), in a
connection of its own in autocommit, or in the request's open transaction."""

from __future__ import annotations

import tempfile
import threading
from datetime import UTC

import pytest
from psycopg import pq
from sqlalchemy import event

from bootcamp.api import fixed_reads, standings
from bootcamp.api.fixed_reads import fetch_all, kept_dbapi_connection
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


def test_one_idle_connection_is_reused_until_the_engine_is_disposed(app, api_world, token):
    params = {"client_id": token.client_id, "external_id": "w-1"}
    with app.app_context():
        fetch_all(standings.WORKER_STANDINGS, params)
        kept = kept_dbapi_connection(db.engine)
        fetch_all(standings.WORKER_STANDINGS, params)
        assert kept_dbapi_connection(db.engine) is kept
        assert fixed_reads.idle_count(db.engine) == 1
        db.engine.dispose()
        assert kept_dbapi_connection(db.engine) is None  # closed with the pool, not leaked
        assert len(fetch_all(standings.WORKER_STANDINGS, params)) == 4
        assert kept_dbapi_connection(db.engine) not in (None, kept)


def test_a_thread_per_request_server_keeps_no_connection_per_thread(app, api_world, token):
    """Werkzeug's server runs each request in a new thread: a hundred lookups, one after
    another, leave one connection idle and none checked out of the pool."""
    params = {"client_id": token.client_id, "external_id": "w-1"}
    for _ in range(100):
        thread = threading.Thread(target=_lookup_in_context, args=(app, params))
        thread.start()
        thread.join()
    with app.app_context():
        assert fixed_reads.idle_count(db.engine) == 1
        assert db.engine.pool.checkedout() == 1  # the idle one; the others are back


def test_lookups_at_once_keep_at_most_keep_idle_connections(app, api_world, token):
    params = {"client_id": token.client_id, "external_id": "w-1"}
    start = threading.Barrier(8)

    def lookup() -> None:
        start.wait()
        for _ in range(20):
            _lookup_in_context(app, params)

    threads = [threading.Thread(target=lookup) for _ in range(8)]
    lost = []
    with app.app_context():
        engine = db.engine

    def invalidated(*args) -> None:
        lost.append(args)

    event.listen(engine, "invalidate", invalidated)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        event.remove(engine, "invalidate", invalidated)
    with app.app_context():
        assert 1 <= fixed_reads.idle_count(db.engine) <= fixed_reads.KEEP_IDLE
        assert db.engine.pool.checkedout() == fixed_reads.idle_count(db.engine)
    assert lost == []  # the ones past KEEP_IDLE went back to the pool, sound


def test_a_connection_lost_while_in_use_is_not_kept(app, api_world, token):
    params = {"client_id": token.client_id, "external_id": "w-1"}
    with app.app_context():
        fetch_all(standings.WORKER_STANDINGS, params)
        kept = fixed_reads._keeper(db.engine).idle[-1][0]
        kept.invalidate()
        assert len(fetch_all(standings.WORKER_STANDINGS, params)) == 4
        assert fixed_reads.idle_count(db.engine) == 1
        assert fixed_reads._keeper(db.engine).idle[-1][0] is not kept


def _lookup_in_context(app, params) -> None:
    with app.app_context():
        assert len(fetch_all(standings.WORKER_STANDINGS, params)) == 4
        db.session.remove()


def test_an_unknown_worker_is_two_round_trips_on_postgresql(app, client, api_world, token):
    """The second statement (is the id linked?) goes through the session, in autocommit
    too: no BEGIN, no ROLLBACK. The first runs on the connection fixed_reads keeps."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("round trips are counted with libpq's trace, on PostgreSQL")
    app.extensions["exam_sweep"] = {"last": float("inf")}
    path = "/api/v1/workers/nobody/qualifications"
    idle = []
    with app.app_context():
        event.listen(db.engine, "checkin", lambda connection, record: idle.append(connection))
    for _ in range(3):
        assert client.get(path, headers=token.headers).status_code == 404
    with app.app_context():
        kept = kept_dbapi_connection(db.engine)
    assert kept is not idle[-1]
    sent = []
    with tempfile.TemporaryFile() as trace:
        for connection in (kept, idle[-1]):
            connection.pgconn.trace(trace.fileno())
            connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            assert client.get(path, headers=token.headers).status_code == 404
        finally:
            for connection in (kept, idle[-1]):
                connection.pgconn.untrace()
        trace.seek(0)
        sent = [line.split("\t") for line in trace.read().decode().splitlines()]
    assert [line for line in sent if line[0] == "F" and line[2] == "Query"] == [], sent
    assert sum(1 for line in sent if line[0] == "B" and line[2] == "ReadyForQuery") == 2, sent
