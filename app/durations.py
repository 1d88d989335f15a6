"""Parsing and display of durations, kept as integer seconds everywhere."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from app.errors import UserError

_HMS = re.compile(r"(?P<h>\d{1,4}):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?")
_UNITS = re.compile(r"(?:(?P<h>\d+(?:[.,]\d+)?)\s*h)?\s*(?:(?P<m>\d+)\s*m(?:in)?)?")
MAX_ENTRY_SECONDS = 7 * 24 * 3600


def parse_duration(text: str, *, field: str = "duration") -> int:
    """Parse ``1:30``, ``1:30:15``, ``1.5``, ``1,5``, ``90m``, ``1h30m`` or ``2h`` into seconds.

    A bare number is hours. Zero, negative and implausibly long durations are rejected.
    """
    raw = (text or "").strip().lower()
    if not raw:
        raise UserError(f"{field}: a duration is required", field=field)
    seconds = _parse_seconds(raw)
    if seconds is None:
        raise UserError(
            f"{field}: {text!r} is not a duration; write 1:30, 1.5, 90m or 1h30m", field=field
        )
    if seconds <= 0:
        raise UserError(f"{field}: {text!r} is not more than zero; enter a positive duration", field=field)
    if seconds > MAX_ENTRY_SECONDS:
        raise UserError(f"{field}: {text!r} is longer than one week; split it into several entries", field=field)
    return seconds


def _parse_seconds(raw: str) -> int | None:
    if raw.startswith("-"):
        return -1
    match = _HMS.fullmatch(raw)
    if match:
        return int(match["h"]) * 3600 + int(match["m"]) * 60 + int(match["s"] or 0)
    if re.fullmatch(r"\d+(?:[.,]\d+)?", raw):
        try:
            return int((Decimal(raw.replace(",", ".")) * 3600).to_integral_value())
        except InvalidOperation:
            return None
    match = _UNITS.fullmatch(raw)
    if match and (match["h"] or match["m"]):
        hours = Decimal((match["h"] or "0").replace(",", "."))
        return int((hours * 3600).to_integral_value()) + int(match["m"] or 0) * 60
    return None


def format_duration(seconds: int | None, *, with_seconds: bool = False) -> str:
    """Show seconds as ``h:mm`` with unbounded hours, so 30 hours reads ``30:00``, never wrapped."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    seconds = abs(int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if with_seconds:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{hours}:{minutes:02d}"


def hours_decimal(seconds: int) -> Decimal:
    """Hours as an exact Decimal (for billing quantities)."""
    return Decimal(seconds) / Decimal(3600)
