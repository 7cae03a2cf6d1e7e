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

Keeping idle connections (at most KEEP_IDLE, out of the pool's count, closed when the engine
is disposed) spares each lookup a checkout and a checkin: the pool's bookkeeping and events,
the autocommit switch there and back, ~170 Python calls, ~0.06 ms of CPU. A read takes the
newest idle one and gives it back, so a server with a thread per request (Werkzeug's, the
demo's) keeps as many as ran at once, not one per thread that ever read.
"""

from __future__ import annotations

import threading
import time
from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

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


KEEP_IDLE = 4  # idle connections kept for fixed reads, per engine and process


class _Keeper:
    """An engine's idle connections for fixed reads, each with since when it is idle. A read
    takes the newest (or connects) and gives it back; past KEEP_IDLE idle ones it goes back to
    the pool.
    All are closed when the engine is disposed (the tests do, after each), and one in use
    then is closed when it comes back, so none outlives the pool it came from."""

    def __init__(self, engine: Engine) -> None:
        self.idle: list[tuple[Connection, float]] = []  # list.pop and .append: thread-safe
        self.generation = 0
        event.listen(engine, "engine_disposed", lambda _engine: self.close_all())

    def close_all(self) -> None:
        """Close them outright: the disposed pool would only keep what came back to it."""
        self.generation += 1
        while self.idle:
            _discard(self.idle.pop()[0])

    def take(self, engine: Engine) -> tuple[Connection, int]:
        """A live connection in autocommit, and the generation it belongs to. An idle one is
        checked as the pool checks one it hands out (extensions.ensure_alive); a lost one is
        discarded and the next tried."""
        while True:
            generation = self.generation
            try:
                connection, idle_since = self.idle.pop()
            except IndexError:
                break
            try:
                if connection.closed or connection.invalidated:
                    raise DisconnectionError("the kept connection was closed")
                ensure_alive(connection.connection.dbapi_connection, idle_since)
                return connection, generation
            except DisconnectionError:
                _discard(connection)
        return engine.connect().execution_options(isolation_level="AUTOCOMMIT"), generation

    def give_back(self, connection: Connection, generation: int) -> None:
        if generation != self.generation or connection.closed or connection.invalidated:
            _discard(connection)
        elif len(self.idle) < KEEP_IDLE:
            self.idle.append((connection, time.monotonic()))
        else:
            connection.close()  # a sound one past KEEP_IDLE goes back to the pool


def _discard(connection: Connection) -> None:
    if not connection.closed:
        connection.invalidate()
        connection.close()


_keepers: WeakKeyDictionary[Engine, _Keeper] = WeakKeyDictionary()
_keepers_lock = threading.Lock()


def _keeper(engine: Engine) -> _Keeper:
    keeper = _keepers.get(engine)
    if keeper is None:
        with _keepers_lock:
            keeper = _keepers.get(engine)
            if keeper is None:
                keeper = _keepers[engine] = _Keeper(engine)
    return keeper


def kept_dbapi_connection(engine: Engine) -> Any:
    """The driver's connection the next fixed read takes (None when none is idle): for tests
    that trace what a lookup sends."""
    idle = _keeper(engine).idle
    if not idle or idle[-1][0].closed:
        return None
    return idle[-1][0].connection.dbapi_connection


def idle_count(engine: Engine) -> int:
    """How many connections are kept idle for fixed reads."""
    return len(_keeper(engine).idle)


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
        connection, generation = keeper.take(engine)
    try:
        cursor = connection.connection.cursor()
        try:
            # SQLAlchemy's own single-statement path (it runs sequences and defaults with
            # it): the engine's cursor events, logging and error handling, and no Result.
            connection._cursor_execute(cursor, compiled.sql, sent)
            found = cursor.fetchall()
        finally:
            cursor.close()
    finally:
        if keeper is not None:
            keeper.give_back(connection, generation)
    processors, make = compiled.processors, compiled.row._make
    return [make([value if process is None else process(value)
                  for process, value in zip(processors, raw, strict=True)]) for raw in found]
