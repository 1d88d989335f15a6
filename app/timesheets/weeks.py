"""Dates, ISO weeks and local times in a person's IANA time zone.

A week runs Monday to Sunday in the person's zone and is written ``2026-W13``
(ISO 8601 week numbering, so 2026-W01 starts on Monday 2025-12-29).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from app.errors import UserError

_WEEK = re.compile(r"(?P<year>\d{4})-?W(?P<week>\d{1,2})", re.IGNORECASE)
_TIME = re.compile(r"(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?")
DAYS_PER_WEEK = 7


def week_start(day: date) -> date:
    """Return the Monday of the week that contains ``day``."""
    return day - timedelta(days=day.weekday())


def week_days(monday: date) -> list[date]:
    return [monday + timedelta(days=offset) for offset in range(DAYS_PER_WEEK)]


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str, *, field: str = "week") -> date:
    """Parse ``2026-W13`` (or ``2026W13``) into the Monday of that ISO week."""
    match = _WEEK.fullmatch((text or "").strip())
    if not match:
        raise UserError(f"{field}: {text!r} is not a week; write it as 2026-W13", field=field)
    try:
        return date.fromisocalendar(int(match["year"]), int(match["week"]), 1)
    except ValueError:
        raise UserError(f"{field}: {text!r} does not exist; ISO years have week 01 to 52 or 53",
                        field=field) from None


def parse_date(text: str, *, field: str = "date") -> date:
    """Parse an ISO date such as ``2026-03-29``."""
    raw = (text or "").strip()
    if not raw:
        raise UserError(f"{field}: a date is required", field=field)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise UserError(f"{field}: {text!r} is not a date; write it as 2026-03-29", field=field) from None


def parse_time(text: str, *, field: str) -> time:
    """Parse a wall-clock time such as ``9``, ``09:30`` or ``0930``."""
    raw = (text or "").strip()
    match = _TIME.fullmatch(raw)
    if not match or int(match["h"]) > 23 or int(match["m"] or 0) > 59:
        raise UserError(f"{field}: {text!r} is not a time of day; write it as 09:30", field=field)
    return time(int(match["h"]), int(match["m"] or 0))


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def today_in(zone_name: str) -> date:
    return datetime.now(timezone.utc).astimezone(zone(zone_name)).date()


def local_date(instant: datetime, zone_name: str) -> date:
    """Return the calendar date of a UTC instant in ``zone_name``."""
    return instant.astimezone(zone(zone_name)).date()


def local_instant(day: date, clock: time, zone_name: str, *, field: str) -> datetime:
    """Return the UTC instant of a wall-clock time on ``day`` in ``zone_name``.

    A time skipped by a DST change (02:30 on 2026-03-29 in Europe/Berlin) is rejected.
    A time that occurs twice when the clocks go back means its first occurrence.
    """
    tz = zone(zone_name)
    local = datetime.combine(day, clock, tzinfo=tz)
    instant = local.astimezone(timezone.utc)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise UserError(
            f"{field}: {clock:%H:%M} does not exist on {day.isoformat()} in {zone_name} because the clocks "
            "move forward then; enter a time after the change",
            field=field,
        )
    return instant
