"""Helpers for backup-run tests: target configs, an identity, a config file for subprocesses."""
from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

from backup.keys import init_identity
from backup.target_config import TargetConfig


def directory_target(path: Path, name: str = "nas", **changes) -> TargetConfig:
    path.mkdir(parents=True, exist_ok=True)
    return TargetConfig(name=name, type="directory", path=str(path), **changes)


def sftp_target(server, name: str = "offsite", **changes) -> TargetConfig:
    values = dict(name=name, type="sftp", path=str(server.remote_dir), host="127.0.0.1", port=server.port,
                  user=server.user, key_file=str(server.key_file), known_hosts=str(server.known_hosts),
                  schedule="weekly", timeout=5)
    values.update(changes)
    return TargetConfig(**values)


def with_identity(app):
    settings = app.config["TRACKERBOX"]
    init_identity(settings)
    return settings


@contextlib.contextmanager
def small_filesystem(path: Path, size: str = "256k", read_only: bool = False):
    """Mount a small tmpfs at ``path`` (tests run as root) and unmount it afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "trackerbox-test", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def config_file(app, tmp_path: Path, extra: str = "") -> Path:
    settings = app.config["TRACKERBOX"]
    path = tmp_path / "trackerbox.conf"
    path.write_text(f"[trackerbox]\ndata_dir = {settings.data_dir}\ndatabase_url = {settings.database_url}\n"
                    f"{extra}")
    return path
