"""Every Flask extension object, created unbound and attached in the app factory."""

import select
import sqlite3
import time

import psycopg
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry, Pool

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base shared by every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@event.listens_for(Engine, "connect")
def _enforce_sqlite_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys unless asked; PostgreSQL always checks them."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


# A PostgreSQL connection back from a pause this long is pinged before it is used again.
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "bootcamp_idle_since"


@event.listens_for(Pool, "checkin")
def _note_idle(dbapi_connection, record: ConnectionPoolEntry) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _check_alive(dbapi_connection, record: ConnectionPoolEntry, proxy) -> None:
    """Hand out only a live PostgreSQL connection (what pool_pre_ping does, without its round
    trip on every checkout): see ensure_alive."""
    ensure_alive(dbapi_connection, record.info.get(_IDLE_SINCE))


def ensure_alive(dbapi_connection, idle_since: float | None) -> None:
    """Raise DisconnectionError unless a PostgreSQL connection idle since `idle_since` (a
    time.monotonic(); None: fresh, alive) is still alive. A server that ends a connection (a
    restart, a terminated backend, an idle timeout, a crash) closes its socket, and usually
    says why first: either way the idle socket turns readable, which a zero-timeout poll
    sees. A connection idle for PING_AFTER_IDLE_SECONDS is pinged as well, for a peer gone
    without a word (a host rebooted, a dropped NAT entry). DisconnectionError makes the pool
    connect afresh; fixed_reads replaces the connection it keeps."""
    pgconn = getattr(dbapi_connection, "pgconn", None)  # psycopg's; SQLite needs none of this
    if pgconn is None or idle_since is None:  # a fresh connection is alive
        return
    try:
        closed = dbapi_connection.closed or _readable(pgconn.socket)
    except psycopg.Error:  # libpq has no socket for it any more
        closed = True
    if closed:
        raise DisconnectionError("the server closed the connection while it was idle")
    if time.monotonic() - idle_since >= PING_AFTER_IDLE_SECONDS:
        _ping(dbapi_connection)


def _readable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _ping(connection) -> None:
    """One empty round trip outside any transaction, as SQLAlchemy's pre-ping sends."""
    autocommit = connection.autocommit
    try:
        connection.autocommit = True
        connection.execute(";")
        connection.autocommit = autocommit
    except psycopg.Error as error:
        raise DisconnectionError(f"the connection failed its ping: {error}") from error


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
compress = Compress()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address)
