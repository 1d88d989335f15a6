"""Invoices: owner-scoped queries and loaders, issuing, voiding and deleting drafts.

A person handles the invoices of the clients they look after
(``app.projects.scoping.looked_after_client_ids``). Every loader here returns 404 for
an invoice outside that scope. Building a draft from approved work is in
``app.invoices.drafts`` and editing its lines in ``app.invoices.editing``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import NotFound

from app import db
from app.audit.service import record, snapshot
from app.errors import ConflictError, UserError
from app.invoices import numbering, states
from app.invoices.states import InvoiceAction
from app.invoices.totals import store_totals
from app.models import (
    Client, EntryStatus, Expense, ExpenseStatus, Invoice, InvoiceKind, InvoiceLine, InvoiceLineTax, InvoiceStatus,
    TimeEntry, User, utcnow,
)
from app.projects.scoping import looked_after_client_ids

log = logging.getLogger(__name__)

INVOICE_FIELDS = (
    "kind", "number", "status", "client_id", "currency", "issue_date", "due_date", "period_start", "period_end",
    "grouping", "discount_basis_points", "notes", "subtotal_minor", "discount_minor", "tax_minor", "total_minor",
    "paid_minor",
)
OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


def visible_invoices_query(user: User) -> Select:
    """Invoices and credit notes of the clients ``user`` looks after."""
    return select(Invoice).where(Invoice.client_id.in_(looked_after_client_ids(user)))


def get_invoice_for(user: User, invoice_id: int, *, for_update: bool = False) -> Invoice:
    """Load an invoice in ``user``'s scope, else raise NotFound.

    ``for_update`` locks the row on PostgreSQL and reloads it, so that two requests
    changing one invoice run one after the other and the second reads the first's result.
    """
    statement = visible_invoices_query(user).where(Invoice.id == invoice_id)
    if for_update:
        statement = statement.with_for_update(of=Invoice).execution_options(populate_existing=True)
    invoice = db.session.scalar(statement)
    if invoice is None:
        raise NotFound()
    return invoice


def get_invoice_page_for(user: User, invoice_id: int) -> Invoice:
    """Load an invoice with its client, lines, taxes and payments in a fixed number of queries."""
    invoice = db.session.scalar(
        visible_invoices_query(user).where(Invoice.id == invoice_id).options(
            joinedload(Invoice.client),
            joinedload(Invoice.credited_invoice),
            selectinload(Invoice.lines).selectinload(InvoiceLine.taxes),
            selectinload(Invoice.payments),
        )
    )
    if invoice is None:
        raise NotFound()
    return invoice


def credit_notes_of(invoice: Invoice) -> list[Invoice]:
    return list(db.session.scalars(
        select(Invoice).where(Invoice.credited_invoice_id == invoice.id).order_by(Invoice.id)
    ))


def billable_clients_query(user: User) -> Select:
    """Clients ``user`` may invoice: the ones they look after that are not archived."""
    return (
        select(Client)
        .where(Client.id.in_(looked_after_client_ids(user)), Client.archived.is_(False))
        .order_by(Client.name)
    )


def get_billing_client_for(user: User, client_id: int) -> Client:
    """Load a client whose invoices ``user`` looks after (archived ones included), else raise NotFound."""
    client = db.session.scalar(
        select(Client).where(Client.id == client_id, Client.id.in_(looked_after_client_ids(user)))
    )
    if client is None:
        raise NotFound()
    return client


def local_today(user: User) -> date:
    """Today's date where ``user`` is, which is the date printed on what they issue."""
    return datetime.now(ZoneInfo(user.timezone or "UTC")).date()


def is_overdue(invoice: Invoice, today: date) -> bool:
    """Due date passed and money still owed; drafts, void invoices and credit notes never are."""
    return (
        invoice.kind is InvoiceKind.INVOICE
        and invoice.status in OPEN_STATUSES
        and invoice.due_date is not None
        and invoice.due_date < today
        and invoice.balance_minor > 0
    )


def delete_draft(user: User, invoice_id: int) -> None:
    """Delete a draft and free its time entries and expenses for another invoice."""
    invoice = get_invoice_for(user, invoice_id, for_update=True)
    states.check(invoice, InvoiceAction.DELETE)
    freed = free_work(invoice)
    record("invoice.delete", invoice, before=snapshot(invoice, INVOICE_FIELDS), details=freed, actor=user)
    db.session.delete(invoice)
    db.session.flush()
    log.info("draft invoice %s deleted by user %s", invoice_id, user.id)


def free_work(invoice: Invoice) -> dict[str, int]:
    """Detach every time entry and expense from ``invoice``; return how many of each."""
    entries = db.session.execute(
        update(TimeEntry).where(TimeEntry.invoice_id == invoice.id).values(invoice_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    expenses = db.session.execute(
        update(Expense).where(Expense.invoice_id == invoice.id).values(invoice_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"time_entries_freed": entries, "expenses_freed": expenses}


def _check_work_still_approved(invoice: Invoice) -> None:
    reopened_entries = db.session.scalar(
        select(func.count()).select_from(TimeEntry)
        .where(TimeEntry.invoice_id == invoice.id, TimeEntry.status != EntryStatus.APPROVED)
    )
    reopened_expenses = db.session.scalar(
        select(func.count()).select_from(Expense)
        .where(Expense.invoice_id == invoice.id, Expense.status != ExpenseStatus.APPROVED)
    )
    if reopened_entries or reopened_expenses:
        raise ConflictError(
            f"{reopened_entries} time entries and {reopened_expenses} expenses of this draft are no longer "
            "approved; delete the draft and create it again once they are approved"
        )


def issue_invoice(user: User, invoice_id: int, *, issue_date: date | None = None) -> Invoice:
    """Give a draft the next number, its issue and due dates, and lock it against edits.

    ``issue_date`` back-dates the invoice, for example to the end of last month. It may not
    lie in the future, before the end of the billed period, more than a year back, or before
    the newest issued invoice, so that numbers stay in date order.
    """
    invoice = get_invoice_for(user, invoice_id, for_update=True)
    states.check(invoice, InvoiceAction.ISSUE)
    if not invoice.lines:
        raise UserError("the draft has no lines; add at least one line before issuing it")
    _check_work_still_approved(invoice)
    before = snapshot(invoice, INVOICE_FIELDS)
    store_totals(invoice)
    if invoice.total_minor < 0:
        raise UserError("the invoice total is negative; an invoice must not be negative, use a credit note instead")
    today = _check_issue_date(issue_date, local_today(user), invoice.period_end)
    invoice.issue_date = today
    invoice.due_date = today + timedelta(days=invoice.client.payment_terms_days)
    invoice.number = numbering.assign_number(InvoiceKind.INVOICE, today)
    invoice.issued_at = utcnow()
    states.move(invoice, InvoiceAction.ISSUE, InvoiceStatus.ISSUED)
    record("invoice.issue", invoice, before=before, after=snapshot(invoice, INVOICE_FIELDS), actor=user)
    log.info("invoice %s issued as %s by user %s", invoice.id, invoice.number, user.id)
    return invoice


MAX_BACKDATE_DAYS = 366


def _check_issue_date(issue_date: date | None, today: date, period_end: date | None) -> date:
    if issue_date is None:
        return today
    if issue_date > today:
        raise UserError(f"issue_date: {issue_date.isoformat()} is in the future; use today or an earlier date",
                        field="issue_date")
    if period_end is not None and issue_date < period_end:
        raise UserError(f"issue_date: {issue_date.isoformat()} is before the end of the billed period "
                        f"({period_end.isoformat()}); use {period_end.isoformat()} or later", field="issue_date")
    if issue_date < today - timedelta(days=MAX_BACKDATE_DAYS):
        raise UserError(f"issue_date: {issue_date.isoformat()} is more than a year ago; an invoice can be back-dated "
                        "by a year at most", field="issue_date")
    newest = db.session.scalar(
        select(func.max(Invoice.issue_date)).where(Invoice.kind == InvoiceKind.INVOICE, Invoice.issue_date.is_not(None))
    )
    if newest is not None and issue_date < newest:
        raise UserError(f"issue_date: {issue_date.isoformat()} is before the newest invoice, issued on "
                        f"{newest.isoformat()}; numbers must follow the dates, so use {newest.isoformat()} or later",
                        field="issue_date")
    return issue_date


@dataclass(frozen=True)
class VoidResult:
    invoice: Invoice
    credit_note: Invoice
    freed: dict[str, int]


def void_invoice(user: User, invoice_id: int) -> VoidResult:
    """Cancel an issued, unpaid invoice with a numbered credit note and free its work."""
    invoice = get_invoice_for(user, invoice_id, for_update=True)
    states.check(invoice, InvoiceAction.VOID)
    before = snapshot(invoice, INVOICE_FIELDS)
    credit_note = _create_credit_note(user, invoice)
    freed = free_work(invoice)
    invoice.voided_at = utcnow()
    states.move(invoice, InvoiceAction.VOID, InvoiceStatus.VOID)
    record("credit_note.create", credit_note, after=snapshot(credit_note, INVOICE_FIELDS),
           details={"credited_invoice": invoice.number}, actor=user)
    record("invoice.void", invoice, before=before, after=snapshot(invoice, INVOICE_FIELDS),
           details={"credit_note": credit_note.number, **freed}, actor=user)
    log.info("invoice %s voided by user %s with credit note %s", invoice.number, user.id, credit_note.number)
    return VoidResult(invoice, credit_note, freed)


def _create_credit_note(user: User, invoice: Invoice) -> Invoice:
    """Build and number a credit note whose lines are the invoice's lines with negated quantities and amounts."""
    today = local_today(user)
    credit_note = Invoice(
        kind=InvoiceKind.CREDIT_NOTE, client_id=invoice.client_id, currency=invoice.currency,
        status=InvoiceStatus.ISSUED, issue_date=today, period_start=invoice.period_start,
        period_end=invoice.period_end, grouping=invoice.grouping,
        discount_basis_points=invoice.discount_basis_points,
        notes=f"Cancels invoice {invoice.number} of {invoice.issue_date.isoformat()}.",
        credited_invoice_id=invoice.id, created_by_id=user.id, issued_at=utcnow(),
    )
    credit_note.lines = [_negated_line(line) for line in invoice.lines]
    store_totals(credit_note)
    credit_note.number = numbering.assign_number(InvoiceKind.CREDIT_NOTE, today)
    db.session.add(credit_note)
    db.session.flush()
    return credit_note


def _negated_line(line: InvoiceLine) -> InvoiceLine:
    return InvoiceLine(
        position=line.position, kind=line.kind, description=line.description, quantity=-line.quantity,
        unit_price_minor=line.unit_price_minor, amount_minor=-line.amount_minor, project_id=line.project_id,
        taxes=[InvoiceLineTax(tax_rate_id=t.tax_rate_id, name=t.name, rate_basis_points=t.rate_basis_points)
               for t in line.taxes],
    )
