"""What one lookup costs the database: GET /workers/{id}/qualifications is one SQL statement
however many courses the worker has (and an unknown id two), the batch check two however many
ids, and on PostgreSQL an API read opens no transaction and pings nothing: no BEGIN, no
ROLLBACK, no pre-ping, only its statements travel to the server; yet a connection the server
ended is never used. A regression to a query per course, per row or per check fails here."""

from __future__ import annotations

import re
import tempfile
import time

import psycopg
import pytest
from flask import Flask
from psycopg import pq
from sqlalchemy import event

from bootcamp import extensions
from bootcamp.api import fixed_reads, standings
from bootcamp.extensions import db
from bootcamp.users.models import Role
from courses.models import VersionStatus
from exams.models import AttemptKind, AttemptState, QualificationStatus
from exams.services.qualifications import STARTED_EVENTS
from tests.api.conftest import enrol, put_record
from tests.factories import make_course

LOOKUP = "/api/v1/workers/w-1/qualifications"


def statements(app: Flask, call) -> list[str]:
    """The SQL statements `call()` sends, past the hooks: the sweep's everyone-pass is put off
    (it is not the view's) and the token is in the cache (the first call put it there)."""
    app.extensions["exam_sweep"] = {"last": float("inf")}
    call()
    seen: list[str] = []
    with app.app_context():
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            call()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    return seen


def test_a_lookup_is_one_statement_however_many_courses(app, client, api_world, token,
                                                        make_user):
    def lookup():
        response = client.get(LOOKUP, headers=token.headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["qualifications"]

    assert len(lookup()) == 4
    found = statements(app, lookup)
    assert len(found) == 1 and "FROM worker_links w" in found[0]
    instructor = make_user(Role.INSTRUCTOR)
    for n in range(5):
        course_id = make_course(app, instructor, f"more-{n}")
        enrol(app, api_world.user_id, course_id)
        put_record(app, api_world.user_id, course_id, QualificationStatus.IN_TRAINING)
    assert len(lookup()) == 9
    assert len(statements(app, lookup)) == 1


def test_an_unknown_worker_costs_one_more_statement(app, client, api_world, token):
    def lookup():
        assert client.get("/api/v1/workers/nobody/qualifications",
                          headers=token.headers).status_code == 404

    assert len(statements(app, lookup)) == 2


def test_an_id_no_worker_can_have_costs_no_statement(app, client, api_world, token):
    def lookup():
        assert client.get("/api/v1/workers/a%00b/qualifications",
                          headers=token.headers).status_code == 404

    assert statements(app, lookup) == []


def test_a_batch_check_is_two_statements_however_many_ids(app, client, api_world, token):
    def check(count: int):
        def call():
            ids = ["w-1", *(f"x-{n}" for n in range(count - 1))]
            response = client.post("/api/v1/qualifications/check", headers=token.headers,
                                   json={"course": "qualified", "external_ids": ids})
            assert response.status_code == 200, response.get_data(as_text=True)
        return call

    assert len(statements(app, check(1))) == 2
    assert len(statements(app, check(1000))) == 2


def test_the_statements_name_their_columns_in_order(app, api_world, token):
    """The statements' result columns are typed by position: the names given must be the
    names the SQL gives, in its order, or values would land under the wrong key."""
    with app.app_context():
        for statement, params in (
                (standings.WORKER_STANDINGS, {"client_id": token.client_id,
                                              "external_id": "w-1"}),
                (standings.COURSE, {"slug": "qualified"}),
                (standings.COURSE_STANDINGS[db.engine.dialect.name],
                 {"client_id": token.client_id, "course_id": api_world.courses["qualified"],
                  "external_ids": ["w-1"]})):
            result = db.session.execute(statement, params)
            sent = [column[0] for column in result.cursor.description]
            assert sent == list(result.keys())
            assert result.all()


def test_the_spelled_out_values(app):
    """The statements spell out enum values and the reading events: they are still these."""
    text = "".join(map(str, (standings.WORKER_STANDINGS, *standings.COURSE_STANDINGS.values())))
    for value in (*STARTED_EVENTS, QualificationStatus.NEEDS_REFRESH, AttemptState.GRADED,
                  AttemptKind.REFRESH, AttemptKind.QUALIFICATION, VersionStatus.PUBLISHED):
        assert f"'{value}'" in text
    assert re.findall(r"'(\w+)', '(\w+)', '(\w+)'\)", text)[0] == STARTED_EVENTS


@pytest.fixture
def on_postgres(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("round trips are counted with libpq's trace, on PostgreSQL")


def pooled_connection(app: Flask, client, token):
    """The one psycopg connection the lookups reuse (the one fixed_reads keeps for this
    thread), once the token is cached and psycopg has prepared the statement (on its 5th
    run)."""
    app.extensions["exam_sweep"] = {"last": float("inf")}
    seen = []
    for _ in range(8):
        assert client.get(LOOKUP, headers=token.headers).status_code == 200
        with app.app_context():
            seen.append(fixed_reads.kept_dbapi_connection(db.engine))
    assert all(other is seen[-1] for other in seen[-3:])
    return seen[-1]


def traced_lookup(connection, client, token) -> list[list[str]]:
    """What one lookup sends and receives on `connection`, by libpq's trace."""
    with tempfile.TemporaryFile() as trace:
        connection.pgconn.trace(trace.fileno())
        connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            assert client.get(LOOKUP, headers=token.headers).status_code == 200
        finally:
            connection.pgconn.untrace()
        trace.seek(0)
        return [line.split("\t") for line in trace.read().decode().splitlines()]


def simple_queries(sent: list[list[str]]) -> list[str]:
    return [line[3].strip() for line in sent if line[0] == "F" and line[2] == "Query"]


def round_trips(sent: list[list[str]]) -> int:
    return sum(1 for line in sent if line[0] == "B" and line[2] == "ReadyForQuery")


def test_a_lookup_is_one_round_trip_on_postgresql(app, client, api_world, token, on_postgres):
    """The statement only: no pre-ping, no BEGIN, no ROLLBACK."""
    sent = traced_lookup(pooled_connection(app, client, token), client, token)
    assert simple_queries(sent) == [], sent
    assert round_trips(sent) == 1, sent


def test_a_connection_back_from_a_pause_is_pinged_first(app, client, api_world, token,
                                                        on_postgres, monkeypatch):
    connection = pooled_connection(app, client, token)
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.0)
    sent = traced_lookup(connection, client, token)
    assert simple_queries(sent) == ['";"'], sent  # the ping, outside any transaction
    assert round_trips(sent) == 2, sent


def test_a_connection_the_server_ended_is_replaced_not_used(app, client, api_world, token,
                                                            on_postgres):
    """A restarted server (here: its backend terminated) costs no request a 500."""
    connection = pooled_connection(app, client, token)
    pid = connection.info.backend_pid
    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg:", "postgresql:")
    with psycopg.connect(url, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    for _ in range(50):  # the server's goodbye reaches the idle socket
        if extensions._readable(connection.pgconn.socket):
            break
        time.sleep(0.02)
    assert client.get(LOOKUP, headers=token.headers).status_code == 200
    assert connection.closed
