"""Read models of the invoice pages: the filtered list, one invoice, and a client's account.

Each function runs a fixed number of queries whatever the number of invoices, lines or
payments shown, so the pages never run a query per row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.numbers import format_decimal
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from app import company, db
from app.invoices.services import (
    OPEN_STATUSES, credit_notes_of, get_billing_client_for, get_invoice_page_for, is_overdue, local_today,
    visible_invoices_query,
)
from app.invoices.states import InvoiceAction, is_allowed
from app.invoices.totals import Totals, compute_totals, percent_from_basis_points
from app.models import Client, Invoice, InvoiceKind, InvoiceStatus, Payment, User
from app.pagination import Page, paginate
from app.payments.services import ClientBalance, client_balances, credit_available


def format_rate(basis_points: int, locale: str) -> str:
    """Format a rate as ``7.7 %`` or ``7,7 %``, in the reader's number format."""
    return f"{format_decimal(percent_from_basis_points(basis_points), locale=locale)} %"


def format_quantity(quantity: Decimal, locale: str) -> str:
    """Format a line quantity with two to four decimals: ``1.50``, ``1.6667``."""
    return format_decimal(quantity, format="#,##0.00##", locale=locale)


@dataclass
class InvoiceFilters:
    client_id: int | None = None
    status: InvoiceStatus | None = None
    overdue: bool = False
    issued_from: date | None = None
    issued_until: date | None = None


def filtered_invoices_query(user: User, filters: InvoiceFilters) -> Select:
    statement = visible_invoices_query(user)
    if filters.client_id is not None:
        statement = statement.where(Invoice.client_id == filters.client_id)
    if filters.status is not None:
        statement = statement.where(Invoice.status == filters.status)
    if filters.overdue:
        statement = statement.where(
            Invoice.kind == InvoiceKind.INVOICE, Invoice.status.in_(OPEN_STATUSES),
            Invoice.due_date < local_today(user), Invoice.total_minor > Invoice.paid_minor,
        )
    if filters.issued_from is not None:
        statement = statement.where(Invoice.issue_date >= filters.issued_from)
    if filters.issued_until is not None:
        statement = statement.where(Invoice.issue_date <= filters.issued_until)
    # Drafts first, then the newest documents.
    return statement.options(joinedload(Invoice.client)).order_by(
        Invoice.issue_date.is_(None).desc(), Invoice.issue_date.desc(), Invoice.id.desc()
    )


@dataclass
class InvoiceListPage:
    page: Page
    balances: dict[int, list[ClientBalance]]
    overdue_ids: set[int]


def invoice_list_page(user: User, filters: InvoiceFilters) -> InvoiceListPage:
    page = paginate(filtered_invoices_query(user, filters))
    today = local_today(user)
    balances = client_balances(sorted({invoice.client_id for invoice in page.items}))
    overdue = {invoice.id for invoice in page.items if is_overdue(invoice, today)}
    return InvoiceListPage(page, balances, overdue)


@dataclass
class InvoicePage:
    invoice: Invoice
    totals: Totals
    overdue: bool
    credit_notes: list[Invoice]
    credit_available_minor: int
    client_balance: list[ClientBalance]
    allowed: dict[str, bool]
    company: dict


def invoice_page(user: User, invoice_id: int) -> InvoicePage:
    invoice = get_invoice_page_for(user, invoice_id)
    return InvoicePage(
        invoice=invoice,
        totals=compute_totals(invoice.lines, invoice.discount_basis_points),
        overdue=is_overdue(invoice, local_today(user)),
        credit_notes=credit_notes_of(invoice) if invoice.kind is InvoiceKind.INVOICE else [],
        credit_available_minor=credit_available(invoice.client_id, invoice.currency),
        client_balance=client_balances([invoice.client_id])[invoice.client_id],
        allowed={action.value: is_allowed(invoice, action) for action in InvoiceAction},
        company=company.get_all(),
    )


@dataclass
class ClientAccountPage:
    client: Client
    balances: list[ClientBalance]
    invoices: Page
    overdue_ids: set[int]
    payments: list[Payment]


def client_account_page(user: User, client_id: int) -> ClientAccountPage:
    client = get_billing_client_for(user, client_id)
    invoices = paginate(filtered_invoices_query(user, InvoiceFilters(client_id=client.id)))
    today = local_today(user)
    payments = list(db.session.scalars(
        select(Payment).where(Payment.client_id == client.id).options(joinedload(Payment.invoice))
        .order_by(Payment.payment_date.desc(), Payment.id.desc()).limit(20)
    ))
    return ClientAccountPage(
        client=client,
        balances=client_balances([client.id])[client.id],
        invoices=invoices,
        overdue_ids={invoice.id for invoice in invoices.items if is_overdue(invoice, today)},
        payments=payments,
    )

