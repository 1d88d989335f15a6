"""Money as an integer count of minor units plus an ISO 4217 currency code.

Arithmetic happens in ``Decimal`` and is rounded half-up to the currency's minor unit
(JPY 0 decimals, EUR 2, BHD 3), so a figure is the same on screen, in the PDF and in
every export.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, format_currency, get_currency_precision, is_currency, parse_decimal

from app.errors import UserError

SUPPORTED_LOCALES = ("en", "en_GB", "de", "de_CH", "fr", "nl", "es", "it")


def check_currency(code: str) -> str:
    """Return ``code`` upper-cased when it is an ISO 4217 currency, else raise UserError."""
    normalized = (code or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", normalized) or not is_currency(normalized):
        raise UserError(f"currency {code!r} is not an ISO 4217 code; use for example EUR, USD, JPY or BHD", field="currency")
    return normalized


def exponent(currency: str) -> int:
    """Number of decimals of the currency's minor unit."""
    return get_currency_precision(currency)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def round_major(value: Decimal, currency: str) -> Decimal:
    """Round a major-unit amount half-up to the currency's minor unit."""
    return value.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def to_minor(value: Decimal, currency: str) -> int:
    """Convert a major-unit amount to minor units, rounding half-up."""
    return int(round_major(value, currency).scaleb(exponent(currency)))


def to_major(minor: int, currency: str) -> Decimal:
    return (Decimal(minor).scaleb(-exponent(currency))).quantize(quantum(currency))


def _locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale or "en")
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def parse_decimal_input(text: str, locale: str, *, field: str, what: str = "number") -> Decimal:
    """Parse a number typed in the user's locale (``1.234,50`` in German, ``1,234.50`` in English).

    Input that the other common convention would read differently is rejected rather
    than guessed. For example ``1.234`` for a German user or ``1,234`` for an English user
    may mean one thousand or one point two, so the message asks for an unambiguous form.
    """
    raw = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if not raw:
        raise UserError(f"{field}: the {what} is missing; enter a value", field=field)
    loc = _locale(locale)
    if not re.fullmatch(r"[-+]?[\d.,'\u2019]+", raw):
        raise UserError(
            f"{field}: {text!r} is not a valid {what}; use digits with at most one decimal separator",
            field=field,
        )
    symbols = loc.number_symbols["latn"]
    decimal_sep, group_sep = symbols["decimal"], symbols["group"]
    if group_sep in raw and decimal_sep not in raw and re.fullmatch(r"-?\d{1,3}([.,']\d{3})+", raw):
        raise UserError(
            f"{field}: {text!r} is ambiguous; write it without the '{group_sep}' "
            f"or with decimals (for example {raw.replace(group_sep, '')}{decimal_sep}00)",
            field=field,
        )
    try:
        value = parse_decimal(raw, locale=loc, strict=True)
    except NumberFormatError:
        example = f"1{group_sep}234{decimal_sep}50"
        raise UserError(
            f"{field}: {text!r} is not a valid {what} in the {loc.english_name} number format; "
            f"write for example {example} or 1234{decimal_sep}50",
            field=field,
        ) from None
    if not value.is_finite():
        raise UserError(f"{field}: {text!r} is not a finite {what}", field=field)
    return value


def parse_amount(text: str, currency: str, locale: str, *, field: str = "amount", allow_negative: bool = False) -> int:
    """Parse a typed amount into minor units of ``currency``; more decimals than it has are rejected."""
    value = parse_decimal_input(text, locale, field=field, what="amount")
    if value < 0 and not allow_negative:
        raise UserError(f"{field}: {text!r} is negative; enter a positive amount", field=field)
    digits = exponent(currency)
    if value != value.quantize(quantum(currency), rounding=ROUND_HALF_UP):
        raise UserError(f"{field}: {text!r} has more than {digits} decimals, which {currency} does not have", field=field)
    return to_minor(value, currency)


def parse_plain_decimal(text: str, *, field: str) -> Decimal:
    """Parse a machine-formatted decimal (``12.5``) as found in config and export files."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        raise UserError(f"{field}: {text!r} is not a decimal number such as 12.5", field=field) from None
    if not value.is_finite():
        raise UserError(f"{field}: {text!r} is not a finite number", field=field)
    return value


def format_money(minor: int, currency: str, locale: str = "en") -> str:
    """Format minor units for display, e.g. ``€1,234.50`` or ``1.234,50 €``."""
    return format_currency(to_major(minor, currency), currency, locale=_locale(locale))


def format_plain(minor: int, currency: str) -> str:
    """Format minor units as a plain decimal (``1234.50``) for CSV exports."""
    return f"{to_major(minor, currency):f}"
