"""Company settings with their defaults; a database row exists only for changed values."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from app import db
from app.audit.service import record
from app.models import Setting

DEFAULTS: dict[str, Any] = {
    "company_name": "Our Company",
    "company_address": "",
    "company_tax_id": "",
    "company_email": "",
    "company_bank_details": "",
    "default_currency": "EUR",
    # Refuse overlapping time entries of one person unless this is switched on.
    "allow_overlapping_entries": False,
    # Python format pattern; {year} and {seq} are filled in, e.g. "2026-00042".
    "invoice_number_pattern": "{year}-{seq:05d}",
    "credit_note_number_pattern": "CN-{year}-{seq:05d}",
    # ISO date up to which (inclusive) time and expenses are closed, or None.
    "locked_until": None,
    # Session timeouts in minutes: idle (no request) and absolute (since sign-in).
    "session_idle_minutes": 30,
    "session_absolute_minutes": 12 * 60,
    # The same for public-terminal sessions (box ticked at sign-in, or from public_networks).
    "public_session_idle_minutes": 5,
    "public_session_absolute_minutes": 60,
    # CIDR ranges whose sign-ins always start public-terminal sessions, e.g. ["192.0.2.0/28"].
    "public_networks": [],
    # Password policy and wrong-password handling; app/security/password_policy.py
    # and app/security/throttle.py explain each value.
    "password_min_length": 15,
    "password_max_length": 256,
    "password_require_lowercase": False,
    "password_require_uppercase": False,
    "password_require_digit": False,
    "password_require_symbol": False,
    "password_reject_common": True,
    "password_min_strength": 3,
    "password_reject_personal": True,
    "password_history_count": 5,
    "password_max_age_days": 0,
    "password_expiry_warning_days": 14,
    "signin_suspend_after": 10,
    "signin_address_limit": 30,
    "signin_office_limit": 300,
    # CIDR ranges of the office LAN, e.g. ["192.168.10.0/24"]; they get signin_office_limit.
    "office_networks": [],
}


def get(key: str) -> Any:
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(Setting, key)
    return DEFAULTS[key] if row is None else row.value


def get_all() -> dict[str, Any]:
    values = dict(DEFAULTS)
    for row in db.session.scalars(select(Setting)):
        if row.key in values:
            values[row.key] = row.value
    return values


def set_value(key: str, value: Any) -> None:
    """Change one setting and audit the old and new values."""
    if key not in DEFAULTS:
        raise KeyError(key)
    before = get(key)
    if before == value:
        return
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    record("settings.change", object_type="setting", object_id=key, before={key: before}, after={key: value})


def locked_until() -> date | None:
    value = get("locked_until")
    return date.fromisoformat(value) if value else None
