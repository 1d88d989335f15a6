"""Checking the session timeout and public-network settings of the company settings page."""
from __future__ import annotations

from collections.abc import Mapping

from app.errors import UserError
from app.inputs import FieldChecks
from app.security.allow_lists import parse_networks

# Allowed range of each timeout in minutes: (minimum, maximum, label).
TIMEOUT_RANGES = {
    "session_idle_minutes": (1, 24 * 60, "Idle timeout"),
    "session_absolute_minutes": (5, 7 * 24 * 60, "Maximum session length"),
    "public_session_idle_minutes": (1, 60, "Public-terminal idle timeout"),
    "public_session_absolute_minutes": (5, 12 * 60, "Public-terminal maximum session length"),
}
PAIRS = (("session_idle_minutes", "session_absolute_minutes"),
         ("public_session_idle_minutes", "public_session_absolute_minutes"))


def parse_minutes(text: object, *, field: str) -> int:
    low, high, label = TIMEOUT_RANGES[field]
    raw = str(text if text is not None else "").strip()
    if not raw.isdigit():
        raise UserError(f"{field}: {label} {raw[:20]!r} is not a whole number of minutes; enter a number from "
                        f"{low} to {high}", field=field)
    minutes = int(raw)
    if not low <= minutes <= high:
        raise UserError(f"{field}: {label} of {minutes} minutes is outside the allowed range; enter {low} to "
                        f"{high} minutes", field=field)
    return minutes


def parse_session_settings(values: Mapping, checks: FieldChecks) -> dict:
    """Return the clean session settings from ``values``; errors go into ``checks``."""
    clean = {field: checks.run(field, parse_minutes, values.get(field), field=field) for field in TIMEOUT_RANGES}
    for idle, absolute in PAIRS:
        if clean[idle] is not None and clean[absolute] is not None and clean[idle] > clean[absolute]:
            checks.add(idle, f"{idle}: the idle timeout of {clean[idle]} minutes is longer than the maximum session "
                             f"length of {clean[absolute]} minutes; make it shorter or equal")
    clean["public_networks"] = checks.run("public_networks", parse_networks, values.get("public_networks"),
                                          field="public_networks")
    return clean
