"""Engine and session handling: one session and one transaction per request or CLI command.

Services flush; the request (or CLI command) boundary commits. On SQLite every write
transaction starts with ``BEGIN IMMEDIATE`` so that two writers queue on the database
lock instead of failing halfway with a stale snapshot.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from collections.abc import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from sqlalchemy.orm import Session, scoped_session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000

# True while the current unit of work may write; read by the SQLite BEGIN hook.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)

_session_factory = sessionmaker(expire_on_commit=False)
session: scoped_session[Session] = scoped_session(_session_factory)


def make_engine(url: str) -> Engine:
    """Create an engine with the settings each supported backend needs."""
    if url.startswith("sqlite"):
        # No pool: a connection closes when its request or command ends, so no idle
        # connection keeps the file (and its -wal file) open while a restore swaps it.
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, poolclass=NullPool)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def bind(engine: Engine) -> None:
    """Point the shared session factory at ``engine``."""
    session.remove()
    _session_factory.configure(bind=engine)


@contextmanager
def transaction(*, writes: bool = True) -> Iterator[Session]:
    """Run a block as one transaction outside a request: commit on success, else roll back."""
    token = write_intent.set(writes)
    try:
        yield session()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.remove()
        write_intent.reset(token)
