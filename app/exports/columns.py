"""The columns of each CSV export and the conversion of one object into one row.

Money is written as a plain decimal (``1234.50``) next to its currency code, with the
same stored, already rounded minor units the screens show. Text cells that a
spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return)
get a leading apostrophe. Numbers and dates that TrackerBox formats itself are written
unchanged, so a negative amount stays a number.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from app.models import Expense, Invoice, Payment, TimeEntry
from app.money import format_plain

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class Value(str):
    """A cell TrackerBox formatted itself (number, date, code), written without formula escaping."""


def escape_cell(cell: str) -> str:
    """Return ``cell`` safe for spreadsheets: text that could start a formula gets a leading apostrophe."""
    if isinstance(cell, Value) or not cell.startswith(FORMULA_PREFIXES):
        return cell
    return "'" + cell


def _text(value: str | None) -> str:
    return value or ""


def _day(value: date | None) -> Value:
    return Value(value.isoformat() if value else "")


def _instant(value: datetime | None, zone_name: str) -> Value:
    """Format an instant in the entry's own zone with its offset, e.g. 2021-05-07T22:12:00+02:00."""
    return Value(value.astimezone(ZoneInfo(zone_name)).isoformat() if value else "")


def _money(minor: int | None, currency: str) -> Value:
    return Value("" if minor is None else format_plain(minor, currency))


def _yes_no(flag: bool) -> Value:
    return Value("yes" if flag else "no")


def _hours(seconds: int | None) -> Value:
    """Format seconds as hours rounded half-up to two decimals; the seconds column keeps the exact value."""
    if seconds is None:
        return Value("")
    return Value(str((Decimal(seconds) / 3600).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)))


def _enum(value) -> Value:
    return Value(value.value if value is not None else "")


@dataclass(frozen=True)
class ExportKind:
    name: str
    label: str
    header: tuple[str, ...]
    row: Callable[[object], list[str]]


def time_row(entry: TimeEntry) -> list[str]:
    task = entry.task.name if entry.task else ""
    return [
        Value(str(entry.id)), _day(entry.work_date), _instant(entry.start_at, entry.timezone),
        _instant(entry.end_at, entry.timezone), Value(entry.timezone), Value(str(entry.duration_seconds or 0)),
        _hours(entry.duration_seconds), _text(entry.user.login), _text(entry.user.name),
        _text(entry.project.client.name), _text(entry.project.code), _text(entry.project.name), _text(task),
        _text(entry.notes), _yes_no(entry.billable), _enum(entry.status), _yes_no(entry.invoice_id is not None),
    ]


def expense_row(expense: Expense) -> list[str]:
    return [
        Value(str(expense.id)), _day(expense.expense_date), _text(expense.user.login), _text(expense.user.name),
        _text(expense.project.client.name), _text(expense.project.code), _text(expense.project.name),
        _text(expense.category.name), Value("" if expense.quantity is None else format(expense.quantity, "f")),
        _text(expense.category.unit), _money(expense.amount_minor, expense.currency),
        _money(expense.tax_minor, expense.currency), Value(expense.currency), _yes_no(expense.billable),
        _yes_no(expense.reimbursable), _enum(expense.status), _text(expense.notes),
        _yes_no(expense.receipt_name is not None),
    ]


def invoice_row(invoice: Invoice) -> list[str]:
    currency = invoice.currency
    credited = invoice.credited_invoice.number if invoice.credited_invoice else ""
    return [
        _text(invoice.number), _enum(invoice.kind), _enum(invoice.status), _text(invoice.client.name),
        Value(currency), _day(invoice.issue_date), _day(invoice.due_date), _day(invoice.period_start),
        _day(invoice.period_end), _money(invoice.subtotal_minor, currency), _money(invoice.discount_minor, currency),
        _money(invoice.tax_minor, currency), _money(invoice.total_minor, currency),
        _money(invoice.paid_minor, currency), _money(invoice.balance_minor, currency), _text(credited),
        _text(invoice.notes),
    ]


def payment_row(payment: Payment) -> list[str]:
    return [
        Value(str(payment.id)), _day(payment.payment_date), _text(payment.invoice.number),
        _text(payment.client.name), _money(payment.amount_minor, payment.currency), Value(payment.currency),
        _enum(payment.method), _text(payment.reference), _text(payment.notes),
    ]


KINDS: dict[str, ExportKind] = {
    "time": ExportKind("time", "Time entries", (
        "id", "date", "start", "end", "timezone", "duration_seconds", "hours", "user_login", "user_name", "client",
        "project_code", "project_name", "task", "notes", "billable", "status", "invoiced"), time_row),
    "expenses": ExportKind("expenses", "Expenses", (
        "id", "date", "user_login", "user_name", "client", "project_code", "project_name", "category", "quantity",
        "unit", "amount", "tax", "currency", "billable", "reimbursable", "status", "notes", "receipt"), expense_row),
    "invoices": ExportKind("invoices", "Invoices and credit notes", (
        "number", "kind", "status", "client", "currency", "issue_date", "due_date", "period_start", "period_end",
        "subtotal", "discount", "tax", "total", "paid", "balance", "credits_invoice", "notes"), invoice_row),
    "payments": ExportKind("payments", "Payments", (
        "id", "date", "invoice_number", "client", "amount", "currency", "method", "reference", "notes"), payment_row),
}
