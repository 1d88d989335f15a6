"""Gapless, sequential document numbers for invoices and credit notes.

Each series is a row in ``number_sequences``: one per document kind, and per year when
the company's pattern contains ``{year}``. The number is taken by an UPDATE of that row
inside the issuing transaction. SQLite runs write transactions one at a time (they begin
with BEGIN IMMEDIATE), and on PostgreSQL the UPDATE's row lock makes a second issuer wait
until the first commits or rolls back. A rolled-back issue therefore also rolls back its
number, so no number is skipped or given twice.
"""
from __future__ import annotations

import logging
import string
from datetime import date

from sqlalchemy import select, text

from app import company, db
from app.errors import UserError
from app.models import Invoice, InvoiceKind

log = logging.getLogger(__name__)

PATTERN_SETTINGS = {
    InvoiceKind.INVOICE: "invoice_number_pattern",
    InvoiceKind.CREDIT_NOTE: "credit_note_number_pattern",
}
MAX_NUMBER_LENGTH = 40

_INCREMENT = text("UPDATE number_sequences SET next_value = next_value + 1 WHERE name = :name RETURNING next_value")
# ON CONFLICT DO NOTHING lets two transactions that both miss the row create it once;
# SQLite and PostgreSQL both accept this form.
_CREATE = text("INSERT INTO number_sequences (name, next_value) VALUES (:name, 1) ON CONFLICT (name) DO NOTHING")


def _fields(pattern: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError:
        return {"<unbalanced braces>"}


def check_pattern(pattern: str, setting: str) -> None:
    """Raise UserError unless ``pattern`` uses ``{seq}`` and nothing but ``{year}`` besides."""
    fields = _fields(pattern)
    if "seq" not in fields or not fields <= {"seq", "year"}:
        raise UserError(
            f"the company setting {setting} is {pattern!r}, which is not a valid number pattern; "
            "use {seq} with an optional {year}, for example {year}-{seq:05d}",
            field=setting,
        )
    try:
        format_number(pattern, 2026, 1)
    except (ValueError, TypeError):
        raise UserError(
            f"the company setting {setting} is {pattern!r}, whose format specification is invalid; "
            "write for example {seq:05d} for five digits",
            field=setting,
        ) from None


def format_number(pattern: str, year: int, sequence: int) -> str:
    return pattern.format(year=year, seq=sequence)


def series_name(kind: InvoiceKind, pattern: str, issue_date: date) -> str:
    """Return the name of the ``number_sequences`` row to draw from: ``invoice-2026`` or ``invoice``."""
    return f"{kind.value}-{issue_date.year}" if "year" in _fields(pattern) else kind.value


def take_next_value(series: str) -> int:
    """Take the next value of ``series`` in the current transaction; the first value is 1."""
    session = db.session()
    next_value = session.execute(_INCREMENT, {"name": series}).scalar()
    if next_value is None:
        session.execute(_CREATE, {"name": series})
        next_value = session.execute(_INCREMENT, {"name": series}).scalar_one()
    return next_value - 1


def assign_number(kind: InvoiceKind, issue_date: date) -> str:
    """Take the next number of ``kind`` for a document issued on ``issue_date``."""
    setting = PATTERN_SETTINGS[kind]
    pattern = company.get(setting)
    check_pattern(pattern, setting)
    sequence = take_next_value(series_name(kind, pattern, issue_date))
    number = format_number(pattern, issue_date.year, sequence)
    if len(number) > MAX_NUMBER_LENGTH:
        raise UserError(
            f"the number {number!r} from the setting {setting} is longer than {MAX_NUMBER_LENGTH} characters; "
            "shorten the pattern",
            field=setting,
        )
    if db.session.scalar(select(Invoice.id).where(Invoice.number == number)) is not None:
        raise UserError(
            f"the number {number!r} is already used by another document, because the setting {setting} "
            f"({pattern!r}) repeats numbers of an earlier pattern; give the new pattern a different prefix",
            field=setting,
        )
    log.info("number %s taken from series %s", number, series_name(kind, pattern, issue_date))
    return number
