"""Company settings: checking the typed values and saving each change through app.company.

Invoice and credit-note number patterns are Python format strings. Only ``{seq}`` (the
sequence number, required once, with an optional width such as ``{seq:05d}``) and
``{year}`` (optional) are accepted, so a pattern can never reach an object attribute
the way ``{seq.__class__}`` would.
"""
from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import date

from sqlalchemy import select

from app import company, db
from app.errors import UserError
from app.models import NumberSequence
from app import inputs
from app.security.session_settings import parse_session_settings

MAX_NUMBER_LENGTH = 40
_LITERAL = re.compile(r"[A-Za-z0-9 ._/#-]*")
_SPECS = {"seq": re.compile(r"(0?[1-9])?d?"), "year": re.compile(r"d?")}
PATTERN_SETTINGS = {"invoice_number_pattern": "invoice", "credit_note_number_pattern": "credit_note"}
# Maximum length, required, and whether line breaks are allowed.
TEXT_SETTINGS = {
    "company_name": (200, True, False),
    "company_address": (2000, False, True),
    "company_tax_id": (60, False, False),
    "company_bank_details": (2000, False, True),
}


def _pattern_error(field: str, pattern: str, reason: str) -> UserError:
    return UserError(f"{field}: {pattern!r} {reason}; write for example {{year}}-{{seq:05d}} or "
                     "INV-{seq:06d}", field=field)


def check_number_pattern(text: str | None, *, field: str) -> str:
    """Return the stripped pattern, or raise UserError that states what is wrong with it."""
    pattern = (text or "").strip()
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError:
        raise _pattern_error(field, pattern, "has a { or } without its partner") from None
    names = []
    for literal, name, spec, conversion in parts:
        if not _LITERAL.fullmatch(literal):
            raise _pattern_error(field, pattern, "contains characters other than letters, digits, spaces and . _ / # -")
        if name is None:
            continue
        if name not in _SPECS or conversion is not None:
            raise _pattern_error(field, pattern, f"contains {{{name}}}, but only {{seq}} and {{year}} are allowed")
        if not _SPECS[name].fullmatch(spec or ""):
            raise _pattern_error(field, pattern, f"has the format {spec!r} for {{{name}}}, which is not a digit width")
        names.append(name)
    if names.count("seq") != 1 or names.count("year") > 1:
        raise _pattern_error(field, pattern, "must contain {seq} exactly once and {year} at most once")
    if len(format_number(pattern, 9999, 999_999)) > MAX_NUMBER_LENGTH:
        raise _pattern_error(field, pattern, f"can give numbers longer than {MAX_NUMBER_LENGTH} characters")
    return pattern


def format_number(pattern: str, year: int, sequence: int) -> str:
    return pattern.format(year=year, seq=sequence)


def next_number_example(setting: str, pattern: str, today: date) -> str:
    """Return the number the next document of this kind would get this year with ``pattern``.

    NOTE: the series names ("invoice-2026" with {year} in the pattern, else "invoice")
    must match the ones the invoice numbering uses in app/invoices/numbering.py.
    """
    kind = PATTERN_SETTINGS[setting]
    series = f"{kind}-{today.year}" if "{year" in pattern else kind
    next_value = db.session.scalar(select(NumberSequence.next_value).where(NumberSequence.name == series)) or 1
    return format_number(pattern, today.year, next_value)


def _parse_settings(values: Mapping) -> dict:
    checks = inputs.FieldChecks()
    clean: dict = {}
    for key, (max_length, required, multiline) in TEXT_SETTINGS.items():
        clean[key] = checks.run(key, inputs.parse_text, values.get(key), field=key, max_length=max_length,
                                required=required, multiline=multiline)
    clean["company_email"] = checks.run("company_email", inputs.parse_email, values.get("company_email"),
                                        field="company_email")
    clean["default_currency"] = checks.run("default_currency", inputs.parse_currency, values.get("default_currency"),
                                           field="default_currency")
    clean["allow_overlapping_entries"] = bool(values.get("allow_overlapping_entries"))
    for key in PATTERN_SETTINGS:
        clean[key] = checks.run(key, check_number_pattern, values.get(key), field=key)
    clean |= parse_session_settings(values, checks)
    checks.raise_if_any()
    return clean


def update_company_settings(values: Mapping) -> list[str]:
    """Check every field, then save and audit each changed one. Return the names of the changed settings."""
    clean = _parse_settings(values)
    current = company.get_all()
    changed = [key for key, value in clean.items() if current[key] != value]
    for key in changed:
        company.set_value(key, clean[key])
    return changed
