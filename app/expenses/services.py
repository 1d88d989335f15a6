"""Expenses: visibility, recording and changing them, and the rules that apply to them."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import UnknownLocaleError
from babel.numbers import get_decimal_symbol
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import Forbidden, NotFound

from app import company, db
from app.audit.service import record, snapshot
from app.errors import UserError
from app.expenses import receipts
from app.expenses.states import ExpenseAction, expense_allows, next_expense_status
from app.models import Expense, ExpenseCategory, ExpenseReport, ExpenseStatus, Project, ReportStatus, User
from app.money import check_currency, format_money, parse_amount, parse_decimal_input, to_major, to_minor
from app.projects.scoping import get_loggable_project, managed_project_ids
from app.security.permissions import Permission

log = logging.getLogger(__name__)

EXPENSE_AUDIT_FIELDS = (
    "user_id", "expense_date", "project_id", "category_id", "quantity", "amount_minor", "tax_minor", "currency",
    "notes", "billable", "reimbursable", "receipt_name", "receipt_original_name", "receipt_content_type",
    "receipt_size", "status", "report_id",
)
# Keeps every amount inside a 32-bit INTEGER column (PostgreSQL's limit is 2,147,483,647).
MAX_AMOUNT_MINOR = 999_999_999
MAX_QUANTITY = Decimal("100000")
QUANTITY_DECIMALS = 2
MAX_NOTES_LENGTH = 2000
MAX_DAYS_AHEAD = 366
# Control characters other than tab, line feed and carriage return. PostgreSQL rejects NUL in text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class ExpenseInput:
    """The fields of the expense form as typed. The services parse amounts in the person's locale."""

    expense_date: date | None
    project_id: int | None
    category_id: int | None
    amount: str = ""
    distance: str = ""
    tax: str = ""
    currency: str = ""
    notes: str = ""
    billable: bool = True
    reimbursable: bool = True
    receipt: FileStorage | None = None
    remove_receipt: bool = False


@dataclass
class ExpenseFilters:
    date_from: date | None = None
    date_to: date | None = None
    project_id: int | None = None
    status: ExpenseStatus | None = None
    mine_only: bool = False


def visible_expenses_query(user: User) -> Select:
    """Return a query for the expenses visible to ``user``.

    Everyone sees their own. TIME_VIEW_ALL or SCOPE_ALL_PROJECTS shows all expenses.
    EXPENSES_APPROVE adds the expenses of projects the person manages, and
    EXPENSES_REIMBURSE adds the expenses of approved and reimbursed reports, which the
    person has to check and pay out.
    """
    statement = select(Expense)
    if user.can(Permission.TIME_VIEW_ALL.value) or user.can(Permission.SCOPE_ALL_PROJECTS.value):
        return statement
    conditions = [Expense.user_id == user.id]
    if user.can(Permission.EXPENSES_APPROVE.value):
        conditions.append(Expense.project_id.in_(managed_project_ids(user)))
    if user.can(Permission.EXPENSES_REIMBURSE.value):
        payable = select(ExpenseReport.id).where(
            ExpenseReport.status.in_([ReportStatus.APPROVED, ReportStatus.REIMBURSED])
        )
        conditions.append(Expense.report_id.in_(payable))
    return statement.where(or_(*conditions))


def get_expense_for(user: User, expense_id: int, *, for_update: bool = False) -> Expense:
    """Load an expense ``user`` may see, else raise NotFound.

    ``for_update`` locks the row on PostgreSQL, so an edit and the submission of the
    report holding the expense can't both succeed on stale data.
    """
    statement = visible_expenses_query(user).where(Expense.id == expense_id)
    if for_update:
        statement = statement.with_for_update(of=Expense).execution_options(populate_existing=True)
    expense = db.session.scalar(statement)
    if expense is None:
        raise NotFound()
    return expense


def get_own_expense(user: User, expense_id: int, *, for_update: bool = False) -> Expense:
    """Load one of ``user``'s own expenses for a change; others' visible expenses raise Forbidden."""
    expense = get_expense_for(user, expense_id, for_update=for_update)
    if expense.user_id != user.id:
        raise Forbidden()
    return expense


def filtered_expenses_query(user: User, filters: ExpenseFilters) -> Select:
    """Visible expenses matching ``filters``, newest first, with what the list shows loaded in one go."""
    statement = visible_expenses_query(user).options(
        joinedload(Expense.project), joinedload(Expense.category), joinedload(Expense.user),
        joinedload(Expense.report),
    )
    statement = _apply_filters(statement, user, filters)
    return statement.order_by(Expense.expense_date.desc(), Expense.id.desc())


def expense_totals(user: User, filters: ExpenseFilters) -> list[tuple[str, int]]:
    """Sum of the filtered expenses per currency, as (currency, minor units) pairs."""
    visible_ids = _apply_filters(visible_expenses_query(user), user, filters).with_only_columns(Expense.id)
    rows = db.session.execute(
        select(Expense.currency, func.sum(Expense.amount_minor))
        .where(Expense.id.in_(visible_ids))
        .group_by(Expense.currency)
        .order_by(Expense.currency)
    )
    return [(currency, int(total)) for currency, total in rows]


def _apply_filters(statement: Select, user: User, filters: ExpenseFilters) -> Select:
    if filters.date_from:
        statement = statement.where(Expense.expense_date >= filters.date_from)
    if filters.date_to:
        statement = statement.where(Expense.expense_date <= filters.date_to)
    if filters.project_id:
        statement = statement.where(Expense.project_id == filters.project_id)
    if filters.status:
        statement = statement.where(Expense.status == filters.status)
    if filters.mine_only:
        statement = statement.where(Expense.user_id == user.id)
    return statement


def clean_text(text: str | None, *, field: str, max_length: int, multiline: bool = False) -> str:
    """Strip ``text`` (collapsing spaces unless ``multiline``) and reject control characters or excess length."""
    value = (text or "").strip() if multiline else " ".join((text or "").split())
    if CONTROL_CHARACTERS.search(value):
        raise UserError(f"{field}: the text contains control characters; type or paste it again as plain text",
                        field=field)
    if len(value) > max_length:
        raise UserError(f"{field}: {len(value)} characters is too long; keep it under {max_length}", field=field)
    return value


def active_categories() -> list[ExpenseCategory]:
    return list(db.session.scalars(
        select(ExpenseCategory).where(ExpenseCategory.active.is_(True)).order_by(ExpenseCategory.name)
    ))


def today_for(user: User) -> date:
    """Return the current date in the person's own time zone."""
    return datetime.now(ZoneInfo(user.timezone or "UTC")).date()


def compute_unit_amount(quantity: Decimal, unit_rate_minor: int, currency: str) -> int:
    """Multiply a quantity by a unit rate and round the result half-up to minor units."""
    return to_minor(quantity * to_major(unit_rate_minor, currency), currency)


def format_decimal_input(value: Decimal, locale: str) -> str:
    """Write a decimal the way a person of ``locale`` types it (``12,50`` in German), without grouping."""
    try:
        symbol = get_decimal_symbol(locale or "en")
    except (ValueError, UnknownLocaleError):
        symbol = "."
    return format(value, "f").replace(".", symbol)


def parse_quantity(text: str, locale: str, unit: str) -> Decimal:
    """Parse a distance (or other unit count): more than zero, at most two decimals."""
    value = parse_decimal_input(text, locale, field="distance", what=f"distance in {unit}")
    if value <= 0:
        raise UserError(f"distance: {text!r} is not more than zero; enter the {unit} travelled", field="distance")
    if value != value.quantize(Decimal(1).scaleb(-QUANTITY_DECIMALS)):
        raise UserError(f"distance: {text!r} has more than {QUANTITY_DECIMALS} decimals; round it, "
                        "for example to 12.35", field="distance")
    if value > MAX_QUANTITY:
        raise UserError(f"distance: {text!r} is more than {MAX_QUANTITY} {unit}; split it into several expenses",
                        field="distance")
    return value.quantize(Decimal(1).scaleb(-QUANTITY_DECIMALS))


def create_expense(user: User, data: ExpenseInput) -> Expense:
    """Record a new open expense of ``user`` with an optional receipt."""
    expense = Expense(user_id=user.id, status=ExpenseStatus.OPEN)
    _apply_input(user, expense, data, old_date=None)
    receipt = receipts.read_upload(data.receipt)
    if receipt is not None:
        _attach_receipt(expense, receipt)
    db.session.add(expense)
    db.session.flush()
    record("expense.create", expense, after=snapshot(expense, EXPENSE_AUDIT_FIELDS))
    log.info("expense %s recorded by user %s", expense.id, user.id)
    return expense


def update_expense(user: User, expense_id: int, data: ExpenseInput) -> Expense:
    """Change an open or rejected expense of ``user``. A new receipt replaces the old file after the commit."""
    expense = get_own_expense(user, expense_id, for_update=True)
    check_editable(user, expense)
    before = snapshot(expense, EXPENSE_AUDIT_FIELDS)
    _apply_input(user, expense, data, old_date=expense.expense_date)
    receipt = receipts.read_upload(data.receipt)
    if receipt is not None:
        receipts.remove_after_commit(expense.receipt_name)
        _attach_receipt(expense, receipt)
    elif data.remove_receipt and expense.receipt_name:
        receipts.remove_after_commit(expense.receipt_name)
        _detach_receipt(expense)
    expense.status = next_expense_status(expense.status, ExpenseAction.EDIT)
    after = snapshot(expense, EXPENSE_AUDIT_FIELDS)
    if after != before:
        db.session.flush()
        record("expense.update", expense, before=before, after=after)
        log.info("expense %s changed by user %s", expense.id, user.id)
    return expense


def delete_expense(user: User, expense_id: int) -> None:
    """Delete an open or rejected expense of ``user``. Its receipt file is removed after the commit."""
    expense = get_own_expense(user, expense_id, for_update=True)
    check_editable(user, expense)
    record("expense.delete", expense, before=snapshot(expense, EXPENSE_AUDIT_FIELDS))
    receipts.remove_after_commit(expense.receipt_name)
    db.session.delete(expense)
    db.session.flush()
    log.info("expense %s deleted by user %s", expense_id, user.id)


def is_editable(user: User, expense: Expense) -> bool:
    try:
        check_editable(user, expense)
    except UserError:
        return False
    return True


def check_editable(user: User, expense: Expense) -> None:
    """Raise UserError unless ``user`` may change or delete ``expense`` now."""
    if expense.user_id != user.id:
        raise UserError("only the person who recorded an expense can change it")
    if not expense_allows(expense.status, ExpenseAction.EDIT):
        raise UserError(f"this expense is {expense.status.value} and can no longer be changed; "
                        "only open and rejected expenses can be edited")
    if expense.invoice_id is not None:
        raise UserError("this expense is on an invoice and can no longer be changed")
    check_period_open(user, expense.expense_date)


def check_period_open(user: User, expense_date: date) -> None:
    """Raise UserError when ``expense_date`` is in the closed period and ``user`` may not reopen it."""
    locked = company.locked_until()
    if locked is None or expense_date > locked or user.can(Permission.TIME_REOPEN.value):
        return
    raise UserError(
        f"expense_date: {expense_date.isoformat()} is in the closed period (up to and including "
        f"{locked.isoformat()}); ask a manager who may reopen periods to make this change",
        field="expense_date",
    )


def _apply_input(user: User, expense: Expense, data: ExpenseInput, *, old_date: date | None) -> None:
    if data.expense_date is None:
        raise UserError("expense_date: a date is required, for example 2026-03-14", field="expense_date")
    latest = today_for(user) + timedelta(days=MAX_DAYS_AHEAD)
    if data.expense_date > latest:
        raise UserError(f"expense_date: {data.expense_date.isoformat()} is more than a year ahead; "
                        "enter the date on the receipt", field="expense_date")
    check_period_open(user, data.expense_date)
    project = _loggable_project(user, data.project_id)
    category = _category(data.category_id, current_id=expense.category_id)
    quantity, amount, tax, currency = _resolve_amounts(user, data, category, project)
    notes = clean_text(data.notes, field="notes", max_length=MAX_NOTES_LENGTH, multiline=True)
    expense.expense_date = data.expense_date
    expense.project_id = project.id
    expense.category_id = category.id
    expense.quantity = quantity
    expense.amount_minor = amount
    expense.tax_minor = tax
    expense.currency = currency
    expense.notes = notes
    expense.billable = bool(data.billable)
    expense.reimbursable = bool(data.reimbursable)


def _loggable_project(user: User, project_id: int | None) -> Project:
    if project_id is None:
        raise UserError("project_id: a project is required", field="project_id")
    try:
        return get_loggable_project(user, project_id)
    except NotFound:
        raise UserError(f"project_id: project {project_id} is not one you may book expenses on; "
                        "choose one of your open projects", field="project_id") from None


def _category(category_id: int | None, *, current_id: int | None) -> ExpenseCategory:
    """Return the chosen category. An inactive one is accepted only when the expense already has it."""
    category = db.session.get(ExpenseCategory, category_id) if category_id is not None else None
    if category is None or (not category.active and category.id != current_id):
        raise UserError("category_id: choose one of the active expense categories", field="category_id")
    return category


def _resolve_amounts(user: User, data: ExpenseInput, category: ExpenseCategory,
                     project: Project) -> tuple[Decimal | None, int, int, str]:
    """Return (quantity, amount, tax, currency). A unit-priced category computes the amount from the distance."""
    locale = user.locale or "en"
    if category.unit and category.unit_rate_minor is not None:
        currency = category.currency
        quantity: Decimal | None = parse_quantity(data.distance, locale, category.unit)
        amount = compute_unit_amount(quantity, category.unit_rate_minor, currency)
    else:
        currency = check_currency(data.currency) if (data.currency or "").strip() else project.currency
        quantity = None
        amount = parse_amount(data.amount, currency, locale, field="amount")
    if amount <= 0:
        raise UserError(f"amount: {format_money(amount, currency, locale)} is not more than zero; "
                        "enter the amount on the receipt", field="amount")
    if amount > MAX_AMOUNT_MINOR:
        raise UserError(f"amount: {format_money(amount, currency, locale)} is more than the largest amount "
                        f"accepted ({format_money(MAX_AMOUNT_MINOR, currency, locale)})", field="amount")
    tax = parse_amount(data.tax, currency, locale, field="tax") if (data.tax or "").strip() else 0
    if tax > amount:
        raise UserError(f"tax: {format_money(tax, currency, locale)} is more than the amount "
                        f"{format_money(amount, currency, locale)}; enter the tax included in the amount",
                        field="tax")
    return quantity, amount, tax, currency


def _attach_receipt(expense: Expense, receipt: receipts.CheckedReceipt) -> None:
    expense.receipt_name = receipts.store_receipt(receipt)
    expense.receipt_original_name = receipt.display_name
    expense.receipt_content_type = receipt.content_type
    expense.receipt_size = len(receipt.data)


def _detach_receipt(expense: Expense) -> None:
    expense.receipt_name = None
    expense.receipt_original_name = ""
    expense.receipt_content_type = ""
    expense.receipt_size = None


def receipt_file(expense: Expense):
    """Return (path, content type, download name) of the expense's receipt, else raise NotFound."""
    if not expense.receipt_name or expense.receipt_content_type not in receipts.CONTENT_TYPES:
        raise NotFound()
    path = receipts.receipt_path(expense.receipt_name)
    if not path.is_file():
        log.warning("receipt file %s of expense %s is missing", expense.receipt_name, expense.id)
        raise NotFound()
    return path, expense.receipt_content_type, expense.receipt_original_name or f"receipt-{expense.id}"
