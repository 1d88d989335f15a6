"""Test data for the invoice and payment tests: approved work, tax rates, drafts and issued invoices.

Time entries and expenses are written straight through the ORM in the approved state,
as the timesheet and expense services would leave them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app import db
from app.models import (
    Client, EntryStatus, Expense, ExpenseCategory, ExpenseStatus, Invoice, Project, TaxRate, TimeEntry, User,
)
from tests.conftest import acting_as
from tests.factories import make_client, make_project

PERIOD = (date(2026, 3, 1), date(2026, 3, 31))


def make_tax_rate(app, name: str, basis_points: int, *, active: bool = True) -> int:
    with app.app_context(), db.transaction():
        rate = TaxRate(name=name, rate_basis_points=basis_points, active=active)
        db.session.add(rate)
        db.session.flush()
        return rate.id


def add_entry(app, user: User, project: Project, seconds: int, work_date: date = date(2026, 3, 10), *,
              task: str | None = "Development", status: EntryStatus = EntryStatus.APPROVED, billable: bool = True,
              notes: str = "") -> int:
    with app.app_context(), db.transaction():
        current = db.session.get(Project, project.id)
        task_id = next((t.id for t in current.tasks if t.name == task), None) if task else None
        entry = TimeEntry(user_id=user.id, project_id=project.id, task_id=task_id, duration_seconds=seconds,
                          timezone="Europe/Berlin", work_date=work_date, billable=billable, status=status,
                          notes=notes)
        db.session.add(entry)
        db.session.flush()
        return entry.id


def add_expense(app, user: User, project: Project, amount_minor: int, tax_minor: int = 0,
                expense_date: date = date(2026, 3, 12), *, currency: str = "EUR", category: str = "Travel",
                status: ExpenseStatus = ExpenseStatus.APPROVED, billable: bool = True) -> int:
    with app.app_context(), db.transaction():
        category_id = db.session.scalar(select(ExpenseCategory.id).where(ExpenseCategory.name == category))
        expense = Expense(user_id=user.id, project_id=project.id, category_id=category_id, expense_date=expense_date,
                          amount_minor=amount_minor, tax_minor=tax_minor, currency=currency, billable=billable,
                          status=status)
        db.session.add(expense)
        db.session.flush()
        return expense.id


@dataclass
class World:
    """An account manager, a worker, one client with one hourly project at 100.00 an hour."""

    biller: User
    worker: User
    client: Client
    project: Project


def make_world(app, make_user, *, currency: str = "EUR", rate_minor: int = 10000, **project_fields) -> World:
    biller = make_user("anna", "Account Manager", name="Anna Biller")
    worker = make_user("wanda", "Worker", name="Wanda Worker")
    client = make_client(app, currency=currency, payment_terms_days=14)
    project = make_project(app, client, members=[worker], hourly_rate_minor=rate_minor,
                           tasks=("Development", "Design"), **project_fields)
    return World(biller, worker, client, project)


def create_draft(app, user: User, client: Client, *, grouping: str = "task", tax_rate_ids=(), discount: str = "",
                 period=PERIOD):
    """Create a draft through the service; returns (invoice id, warnings)."""
    from app.invoices.drafts import create_draft_invoice

    with acting_as(app, user):
        me = db.session.get(User, user.id)
        result = create_draft_invoice(me, client_id=client.id, period_start=period[0], period_end=period[1],
                                      grouping=grouping, tax_rate_ids=list(tax_rate_ids), discount=discount)
        return result.invoice.id, list(result.warnings)


def issue(app, user: User, invoice_id: int) -> str:
    from app.invoices.services import issue_invoice

    with acting_as(app, user):
        return issue_invoice(db.session.get(User, user.id), invoice_id).number


def load_invoice(app, invoice_id: int) -> Invoice:
    """The invoice with its lines, taxes and payments loaded, detached from any session."""
    from sqlalchemy.orm import selectinload

    from app.models import InvoiceLine

    with app.app_context():
        invoice = db.session.scalar(
            select(Invoice).where(Invoice.id == invoice_id)
            .options(selectinload(Invoice.lines).selectinload(InvoiceLine.taxes), selectinload(Invoice.payments))
        )
        db.session.expunge_all()
        return invoice


def entry_invoice_ids(app, entry_ids: list[int]) -> list[int | None]:
    with app.app_context():
        rows = dict(db.session.execute(select(TimeEntry.id, TimeEntry.invoice_id).where(TimeEntry.id.in_(entry_ids))).all())
        return [rows[entry_id] for entry_id in entry_ids]
