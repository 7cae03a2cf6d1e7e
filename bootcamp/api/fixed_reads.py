"""The hottest API read on the driver's own cursor: one fixed statement, its rows as tuples.

The worker lookup is asked thousands of times a minute. Through the ORM session and
SQLAlchemy's Result, running its one statement cost more CPU than everything else in the
request: a Session and its transaction bookkeeping, psycopg describing all twenty columns for
the Result (one object each, on every run), the Result matching them to the statement's and
processing each row. Here the statement is compiled once per dialect and sent on the cursor
of a connection checked out from the same pool for it alone, in autocommit (no BEGIN and
ROLLBACK round trips: one statement sees one snapshot anyway), and each column is converted by
the type the statement declares for it, as the Result would (times as aware UTC, enums,
SQLite's 0/1 as booleans). It still goes through the engine: the pool and its liveness check
(extensions.py), the engine's cursor events (tests count statements with them) and its error
handling (a lost connection is invalidated, errors come as SQLAlchemy's DBAPIError).
About 0.4 ms less CPU per lookup than the session and Result (bench/api_lookup.py).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, TextualSelect
from sqlalchemy.engine import Dialect

from bootcamp.extensions import db


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


@lru_cache(maxsize=16)
def _autocommit(engine: Engine) -> Engine:
    """The engine on the same pool, its connections in autocommit while checked out."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _connection(engine: Engine) -> AbstractContextManager[Connection]:
    """The request's session's connection when its transaction is open already (a token
    read from the database, say: one connection per request, and the same snapshot), else
    one of the pool's, in autocommit, returned at the end of the block."""
    if db.session.registry.has() and db.session().in_transaction():
        return nullcontext(db.session.connection())
    return _autocommit(engine).connect()


def fetch_all(statement: TextualSelect, parameters: Mapping[str, Any]) -> list[tuple]:
    """The rows of `statement` (a text() with typed .columns()) as named tuples. Parameters
    go to the driver as they are: plain ints and strings, no bind processing."""
    engine = db.engine
    compiled = _compiled(statement, engine.dialect)
    sent = (parameters if compiled.order is None
            else tuple(parameters[name] for name in compiled.order))
    with _connection(engine) as connection:
        cursor = connection.connection.cursor()
        try:
            # SQLAlchemy's own single-statement path (it runs sequences and defaults with
            # it): the engine's cursor events, logging and error handling, and no Result.
            connection._cursor_execute(cursor, compiled.sql, sent)
            found = cursor.fetchall()
        finally:
            cursor.close()
    processors, make = compiled.processors, compiled.row._make
    return [make([value if process is None else process(value)
                  for process, value in zip(processors, raw, strict=True)]) for raw in found]
