"""Exclusive locks between processes and nodes: a file lock on SQLite, an advisory lock on PostgreSQL.

With SQLite every process runs on the one box, so an fcntl lock on a file in the data
directory is enough. With PostgreSQL several web nodes may each start a scheduler, so
the lock is a session-level advisory lock held on a connection of its own. It ends
when that connection closes, which includes the death of the process.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings


class LockHeld(Exception):
    """Another process holds the lock."""


def _advisory_key(name: str) -> int:
    digest = hashlib.sha256(f"trackerbox:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def exclusive(settings: Settings, name: str) -> Iterator[Callable[[], bool]]:
    """Hold the lock ``name`` for the block, or raise LockHeld at once when another process has it.

    The block receives a function that returns False once the lock is lost, which only
    happens to the PostgreSQL lock when its connection drops (a database restart).
    """
    if settings.database_url.startswith("postgresql"):
        with _advisory(settings, name) as still_held:
            yield still_held
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / f"{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(name) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield lambda: True
    finally:
        os.close(fd)


@contextmanager
def _advisory(settings: Settings, name: str) -> Iterator[Callable[[], bool]]:
    from app.db import make_engine

    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            key = _advisory_key(name)
            if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
                raise LockHeld(name)
            connection.commit()

            def still_held() -> bool:
                try:
                    connection.execute(text("SELECT 1"))
                    connection.commit()
                except SQLAlchemyError:
                    return False
                return True

            try:
                yield still_held
            finally:
                if still_held():
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    connection.commit()
    finally:
        engine.dispose()
