"""The hottest API read on the driver's own cursor: one fixed statement, its rows as tuples.

The worker lookup is asked thousands of times a minute. Through the ORM session and
SQLAlchemy's Result, running its one statement cost more CPU than everything else in the
request: a Session and its transaction bookkeeping, psycopg describing all twenty columns for
the Result (one object each, on every run), the Result matching them to the statement's and
processing each row. Here the statement is compiled once per dialect and sent on the cursor
of a connection of the same pool that each thread keeps for these reads, in autocommit (no
BEGIN and ROLLBACK round trips: one statement sees one snapshot anyway), and each column is
converted by
the type the statement declares for it, as the Result would (times as aware UTC, enums,
SQLite's 0/1 as booleans). It still goes through the engine: the pool's liveness check
(extensions.ensure_alive, before each use here), the engine's cursor events (tests count
statements with them) and its error handling (a lost connection is invalidated, errors come
as SQLAlchemy's DBAPIError). About 0.4 ms less CPU per lookup than the session and Result
(bench/api_lookup.py).

Keeping the connection (one per thread that reads, out of the pool's count, given back when
the engine is disposed) spares each lookup a checkout and a checkin: the pool's bookkeeping
and events, the autocommit switch there and back, ~170 Python calls, ~0.06 ms of CPU.
"""

from __future__ import annotations

import threading
import time
from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, TextualSelect, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError

from bootcamp.extensions import db, ensure_alive


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # a positional driver's (SQLite's) parameter order
    processors: tuple[Callable[[Any], Any] | None, ...]  # per column, None: as the driver
    row: type  # a named tuple of the statement's column names


@lru_cache(maxsize=32)
def _compiled(statement: TextualSelect, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    columns = list(statement.selected_columns)
    return _Compiled(
        compiled.string,
        tuple(compiled.positiontup or ()) if compiled.positional else None,
        tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
              for column in columns),
        namedtuple("Row", [column.key for column in columns]))  # noqa: PYI024


class _Keeper:
    """An engine's connections for fixed reads: one per thread (with since when it is idle),
    all closed when the engine is disposed (the tests do, after each), so none outlives it."""

    def __init__(self, engine: Engine) -> None:
        self.local = threading.local()
        self.connections: list[Connection] = []
        event.listen(engine, "engine_disposed", lambda _engine: self.close_all())

    def close_all(self) -> None:
        """Close them outright: the disposed pool would only keep what came back to it."""
        while self.connections:
            connection = self.connections.pop()
            if not connection.closed:
                connection.invalidate()
                connection.close()

    def connection(self, engine: Engine) -> Connection:
        """This thread's live connection in autocommit, checked as the pool checks one it
        hands out (extensions.ensure_alive); a lost one is invalidated and replaced."""
        local = self.local
        connection = getattr(local, "connection", None)
        if connection is not None:
            try:
                if connection.closed or connection.invalidated:
                    raise DisconnectionError("the kept connection was closed")
                ensure_alive(connection.connection.dbapi_connection, local.idle_since)
            except DisconnectionError:
                if not connection.closed:
                    connection.invalidate()
                    connection.close()
                if connection in self.connections:
                    self.connections.remove(connection)
                connection = None
        if connection is None:
            connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self.connections.append(connection)
            local.connection, local.idle_since = connection, None
        return connection

    def done(self) -> None:
        self.local.idle_since = time.monotonic()


def _keeper(engine: Engine) -> _Keeper:
    keeper = engine.__dict__.get("_bootcamp_fixed_reads")
    if keeper is None:
        keeper = engine.__dict__["_bootcamp_fixed_reads"] = _Keeper(engine)
    return keeper


def kept_dbapi_connection(engine: Engine) -> Any:
    """The driver's connection this thread keeps for fixed reads (None before the first):
    for tests that trace what a lookup sends."""
    connection = getattr(_keeper(engine).local, "connection", None)
    if connection is None or connection.closed:
        return None
    return connection.connection.dbapi_connection


def fetch_all(statement: TextualSelect, parameters: Mapping[str, Any]) -> list[tuple]:
    """The rows of `statement` (a text() with typed .columns()) as named tuples. Parameters
    go to the driver as they are: plain ints and strings, no bind processing."""
    engine = db.engine
    compiled = _compiled(statement, engine.dialect)
    sent = (parameters if compiled.order is None
            else tuple(parameters[name] for name in compiled.order))
    keeper = None
    if db.session.registry.has() and db.session().in_transaction():
        # The request's transaction is open already (a token read from the database, say):
        # the same connection and the same snapshot.
        connection = db.session.connection()
    else:
        keeper = _keeper(engine)
        connection = keeper.connection(engine)
    cursor = connection.connection.cursor()
    try:
        # SQLAlchemy's own single-statement path (it runs sequences and defaults with it):
        # the engine's cursor events, logging and error handling, and no Result.
        connection._cursor_execute(cursor, compiled.sql, sent)
        found = cursor.fetchall()
    finally:
        cursor.close()
        if keeper is not None:
            keeper.done()
    processors, make = compiled.processors, compiled.row._make
    return [make([value if process is None else process(value)
                  for process, value in zip(processors, raw, strict=True)]) for raw in found]
