"""Boxes to back up and ways to compare them, shared by the backup tests."""
from __future__ import annotations

import hashlib
import itertools
import os
from dataclasses import replace
from datetime import date
from pathlib import Path

from flask import g
from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url

from app import db
from app.config import Settings
from app.keys import ensure_keys

_names = itertools.count()


def settings_of(app) -> Settings:
    return app.config["TRACKERBOX"]


def fill_demo(app) -> None:
    """Add the demo company (people, time, expenses, invoices, payments, audit trail)."""
    from app.demo import create_demo_company

    with app.app_context():
        g.request_id = "test"
        with db.transaction():
            create_demo_company(date(2026, 3, 2), password="demo password 1234")


def add_receipts(settings: Settings, count: int = 3) -> None:
    """Write receipt-like files, binary and in a nested folder, under the upload directory."""
    folder = settings.upload_dir / "receipts"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (folder / f"{index:032x}.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(2000 + index))
    nested = settings.upload_dir / "imports" / "pending"
    nested.mkdir(parents=True, exist_ok=True)
    (nested / "toggl.csv").write_text("Project,Duration\nÄrger,1:00\n", encoding="utf-8")


def table_rows(url: str) -> dict[str, list[tuple]]:
    """Return every row of every table (but alembic_version) as Python values, in key order."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            metadata = MetaData()
            metadata.reflect(bind=connection)
            rows = {}
            for table in metadata.sorted_tables:
                if table.name == "alembic_version":
                    continue
                order = list(table.primary_key.columns) or list(table.columns)
                rows[table.name] = [tuple(row) for row in connection.execute(select(table).order_by(*order))]
            return rows
    finally:
        engine.dispose()


def without_restore_event(rows: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Drop the audit event a restore appends (the newest), after checking that it is one."""
    events = rows["audit_events"]
    assert events and "backup.restore" in events[-1], "the newest audit event is not the restore"
    return {**rows, "audit_events": events[:-1]}


def file_hashes(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_box(tmp_path: Path, database_url: str, name: str = "box2", key_dir: Path | None = None) -> Settings:
    """Settings of an empty box: new data directory, own keys, a database that does not exist yet."""
    data_dir = tmp_path / name
    data_dir.mkdir()
    settings = Settings(data_dir=data_dir, database_url=database_url, secret_key=None, bcrypt_rounds=4,
                        key_dir=key_dir)
    ensure_keys(settings)
    return settings


def fresh_url(existing_url: str, tmp_path: Path, name: str = "restored") -> str:
    """Return a database URL on the same backend that names a database that does not exist yet."""
    url = make_url(existing_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / name}.db"
    return url.set(database=f"tb_{name}_{os.getpid()}_{next(_names)}").render_as_string(hide_password=False)


def drop_restore_databases(url: str) -> None:
    """Drop the PostgreSQL database of ``url`` and every database a restore made or kept beside it."""
    from sqlalchemy import text

    from tests import pg_cluster

    name = make_url(url).database
    patterns = [name, f"{name[:31]}_before_restore_%", f"{name[:38]}_restore_%"]
    admin = pg_cluster.admin_engine(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect() as connection:
            found = {n for pattern in patterns for n in connection.scalars(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": pattern})}
        for database in found:
            pg_cluster.drop_database(admin, database)
    finally:
        admin.dispose()


def with_url(settings: Settings, url: str) -> Settings:
    return replace(settings, database_url=url)
