"""Backup targets as configured: ``[backup.target NAME]`` sections and the admin UI.

A target is a place that receives encrypted archives: a directory (a second disk, a
mounted NAS share or USB drive) or an SFTP account on an OpenSSH server. Each has its
own schedule and retention.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

SECTION_PREFIX = "backup.target"
TARGET_TYPES = ("directory", "sftp")
SCHEDULES = ("daily", "weekly")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
DEFAULT_KEEP = {"keep_daily": 7, "keep_weekly": 4, "keep_monthly": 12}
# Retention never deletes the newest this many verified archives, whatever the keep_* settings are.
MIN_VERIFIED_KEPT = 3

_BOOL_WORDS = {"yes": True, "true": True, "on": True, "1": True, "no": False, "false": False, "off": False, "0": False}
KEYS = ("type", "path", "host", "port", "user", "key_file", "known_hosts", "schedule", "keep_daily",
        "keep_weekly", "keep_monthly", "require_mount", "timeout")


class TargetConfigError(ValueError):
    """A target setting is invalid; the message names the target, the key and the fix."""


@dataclass(frozen=True)
class TargetConfig:
    name: str
    type: str
    path: str
    schedule: str = "daily"
    host: str | None = None
    port: int = 22
    user: str | None = None
    key_file: str | None = None
    known_hosts: str | None = None
    keep_daily: int = 7
    keep_weekly: int = 4
    keep_monthly: int = 12
    # A directory target whose path must be a mount point, so that an unmounted USB drive
    # or NAS share is reported instead of silently filling the local disk.
    require_mount: bool = False
    timeout: int = 20
    # "config file" for targets from the config file (read-only in the UI), "web" otherwise.
    origin: str = "config file"

    def describe(self) -> str:
        if self.type == "sftp":
            return f"sftp://{self.user}@{self.host}:{self.port}{self.path}"
        return self.path


def parse_target(name: str, values: dict[str, str], where: str, origin: str = "config file") -> TargetConfig:
    """Build a TargetConfig from raw strings; ``where`` names the section in messages."""
    if not NAME_PATTERN.match(name):
        raise TargetConfigError(f"{where}: target name {name!r} is invalid; use 1 to 40 lower-case letters, "
                                "digits, '-' or '_', starting with a letter or digit")
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise TargetConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; accepted are {', '.join(KEYS)}")

    def text(key: str) -> str | None:
        value = (values.get(key) or "").strip()
        return value or None

    def number(key: str, default: int, low: int, high: int) -> int:
        raw = text(key)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise TargetConfigError(f"{where}: {key} = {raw!r} is not a whole number") from None
        if not low <= value <= high:
            raise TargetConfigError(f"{where}: {key} = {value} is outside {low}..{high}")
        return value

    target_type = text("type")
    if target_type not in TARGET_TYPES:
        raise TargetConfigError(f"{where}: type = {target_type!r} is invalid; use directory or sftp")
    path = text("path")
    if path is None or not path.startswith("/"):
        raise TargetConfigError(f"{where}: path = {path!r} is invalid; give an absolute path such as "
                                "/mnt/backup/trackerbox")
    schedule = text("schedule") or "daily"
    if schedule not in SCHEDULES:
        raise TargetConfigError(f"{where}: schedule = {schedule!r} is invalid; use daily or weekly")
    require_mount_raw = (text("require_mount") or "no").lower()
    if require_mount_raw not in _BOOL_WORDS:
        raise TargetConfigError(f"{where}: require_mount = {require_mount_raw!r} is invalid; use yes or no")

    config = TargetConfig(
        name=name, type=target_type, path=str(PurePosixPath(path)), schedule=schedule,
        host=text("host"), port=number("port", 22, 1, 65535), user=text("user"),
        key_file=text("key_file"), known_hosts=text("known_hosts"),
        keep_daily=number("keep_daily", DEFAULT_KEEP["keep_daily"], 0, 3660),
        keep_weekly=number("keep_weekly", DEFAULT_KEEP["keep_weekly"], 0, 520),
        keep_monthly=number("keep_monthly", DEFAULT_KEEP["keep_monthly"], 0, 1200),
        require_mount=_BOOL_WORDS[require_mount_raw], timeout=number("timeout", 20, 1, 600), origin=origin,
    )
    if target_type == "sftp":
        for key in ("host", "user", "key_file", "known_hosts"):
            if getattr(config, key) is None:
                raise TargetConfigError(f"{where}: {key} is missing; an sftp target needs host, user, "
                                        "key_file and known_hosts")
        for key in ("key_file", "known_hosts"):
            if not getattr(config, key).startswith("/"):
                raise TargetConfigError(f"{where}: {key} = {getattr(config, key)!r} is not an absolute path")
    else:
        for key in ("host", "user", "key_file", "known_hosts"):
            if getattr(config, key) is not None:
                raise TargetConfigError(f"{where}: {key} applies to sftp targets only; remove it or set type = sftp")
    return config


def parse_sections(sections: dict[str, dict[str, str]], source: str) -> list[TargetConfig]:
    """Parse every ``[backup.target NAME]`` section; reject misspelt backup sections."""
    targets: list[TargetConfig] = []
    for section, values in sections.items():
        if not section.startswith("backup"):
            continue
        head, _, name = section.partition(" ")
        where = f"config file {source}, section [{section}]"
        if head != SECTION_PREFIX or not name.strip():
            raise TargetConfigError(f"{where}: unknown section; a target section is written [backup.target NAME]")
        targets.append(parse_target(name.strip(), values, where))
    return targets
