"""The dashboard panels: a few aggregate queries per role, never a query per row."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from app import db
from app.models import (
    Client, EntryStatus, Expense, ExpenseReport, ExpenseStatus, Invoice, InvoiceKind, InvoiceStatus, Project,
    ReportStatus, TimeEntry, User, AuditEvent,
)
from app.projects.scoping import looked_after_client_ids, managed_project_ids
from app.security.permissions import Permission

OPEN_INVOICE_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


@dataclass
class WorkerPanel:
    week_start: date
    day_seconds: list[tuple[date, int]]
    week_seconds: int
    running_entry: TimeEntry | None
    rejected_entries: int
    open_entries_before_week: int
    open_expenses: int
    draft_reports: int


@dataclass
class BudgetLine:
    project: Project
    used_seconds: int
    budget_seconds: int | None

    @property
    def percent(self) -> int | None:
        if not self.budget_seconds:
            return None
        return round(100 * self.used_seconds / self.budget_seconds)


@dataclass
class ManagerPanel:
    waiting_entries: int
    waiting_people: int
    waiting_reports: int
    budgets: list[BudgetLine] = field(default_factory=list)


@dataclass
class BillingPanel:
    # (client, currency, seconds) of approved, billable, uninvoiced time per client.
    unbilled: list[tuple[Client, int, int]]
    open_invoices: dict[str, tuple[int, int]]  # currency -> (count, balance in minor units)
    overdue: list[Invoice]


def local_today(user: User) -> date:
    return datetime.now(ZoneInfo(user.timezone)).date()


def worker_panel(user: User) -> WorkerPanel:
    today = local_today(user)
    week_start = today - timedelta(days=today.weekday())
    week_end = week_start + timedelta(days=6)
    per_day = dict(db.session.execute(
        select(TimeEntry.work_date, func.coalesce(func.sum(TimeEntry.duration_seconds), 0))
        .where(TimeEntry.user_id == user.id, TimeEntry.work_date.between(week_start, week_end))
        .group_by(TimeEntry.work_date)
    ).all())
    days = [(week_start + timedelta(days=i), int(per_day.get(week_start + timedelta(days=i), 0))) for i in range(7)]
    running = db.session.scalar(
        select(TimeEntry).where(TimeEntry.user_id == user.id, TimeEntry.start_at.is_not(None),
                                TimeEntry.end_at.is_(None), TimeEntry.duration_seconds.is_(None)).limit(1)
    )
    counts = db.session.execute(select(
        select(func.count()).where(TimeEntry.user_id == user.id, TimeEntry.status == EntryStatus.REJECTED).scalar_subquery(),
        select(func.count()).where(TimeEntry.user_id == user.id, TimeEntry.status == EntryStatus.OPEN,
                                   TimeEntry.work_date < week_start).scalar_subquery(),
        select(func.count()).where(Expense.user_id == user.id,
                                   Expense.status.in_([ExpenseStatus.OPEN, ExpenseStatus.REJECTED])).scalar_subquery(),
        select(func.count()).where(ExpenseReport.user_id == user.id,
                                   ExpenseReport.status == ReportStatus.DRAFT).scalar_subquery(),
    )).one()
    return WorkerPanel(week_start, days, sum(s for _, s in days), running, *counts)


def manager_panel(user: User) -> ManagerPanel:
    projects = managed_project_ids(user)
    waiting = db.session.execute(
        select(func.count(), func.count(func.distinct(TimeEntry.user_id)))
        .where(TimeEntry.status == EntryStatus.SUBMITTED, TimeEntry.project_id.in_(projects))
    ).one()
    waiting_reports = db.session.scalar(
        select(func.count(func.distinct(Expense.report_id)))
        .where(Expense.status == ExpenseStatus.SUBMITTED, Expense.project_id.in_(projects))
    )
    used = (
        select(TimeEntry.project_id, func.coalesce(func.sum(TimeEntry.duration_seconds), 0).label("used"))
        .group_by(TimeEntry.project_id).subquery()
    )
    rows = db.session.execute(
        select(Project, func.coalesce(used.c.used, 0))
        .outerjoin(used, used.c.project_id == Project.id)
        .where(Project.id.in_(projects), Project.archived.is_(False))
        .order_by(Project.code).limit(20)
    ).all()
    budgets = [BudgetLine(project, int(seconds), project.budget_seconds) for project, seconds in rows]
    return ManagerPanel(waiting[0], waiting[1], waiting_reports or 0, budgets)


def billing_panel(user: User) -> BillingPanel:
    clients = looked_after_client_ids(user)
    unbilled_rows = db.session.execute(
        select(Client, func.sum(TimeEntry.duration_seconds))
        .join(Project, Project.client_id == Client.id)
        .join(TimeEntry, and_(TimeEntry.project_id == Project.id, TimeEntry.status == EntryStatus.APPROVED,
                              TimeEntry.billable.is_(True), TimeEntry.invoice_id.is_(None)))
        .where(Client.id.in_(clients))
        .group_by(Client.id).order_by(Client.name)
    ).all()
    open_rows = db.session.execute(
        select(Invoice.currency, func.count(), func.sum(Invoice.total_minor - Invoice.paid_minor))
        .where(Invoice.client_id.in_(clients), Invoice.kind == InvoiceKind.INVOICE,
               Invoice.status.in_(OPEN_INVOICE_STATUSES))
        .group_by(Invoice.currency)
    ).all()
    overdue = list(db.session.scalars(
        select(Invoice).join(Invoice.client)
        .where(Invoice.client_id.in_(clients), Invoice.kind == InvoiceKind.INVOICE,
               Invoice.status.in_(OPEN_INVOICE_STATUSES), Invoice.due_date < date.today())
        .order_by(Invoice.due_date).limit(20)
    ))
    return BillingPanel(
        unbilled=[(client, client.currency, int(seconds or 0)) for client, seconds in unbilled_rows],
        open_invoices={currency: (count, int(balance or 0)) for currency, count, balance in open_rows},
        overdue=overdue,
    )


def admin_panel() -> dict:
    since = datetime.now(ZoneInfo("UTC")) - timedelta(days=7)
    return {
        "users": db.session.scalar(select(func.count()).select_from(User).where(User.active.is_(True))),
        "suspended": list(db.session.scalars(select(User).where(User.suspended.is_(True)).order_by(User.login))),
        "failed_logins": db.session.scalar(
            select(func.count()).select_from(AuditEvent)
            .where(AuditEvent.action == "auth.login_failed", AuditEvent.created_at >= since)
        ),
    }


def panels_for(user: User) -> dict:
    """Build the panels that ``user``'s permissions entitle them to, keyed by panel name."""
    panels: dict = {}
    if user.can(Permission.TIME_OWN.value):
        panels["worker"] = worker_panel(user)
    if user.can(Permission.TIME_APPROVE.value) or user.can(Permission.EXPENSES_APPROVE.value):
        panels["manager"] = manager_panel(user)
    if user.can(Permission.INVOICES_VIEW.value):
        panels["billing"] = billing_panel(user)
    if user.can(Permission.USERS_MANAGE.value):
        panels["admin"] = admin_panel()
    if user.can(Permission.BACKUP_MANAGE.value):
        panels["backups"] = backup_panel()
    return panels


def backup_panel() -> list:
    """Return each backup target's status: age of the newest verified archive and any problem."""
    from flask import current_app

    from app.backups.services import target_statuses

    return target_statuses(current_app.config["TRACKERBOX"])
