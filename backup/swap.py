"""Building the new database beside the live one and swapping it in, for SQLite and PostgreSQL.

SQLite: the new file ``<live>.restore-<pid>`` is renamed over the live file, which is
first hard-linked to ``<live>.before-restore-<time>``. The rename is atomic. Before it,
the live database is checkpointed and every other process must have closed it, because
SQLite finds the ``-wal`` and ``-shm`` files by name and would otherwise mix the old
database's write-ahead log into the new file.

PostgreSQL: the new database ``<name>_restore_<time>`` is created on the same server.
The swap terminates the remaining sessions on the live database and renames the live
database to ``<name>_before_restore_<time>`` and the new one to ``<name>``, both in one
transaction, so either both renames happen or neither does.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings
from backup.errors import BackupError

log = logging.getLogger(__name__)
# How long a restore waits for the web server and other processes to close the SQLite file.
RELEASE_WAIT_SECONDS = 15.0
PG_NAME_LIMIT = 63


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def new_database(target_url: str):
    """Create an empty database beside ``target_url`` and return its builder."""
    url = make_url(target_url)
    if url.get_backend_name() == "sqlite":
        return SQLiteBuilder(url)
    if url.get_backend_name() == "postgresql":
        return PostgresBuilder(url)
    raise BackupError(f"cannot restore into {url.get_backend_name()}; use a sqlite:/// or postgresql+psycopg:// URL")


class SQLiteBuilder:
    def __init__(self, live: URL):
        if not live.database:
            raise BackupError("the SQLite database URL names no file; use sqlite:////ABSOLUTE/PATH/trackerbox.db")
        self.live = Path(live.database).absolute()
        self.new = self.live.with_name(f"{self.live.name}.restore-{os.getpid()}")
        self.live.parent.mkdir(parents=True, exist_ok=True)
        # Files of an earlier restore that was killed; the maintenance flag rules out a running one.
        for leftover in self.live.parent.glob(f"{self.live.name}.restore-*"):
            leftover.unlink(missing_ok=True)
        self.url = live.set(database=str(self.new)).render_as_string(hide_password=False)

    def swap_in(self) -> list[str]:
        """Rename the new file over the live one; return where the old file was kept."""
        if Path(f"{self.new}-wal").exists():
            raise BackupError(f"{self.new}-wal is still present; another process opened the new database")
        _fsync(self.new)
        kept: list[str] = []
        if self.live.exists():
            _wait_until_closed(self.live)
            _checkpoint(self.live)
            backup_path = self.live.with_name(f"{self.live.name}.before-restore-{_stamp()}")
            os.link(self.live, backup_path)
            kept.append(str(backup_path))
        os.replace(self.new, self.live)
        _fsync(self.live.parent)
        return kept

    def discard(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.new}{suffix}").unlink(missing_ok=True)


class PostgresBuilder:
    def __init__(self, live: URL):
        if not live.database:
            raise BackupError("the PostgreSQL URL names no database; add /DATABASE at its end")
        self.live_name = live.database
        self.stamp = _stamp()
        self.new_name = f"{self.live_name[:PG_NAME_LIMIT - 25]}_restore_{self.stamp}".lower()
        self.server = live.set(database="postgres")
        try:
            with self._admin() as connection:
                connection.execute(text(f'CREATE DATABASE "{self.new_name}"'))
        except SQLAlchemyError as exc:
            raise BackupError(f"creating the database {self.new_name} failed ({exc.orig or exc}); the database "
                              "user needs the CREATEDB privilege (ALTER ROLE ... CREATEDB)") from None
        self.url = live.set(database=self.new_name).render_as_string(hide_password=False)

    def _admin(self):
        engine = create_engine(self.server, isolation_level="AUTOCOMMIT")
        return _DisposingConnection(engine)

    def swap_in(self) -> list[str]:
        kept_name = f"{self.live_name[:PG_NAME_LIMIT - 32]}_before_restore_{self.stamp}".lower()
        engine = create_engine(self.server)
        try:
            with engine.begin() as connection:
                exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": self.live_name})
                if exists:
                    connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                            "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": self.live_name})
                    connection.execute(text(f'ALTER DATABASE "{self.live_name}" RENAME TO "{kept_name}"'))
                connection.execute(text(f'ALTER DATABASE "{self.new_name}" RENAME TO "{self.live_name}"'))
        except SQLAlchemyError as exc:
            raise BackupError(f"renaming the databases failed ({exc.orig or exc}); the live database is unchanged. "
                              "The database user needs CREATEDB and must own the database") from None
        finally:
            engine.dispose()
        return [f"database {kept_name}"] if exists else []

    def discard(self) -> None:
        try:
            with self._admin() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.new_name}" WITH (FORCE)'))
        except SQLAlchemyError as exc:
            log.warning("could not drop the unfinished database %s: %s", self.new_name, exc)


class _DisposingConnection:
    def __init__(self, engine):
        self.engine = engine

    def __enter__(self):
        try:
            self.connection = self.engine.connect()
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise BackupError(f"cannot connect to the PostgreSQL server ({exc.orig or exc}); check the URL and "
                              "that the server runs") from None
        return self.connection

    def __exit__(self, *exc_info):
        self.connection.close()
        self.engine.dispose()


def _checkpoint(path: Path) -> None:
    connection = sqlite3.connect(path, timeout=15)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def _wait_until_closed(path: Path) -> None:
    """Wait until no other process has the SQLite file open; raise BackupError after the wait."""
    deadline = time.monotonic() + RELEASE_WAIT_SECONDS
    while True:
        holders = _processes_holding(path)
        if not holders:
            return
        if time.monotonic() > deadline:
            listed = ", ".join(f"{pid} ({name})" for pid, name in holders[:5])
            raise BackupError(f"process(es) {listed} still have {path} open; stop them (for the server: "
                              "systemctl stop trackerbox) and run the restore again. Nothing was changed")
        time.sleep(0.2)


def _processes_holding(path: Path) -> list[tuple[int, str]]:
    """List (pid, command) of other processes with ``path`` or its -wal file open (Linux /proc)."""
    names = {str(path), f"{path}-wal"}
    holders = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            targets = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
            command = (entry / "comm").read_text().strip()
        except OSError:  # the process ended, or belongs to another user
            continue
        if targets & names:
            holders.append((int(entry.name), command))
    return holders


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def swap_uploads(settings: Settings, staged: Path) -> list[str]:
    """Move the staged upload folder into place; return where the old one was kept."""
    staged.mkdir(parents=True, exist_ok=True, mode=0o700)
    kept = []
    live = settings.upload_dir
    if live.exists():
        old = live.with_name(f"{live.name}.before-restore-{_stamp()}")
        os.replace(live, old)
        kept.append(str(old))
    os.replace(staged, live)
    os.chmod(live, 0o700)
    return kept


def install_keys(settings: Settings, staged: Path) -> list[str]:
    """Put the archive's key files in place (the old ones kept aside); return the names changed."""
    changed = []
    for source in sorted(staged.iterdir()) if staged.is_dir() else []:
        # Keys live in key_dir, which may be on another file system than the staging folder
        # (/etc/trackerbox/keys on an installed server), so copy next to the target first.
        target = settings.keys_path / source.name
        if target.exists() and target.read_bytes() == source.read_bytes():
            continue
        incoming = target.with_name(f".{target.name}.restoring")
        fd = os.open(incoming, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(source.read_bytes())
        if target.exists():
            os.replace(target, target.with_name(f"{target.name}.before-restore-{_stamp()}"))
        os.replace(incoming, target)
        source.unlink()
        changed.append(source.name)
    return changed
