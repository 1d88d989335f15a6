"""Building a draft invoice from a client's approved, billable, not yet invoiced work.

The draft takes time entries by work date and expenses by expense date within the
period. It reserves them by setting their ``invoice_id`` in one UPDATE that only touches
rows whose ``invoice_id`` is still empty, so two drafts made at the same moment never
take the same entry. Deleting the draft, or voiding the issued invoice, frees them.

What is billed:

- Time on hourly projects: quantity is the hours, unit price the resolved hourly rate,
  amount the exact seconds x rate rounded half-up once per line.
- Time on fixed-fee projects: one line with the project's fixed fee, once per project.
  The time entries are attached to the invoice without a charge of their own.
- Expenses: re-billed at their net amount (the amount without the tax paid on them),
  with the tax rates chosen for the draft, which is how VAT-registered companies pass
  costs on.
- Nothing from non-billable projects, non-billable tasks or non-billable entries.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import groupby

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from app import db
from app.durations import format_duration
from app.audit.service import record, snapshot
from app.errors import UserError
from app.invoices.services import INVOICE_FIELDS, get_billing_client_for
from app.invoices.taxes import load_active_rates, parse_percent
from app.invoices.totals import hours_from_seconds, store_totals, time_amount_minor
from app.models import (
    BillingMethod, Client, EntryStatus, Expense, ExpenseStatus, Invoice, InvoiceKind, InvoiceLine, InvoiceLineTax,
    InvoiceStatus, LineKind, Project, Task, TaxRate, TimeEntry, User,
)
from app.projects.rates import member_rate_map, resolve_rate

log = logging.getLogger(__name__)

GROUPINGS = {
    "task": "One line per task",
    "person": "One line per person",
    "entry": "One line per time entry",
}
MAX_NOTES_LENGTH = 5000
MAX_DESCRIPTION_LENGTH = 500


@dataclass
class DraftResult:
    invoice: Invoice
    # Work in the period that the draft left out, with the reason, for the person to fix.
    warnings: list[str] = field(default_factory=list)


@dataclass
class _LineDraft:
    # (0 for time or 1 for expenses, project code, text, id, rate): the order of lines.
    sort_key: tuple[int, str, str, int, int]
    kind: LineKind
    description: str
    project_id: int
    seconds: int = 0
    rate_minor: int = 0
    amount_minor: int = 0


def create_draft_invoice(user: User, *, client_id: int, period_start: date | None, period_end: date | None,
                         grouping: str, tax_rate_ids: list[int], discount: str = "", notes: str = "") -> DraftResult:
    """Create a draft for one client from the approved work in a period and reserve that work."""
    client = get_billing_client_for(user, client_id)
    start, end = _check_period(period_start, period_end)
    if grouping not in GROUPINGS:
        raise UserError(f"grouping: {grouping!r} is not a grouping; choose task, person or entry", field="grouping")
    tax_rates = load_active_rates(tax_rate_ids)
    discount_basis_points = parse_percent(discount, field="discount") if (discount or "").strip() else 0
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES_LENGTH:
        raise UserError(f"notes: {len(notes)} characters is too long; use at most {MAX_NOTES_LENGTH}", field="notes")

    invoice = Invoice(
        kind=InvoiceKind.INVOICE, client_id=client.id, currency=client.currency, status=InvoiceStatus.DRAFT,
        period_start=start, period_end=end, grouping=grouping, discount_basis_points=discount_basis_points,
        notes=notes, created_by_id=user.id,
    )
    db.session.add(invoice)
    db.session.flush()
    result = DraftResult(invoice)
    drafts = _time_lines(invoice, client, start, end, result.warnings)
    drafts += _expense_lines(invoice, client, start, end, result.warnings)
    invoice.lines = _to_lines(drafts, tax_rates)
    store_totals(invoice)
    record("invoice.create", invoice, after=snapshot(invoice, INVOICE_FIELDS), actor=user,
           details={"lines": len(invoice.lines), "tax_rates": [rate.name for rate in tax_rates]})
    log.info("draft invoice %s created for client %s by user %s", invoice.id, client.id, user.id)
    return result


def _check_period(period_start: date | None, period_end: date | None) -> tuple[date, date]:
    if period_start is None:
        raise UserError("period_start: a start date is required", field="period_start")
    if period_end is None:
        raise UserError("period_end: an end date is required", field="period_end")
    if period_end < period_start:
        raise UserError(
            f"period_end: {period_end.isoformat()} is before the start {period_start.isoformat()}; "
            "choose an end on or after the start",
            field="period_end",
        )
    return period_start, period_end


def _billable_project_ids(client: Client):
    return select(Project.id).where(Project.client_id == client.id,
                                    Project.billing_method != BillingMethod.NON_BILLABLE)


def _reserve_time(invoice: Invoice, client: Client, start: date, end: date) -> list[TimeEntry]:
    non_billable_tasks = select(Task.id).where(Task.billable.is_(False))
    db.session.execute(
        update(TimeEntry)
        .where(
            TimeEntry.invoice_id.is_(None), TimeEntry.status == EntryStatus.APPROVED, TimeEntry.billable.is_(True),
            TimeEntry.duration_seconds > 0, TimeEntry.work_date.between(start, end),
            TimeEntry.project_id.in_(_billable_project_ids(client)),
            or_(TimeEntry.task_id.is_(None), TimeEntry.task_id.not_in(non_billable_tasks)),
        )
        .values(invoice_id=invoice.id)
        .execution_options(synchronize_session=False)
    )
    return list(db.session.scalars(
        select(TimeEntry).where(TimeEntry.invoice_id == invoice.id)
        .options(joinedload(TimeEntry.project), joinedload(TimeEntry.task), joinedload(TimeEntry.user))
        .order_by(TimeEntry.work_date, TimeEntry.id)
        .execution_options(populate_existing=True)
    ))


def _release(model, ids: Iterable[int]) -> None:
    ids = list(ids)
    if ids:
        db.session.execute(
            update(model).where(model.id.in_(ids)).values(invoice_id=None)
            .execution_options(synchronize_session=False)
        )


def _time_lines(invoice: Invoice, client: Client, start: date, end: date, warnings: list[str]) -> list[_LineDraft]:
    entries = _reserve_time(invoice, client, start, end)
    rates = member_rate_map({entry.project_id for entry in entries})
    hourly: list[tuple[TimeEntry, int]] = []
    fixed: dict[int, list[TimeEntry]] = {}
    unpriced: list[TimeEntry] = []
    for entry in entries:
        if entry.project.billing_method is BillingMethod.FIXED_FEE:
            fixed.setdefault(entry.project_id, []).append(entry)
            continue
        rate = resolve_rate(entry.user, entry.project, entry.task, rates)
        if rate.minor is None or (rate.source == "person" and entry.user.currency != invoice.currency):
            unpriced.append(entry)
        else:
            hourly.append((entry, rate.minor))
    if unpriced:
        _release(TimeEntry, (entry.id for entry in unpriced))
        people = sorted({f"{entry.user.name} on {entry.project.code}" for entry in unpriced})
        warnings.append(
            f"{len(unpriced)} time entries were left out because no hourly rate in {invoice.currency} is set for "
            f"{', '.join(people)}; set a member, task or project rate and create the invoice again"
        )
    return _hourly_lines(hourly, invoice.grouping) + _fixed_fee_lines(invoice, fixed, warnings)


def _hourly_group(grouping: str) -> Callable[[TimeEntry, int], tuple]:
    """Return the function that maps an entry and its rate to its line key.

    The rate is part of the key because a line has one unit price.
    """
    if grouping == "task":
        return lambda entry, rate: (entry.project.code, entry.task.name if entry.task else "", entry.task_id or 0, rate)
    if grouping == "person":
        return lambda entry, rate: (entry.project.code, entry.user.name, entry.user_id, rate)
    return lambda entry, rate: (entry.project.code, entry.work_date.isoformat(), entry.id, rate)


def _hourly_description(grouping: str, entry: TimeEntry) -> str:
    task = entry.task.name if entry.task else "General work"
    if grouping == "task":
        return f"{entry.project.label}: {task}"
    if grouping == "person":
        return f"{entry.project.label}: {entry.user.name}"
    text = f"{entry.work_date.isoformat()} {entry.user.name}, {entry.project.label}: {task}"
    return f"{text} ({entry.notes.strip()})" if entry.notes.strip() else text


def _hourly_lines(hourly: list[tuple[TimeEntry, int]], grouping: str) -> list[_LineDraft]:
    key = _hourly_group(grouping)
    drafts = []
    for group_key, members in groupby(sorted(hourly, key=lambda pair: key(*pair)), key=lambda pair: key(*pair)):
        members = list(members)
        first, rate = members[0]
        seconds = sum(entry.duration_seconds for entry, _ in members)
        drafts.append(_LineDraft(
            sort_key=(0, *group_key), kind=LineKind.TIME, description=_hourly_description(grouping, first),
            project_id=first.project_id, seconds=seconds, rate_minor=rate,
            amount_minor=time_amount_minor(seconds, rate),
        ))
    return drafts


def _fixed_fee_lines(invoice: Invoice, fixed: dict[int, list[TimeEntry]], warnings: list[str]) -> list[_LineDraft]:
    if not fixed:
        return []
    already_billed = set(db.session.scalars(
        select(InvoiceLine.project_id).join(InvoiceLine.invoice)
        .where(InvoiceLine.kind == LineKind.FIXED_FEE, InvoiceLine.project_id.in_(list(fixed)),
               Invoice.kind == InvoiceKind.INVOICE, Invoice.status != InvoiceStatus.VOID, Invoice.id != invoice.id)
    ))
    drafts = []
    for project_id, entries in fixed.items():
        project = entries[0].project
        if project.fixed_fee_minor is None:
            _release(TimeEntry, (entry.id for entry in entries))
            warnings.append(f"{project.code} is a fixed-fee project without a fee; set its fee, then invoice its "
                            f"{len(entries)} time entries")
        elif project_id in already_billed:
            warnings.append(f"the fixed fee of {project.code} is already on another invoice; its {len(entries)} "
                            "time entries in this period are attached to this draft without a charge")
        else:
            seconds = sum(entry.duration_seconds for entry in entries)
            drafts.append(_LineDraft(
                sort_key=(0, project.code, "", 0, 0), kind=LineKind.FIXED_FEE,
                description=f"{project.label}: fixed fee ({format_duration(seconds)} h of work)",
                project_id=project_id, rate_minor=project.fixed_fee_minor, amount_minor=project.fixed_fee_minor,
            ))
    return drafts


def _reserve_expenses(invoice: Invoice, client: Client, start: date, end: date) -> list[Expense]:
    eligible = (
        Expense.invoice_id.is_(None), Expense.status == ExpenseStatus.APPROVED, Expense.billable.is_(True),
        Expense.expense_date.between(start, end), Expense.project_id.in_(_billable_project_ids(client)),
    )
    db.session.execute(
        update(Expense).where(*eligible, Expense.currency == invoice.currency).values(invoice_id=invoice.id)
        .execution_options(synchronize_session=False)
    )
    return list(db.session.scalars(
        select(Expense).where(Expense.invoice_id == invoice.id)
        .options(joinedload(Expense.project), joinedload(Expense.category), joinedload(Expense.user))
        .order_by(Expense.expense_date, Expense.id)
        .execution_options(populate_existing=True)
    ))


def _count_other_currency_expenses(invoice: Invoice, client: Client, start: date, end: date) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Expense).where(
            Expense.invoice_id.is_(None), Expense.status == ExpenseStatus.APPROVED, Expense.billable.is_(True),
            Expense.expense_date.between(start, end), Expense.project_id.in_(_billable_project_ids(client)),
            Expense.currency != invoice.currency,
        )
    ) or 0


def _expense_group(grouping: str) -> Callable[[Expense], tuple]:
    if grouping == "task":
        return lambda expense: (expense.project.code, expense.category.name, expense.category_id, 0)
    if grouping == "person":
        return lambda expense: (expense.project.code, f"{expense.category.name} {expense.user.name}",
                                expense.category_id, expense.user_id)
    return lambda expense: (expense.project.code, expense.expense_date.isoformat(), expense.id, 0)


def _expense_description(grouping: str, members: list[Expense]) -> str:
    first = members[0]
    count = f"{len(members)} expense" + ("s" if len(members) != 1 else "")
    if grouping == "task":
        return f"{first.project.label}: {first.category.name} ({count})"
    if grouping == "person":
        return f"{first.project.label}: {first.category.name} of {first.user.name} ({count})"
    text = f"{first.expense_date.isoformat()} {first.category.name}, {first.project.label}"
    if first.quantity is not None and first.category.unit:
        text += f", {first.quantity.normalize():f} {first.category.unit}"
    return f"{text} ({first.notes.strip()})" if first.notes.strip() else text


def _expense_lines(invoice: Invoice, client: Client, start: date, end: date, warnings: list[str]) -> list[_LineDraft]:
    other_currency = _count_other_currency_expenses(invoice, client, start, end)
    if other_currency:
        warnings.append(f"{other_currency} expenses in a currency other than {invoice.currency} were left out; "
                        "add them as manual lines converted to the invoice currency")
    expenses = _reserve_expenses(invoice, client, start, end)
    key = _expense_group(invoice.grouping)
    drafts = []
    for group_key, members in groupby(sorted(expenses, key=key), key=key):
        members = list(members)
        net = sum(expense.amount_minor - expense.tax_minor for expense in members)
        drafts.append(_LineDraft(
            sort_key=(1, *group_key), kind=LineKind.EXPENSE,
            description=_expense_description(invoice.grouping, members),
            project_id=members[0].project_id, rate_minor=net, amount_minor=net,
        ))
    return drafts


def _to_lines(drafts: list[_LineDraft], tax_rates: list[TaxRate]) -> list[InvoiceLine]:
    lines = []
    for position, draft in enumerate(sorted(drafts, key=lambda d: d.sort_key), start=1):
        quantity = hours_from_seconds(draft.seconds) if draft.kind is LineKind.TIME else Decimal(1)
        lines.append(InvoiceLine(
            position=position, kind=draft.kind, description=draft.description[:MAX_DESCRIPTION_LENGTH],
            quantity=quantity, unit_price_minor=draft.rate_minor, amount_minor=draft.amount_minor,
            project_id=draft.project_id,
            taxes=[InvoiceLineTax(tax_rate_id=rate.id, name=rate.name, rate_basis_points=rate.rate_basis_points)
                   for rate in tax_rates],
        ))
    return lines
