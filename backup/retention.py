"""Retention: the newest archive per day, ISO week and month, plus the last verified ones.

Only verified archives count. The rules work like the "keep daily/weekly/monthly" rules
of common backup tools: for each of the newest N days (weeks, months) that have an
archive, the newest archive of that period is kept. On top of that the newest
``MIN_VERIFIED_KEPT`` verified archives are always kept, so no set of rules can leave a
target empty.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo

from backup.target_config import MIN_VERIFIED_KEPT, TargetConfig

ARCHIVE_PREFIX = "trackerbox-"
ARCHIVE_SUFFIX = ".tar.age"
SIDECAR_SUFFIX = ".verified.json"
# Milliseconds keep two runs in the same second apart; names without them (older runs) still parse.
_NAME = re.compile(r"^trackerbox-(\d{8}T\d{6})(?:\.(\d{3}))?Z\.tar\.age$")


@dataclass(frozen=True)
class ArchiveEntry:
    name: str
    created_at: datetime
    verified: bool


def archive_name(created_at: datetime) -> str:
    moment = created_at.astimezone(timezone.utc)
    return f"{ARCHIVE_PREFIX}{moment:%Y%m%dT%H%M%S}.{moment.microsecond // 1000:03d}Z{ARCHIVE_SUFFIX}"


def parse_archive_name(name: str) -> datetime | None:
    match = _NAME.match(name)
    if not match:
        return None
    moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
    return moment.replace(microsecond=int(match.group(2) or 0) * 1000)


def plan_retention(archives: list[ArchiveEntry], config: TargetConfig, zone: tzinfo | None = None
                   ) -> tuple[list[ArchiveEntry], list[ArchiveEntry]]:
    """Split ``archives`` into (keep, delete); periods are days in ``zone`` (the box's local time)."""
    verified = sorted((a for a in archives if a.verified), key=lambda a: a.created_at, reverse=True)
    keep: set[str] = {a.name for a in verified[:MIN_VERIFIED_KEPT]}
    rules = (
        (config.keep_daily, lambda t: t.date()),
        (config.keep_weekly, lambda t: t.isocalendar()[:2]),
        (config.keep_monthly, lambda t: (t.year, t.month)),
    )
    for count, period_of in rules:
        seen: set = set()
        for archive in verified:
            if len(seen) >= count:
                break
            period = period_of(archive.created_at.astimezone(zone))
            if period not in seen:
                seen.add(period)
                keep.add(archive.name)
    kept = [a for a in archives if a.name in keep]
    # Unverified archives never count: a failed or interrupted run leaves nothing worth keeping.
    deleted = [a for a in archives if a.name not in keep]
    return kept, deleted
