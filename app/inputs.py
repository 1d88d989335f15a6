"""Parsing of typed form values shared by the domains (ids, text, money, choices).

Each parser takes the raw text of one field and returns the clean value or raises
UserError with a message that names the field, repeats the value and states what
is accepted. ``FieldChecks`` runs several parsers and reports every invalid field at once.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import available_timezones

from app.errors import UserError
from app.money import SUPPORTED_LOCALES, check_currency, format_plain, parse_amount

T = TypeVar("T")

# Integer columns are 32-bit on PostgreSQL, so stored amounts stay below 2**31.
MAX_MINOR = 2_000_000_000
# 100,000 hours is 360,000,000 seconds, well inside a 32-bit column.
MAX_BUDGET_HOURS = 100_000
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_HOURS_MINUTES = re.compile(r"(?P<h>\d{1,6}):(?P<m>[0-5]\d)")
_DECIMAL_HOURS = re.compile(r"\d{1,6}(?:[.,]\d{1,4})?")
# C0 control characters and DEL; PostgreSQL rejects NUL in text, and none belong in a name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InvalidFields(UserError):
    """Invalid fields of one form. ``errors`` maps each field name to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()), field=next(iter(errors)))
        self.errors = errors


class FieldChecks:
    """Collects the errors of several field parsers so that a form reports all of them."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def run(self, field: str, parse: Callable[..., T], /, *args: Any, **kwargs: Any) -> T | None:
        """Call ``parse`` and return its value, or record a UserError's message under ``field`` and return None."""
        try:
            return parse(*args, **kwargs)
        except UserError as exc:
            self.errors.setdefault(field, exc.message)
            return None

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidFields(self.errors)


def parse_text(text: str | None, *, field: str, max_length: int, required: bool = False,
               multiline: bool = False) -> str:
    """Strip ``text`` and check its length and characters. An empty value is allowed unless ``required``.

    Control characters are rejected, except line breaks and tabs when ``multiline``.
    Line breaks are stored as ``\\n``.
    """
    value = (text or "").strip()
    control = _CONTROL_EXCEPT_LINES if multiline else _CONTROL
    if control.search(value):
        raise UserError(f"{field}: {value[:40]!r} contains a control character; remove it", field=field)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if required and not value:
        raise UserError(f"{field}: a value is required", field=field)
    if len(value) > max_length:
        raise UserError(f"{field}: {value[:40]!r}... has {len(value)} characters; the maximum is {max_length}",
                        field=field)
    return value


def clean_search(text: str | None, max_length: int = 100) -> str:
    """Return a list filter's search text without control characters, cut to ``max_length``."""
    return _CONTROL.sub("", text or "")[:max_length].strip()


def parse_email(text: str | None, *, field: str, required: bool = False) -> str:
    value = parse_text(text, field=field, max_length=254, required=required)
    if value and not EMAIL_PATTERN.fullmatch(value):
        raise UserError(f"{field}: {value!r} is not a valid e-mail address; write it as name@example.com",
                        field=field)
    return value


def parse_optional_date(text: str | None, *, field: str) -> date | None:
    """Parse an ISO date (YYYY-MM-DD) typed in a filter or form; empty means none."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{field}: {text[:40]!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31",
                        field=field) from None


def parse_int_range(text: str | None, *, field: str, minimum: int, maximum: int) -> int:
    raw = (text or "").strip()
    if not re.fullmatch(r"-?\d{1,9}", raw) or not minimum <= int(raw) <= maximum:
        raise UserError(f"{field}: {raw!r} is not a whole number from {minimum} to {maximum}", field=field)
    return int(raw)


def parse_currency(text: str | None, *, field: str) -> str:
    try:
        return check_currency(text or "")
    except UserError as exc:
        raise UserError(f"{field}: {exc.message}", field=field) from None


def parse_optional_money(text: str | None, currency: str, locale: str, *, field: str) -> int | None:
    """Parse an amount typed in ``locale`` into minor units of ``currency``. Empty text gives None."""
    if not (text or "").strip():
        return None
    minor = parse_amount(text or "", currency, locale, field=field)
    if minor > MAX_MINOR:
        largest = format_plain(MAX_MINOR, currency)
        raise UserError(f"{field}: {text!r} is larger than the maximum of {largest} {currency}", field=field)
    return minor


def parse_budget_hours(text: str | None, *, field: str) -> int | None:
    """Parse a budget such as ``120``, ``120:30``, ``7.5`` or ``7,5`` hours into seconds. Empty gives None."""
    raw = (text or "").strip()
    if not raw:
        return None
    seconds = _budget_seconds(raw)
    if seconds is None:
        raise UserError(f"{field}: {raw!r} is not a number of hours; write 120, 120:30 or 7.5", field=field)
    if seconds <= 0:
        raise UserError(f"{field}: {raw!r} is not more than zero; enter a positive number of hours or leave it empty",
                        field=field)
    if seconds > MAX_BUDGET_HOURS * 3600:
        raise UserError(f"{field}: {raw!r} is more than the maximum of {MAX_BUDGET_HOURS} hours", field=field)
    return seconds


def _budget_seconds(raw: str) -> int | None:
    match = _HOURS_MINUTES.fullmatch(raw)
    if match:
        return int(match["h"]) * 3600 + int(match["m"]) * 60
    if not _DECIMAL_HOURS.fullmatch(raw):
        return None
    try:
        hours = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        return None
    return int((hours * 3600).to_integral_value(rounding=ROUND_HALF_UP))


# Files in the zone directory that are not places: the server's own zone and a placeholder.
_NOT_ZONES = {"localtime", "Factory", "posixrules"}


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    """Return the IANA zone names of the installed tz database (the tzdata package)."""
    return frozenset(available_timezones() - _NOT_ZONES)


def parse_timezone(text: str | None, *, field: str = "timezone") -> str:
    value = (text or "").strip()
    if value not in known_timezones():
        raise UserError(
            f"{field}: {value!r} is not a known IANA time zone; use a name such as Europe/Berlin or America/New_York",
            field=field,
        )
    return value


def parse_locale(text: str | None, *, field: str = "locale") -> str:
    value = (text or "").strip()
    if value not in SUPPORTED_LOCALES:
        raise UserError(f"{field}: {value!r} is not a supported number format; choose one of "
                        f"{', '.join(SUPPORTED_LOCALES)}", field=field)
    return value


def parse_choice(text: str | None, choices: dict[str, T], *, field: str) -> T:
    value = (text or "").strip()
    if value not in choices:
        raise UserError(f"{field}: {value!r} is not one of {', '.join(choices)}", field=field)
    return choices[value]


def parse_id(text: str | None, *, field: str) -> int:
    """Parse the id of a chosen record. The caller still checks that the record exists."""
    raw = (text or "").strip()
    if not re.fullmatch(r"\d{1,9}", raw):
        raise UserError(f"{field}: {raw!r} is not a valid choice; pick one from the list", field=field)
    return int(raw)


def parse_optional_id(text: str | None, *, field: str) -> int | None:
    if not (text or "").strip():
        return None
    return parse_id(text, field=field)
