"""Maintenance mode: a flag file in the data directory that makes the web app respond with HTTP 503.

A restore sets the flag while it replaces the database and the uploaded files. Every
web process checks it at the start of each request, because the restore runs in a
separate process (the ``trackerbox`` command) and cannot reach the server's memory.
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from app.config import Settings
from app.processes import process_is_running

FLAG_FILE_NAME = "maintenance.json"


def flag_path(settings: Settings) -> Path:
    return settings.data_dir / FLAG_FILE_NAME


def is_active(settings: Settings) -> bool:
    return flag_path(settings).exists()


def reason(settings: Settings) -> str:
    """Return the reason stored in the flag, or a general one when it cannot be read."""
    try:
        return str(json.loads(flag_path(settings).read_text(encoding="utf-8"))["reason"])
    except (OSError, ValueError, KeyError, TypeError):
        return "maintenance"


def holder_pid(settings: Settings) -> int | None:
    """Return the process id stored in the flag, or None when there is none or it is unreadable."""
    try:
        return int(json.loads(flag_path(settings).read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def enter(settings: Settings, purpose: str) -> None:
    """Set the flag; raises FileExistsError when a running process on this machine owns it.

    A flag left by a process that no longer runs (a restore that was killed) is taken over.
    """
    pid = holder_pid(settings)
    if pid is not None and pid != os.getpid() and not process_is_running(pid):
        leave(settings)
    body = json.dumps({"reason": purpose, "pid": os.getpid(),
                       "since": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    fd = os.open(flag_path(settings), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body + "\n")


def leave(settings: Settings) -> None:
    flag_path(settings).unlink(missing_ok=True)
