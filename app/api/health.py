"""Health checks shared by GET /healthz and the administrator's server panel.

Each check has a status: ``ok``, ``warning`` (needs attention, the box still works) or
``failing`` (something the office relies on is broken, so /healthz returns 503). The
details never contain secrets or file paths, because /healthz needs no sign-in.
"""
from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import db, migrate

log = logging.getLogger(__name__)

OK, WARNING, FAILING = "ok", "warning", "failing"
GIB = 1024**3
# Below this, database writes, uploads and the backup staging area soon fail.
DISK_FAILING_BYTES = GIB // 2
DISK_WARNING_BYTES = 2 * GIB
HEARTBEAT_FILE = "scheduler.heartbeat"
# The scheduler touches its heartbeat file every minute; three minutes allows two missed beats.
HEARTBEAT_MAX_AGE_SECONDS = 180


@dataclass
class Check:
    name: str
    status: str
    detail: str

    def as_dict(self) -> dict:
        return {"status": self.status, "detail": self.detail}


def database_checks() -> list[Check]:
    """Check that the database responds and that its schema is at the newest revision."""
    try:
        db.session.execute(text("SELECT 1"))
        current = migrate.current_revision(current_app.extensions["trackerbox_engine"])
    except SQLAlchemyError as exc:
        log.warning("health check found the database unreachable: %s", type(exc).__name__)
        return [Check("database", FAILING, "unreachable"), Check("schema", FAILING, "unknown")]
    head = migrate.head_revision()
    schema = Check("schema", OK, f"at {head}") if current == head else Check(
        "schema", FAILING, f"at {current or 'empty'}, expected {head}; run `trackerbox db upgrade`")
    return [Check("database", OK, "responds"), schema]


def disk_check(data_dir: Path) -> Check:
    try:
        free = shutil.disk_usage(data_dir).free
    except OSError as exc:
        log.warning("health check cannot read the free space of the data directory: %s", exc)
        return Check("disk", FAILING, "free space unknown (data directory unreadable)")
    detail = f"{free / GIB:.1f} GiB free in the data directory"
    if free < DISK_FAILING_BYTES:
        return Check("disk", FAILING, f"{detail}; free up space now (under {DISK_FAILING_BYTES / GIB:.1f} GiB)")
    if free < DISK_WARNING_BYTES:
        return Check("disk", WARNING, f"{detail}; free up space soon (under {DISK_WARNING_BYTES // GIB} GiB)")
    return Check("disk", OK, detail)


def scheduler_check(data_dir: Path, now: float | None = None) -> Check:
    """Alive when its heartbeat file is younger than 3 minutes; a warning when it never ran."""
    now = time.time() if now is None else now
    try:
        age = now - (data_dir / HEARTBEAT_FILE).stat().st_mtime
    except FileNotFoundError:
        return Check("scheduler", WARNING, "not running: it has never run on this box; start `trackerbox scheduler`")
    except OSError as exc:
        log.warning("health check cannot read the scheduler heartbeat: %s", exc)
        return Check("scheduler", FAILING, "heartbeat unreadable")
    if age > HEARTBEAT_MAX_AGE_SECONDS:
        return Check("scheduler", FAILING, f"not running: last heartbeat {int(age // 60)} min ago; "
                                           "backups and reminders have stopped")
    return Check("scheduler", OK, f"last heartbeat {max(0, int(age))} s ago")


def run_checks() -> list[Check]:
    settings = current_app.config["TRACKERBOX"]
    return [*database_checks(), disk_check(settings.data_dir), scheduler_check(settings.data_dir)]


def overall_status(checks: list[Check]) -> str:
    statuses = {check.status for check in checks}
    if FAILING in statuses:
        return FAILING
    if WARNING in statuses:
        return WARNING
    return OK
