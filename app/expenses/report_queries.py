"""Expense report look-ups: visibility, owner-scoped loaders, parts and pending decisions.

A report's part is the set of its expenses on one project; the project's manager decides
each part. Everything here reads; the changes live in app.expenses.expense_reports.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select, tuple_
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden, NotFound

from app import db
from app.expenses.services import visible_expenses_query
from app.models import ApprovalDecision, Expense, ExpenseReport, ExpenseStatus, Project, ReportStatus, User
from app.projects.scoping import managed_project_ids
from app.security.permissions import Permission


@dataclass
class ReportFilters:
    status: ReportStatus | None = None
    mine_only: bool = False


@dataclass
class ReportPart:
    """The expenses of one project inside a report, with the decision state they share."""

    project: Project
    expenses: list[Expense]
    status: str
    totals: list[tuple[str, int]]


@dataclass
class PendingPart:
    """One (report, project) pair waiting for the signed-in manager's decision."""

    report: ExpenseReport
    project: Project
    count: int
    totals: list[tuple[str, int]] = field(default_factory=list)


def visible_reports_query(user: User) -> Select:
    """Return a query for the reports visible to ``user``.

    Everyone sees their own. Approvers see submitted reports with expenses on projects they
    manage, and reimbursers see approved and reimbursed reports.
    """
    statement = select(ExpenseReport)
    if user.can(Permission.TIME_VIEW_ALL.value) or user.can(Permission.SCOPE_ALL_PROJECTS.value):
        return statement
    conditions = [ExpenseReport.user_id == user.id]
    if user.can(Permission.EXPENSES_APPROVE.value):
        touching = select(Expense.report_id).where(Expense.project_id.in_(managed_project_ids(user)))
        conditions.append((ExpenseReport.status != ReportStatus.DRAFT) & ExpenseReport.id.in_(touching))
    if user.can(Permission.EXPENSES_REIMBURSE.value):
        conditions.append(ExpenseReport.status.in_([ReportStatus.APPROVED, ReportStatus.REIMBURSED]))
    return statement.where(or_(*conditions))


def get_report_for(user: User, report_id: int, *, for_update: bool = False) -> ExpenseReport:
    """Load a report ``user`` may see, else raise NotFound.

    ``for_update`` locks the row on PostgreSQL until the transaction ends, so that two
    decisions on one report run one after the other. SQLite needs no lock because its
    write transactions already run one at a time.
    """
    statement = visible_reports_query(user).where(ExpenseReport.id == report_id)
    if for_update:
        statement = statement.with_for_update(of=ExpenseReport).execution_options(populate_existing=True)
    report = db.session.scalar(statement)
    if report is None:
        raise NotFound()
    return report


def get_own_report(user: User, report_id: int, *, for_update: bool = False) -> ExpenseReport:
    """Load one of ``user``'s own reports; someone else's visible report raises Forbidden."""
    report = get_report_for(user, report_id, for_update=for_update)
    if report.user_id != user.id:
        raise Forbidden()
    return report


def filtered_reports_query(user: User, filters: ReportFilters) -> Select:
    statement = visible_reports_query(user).options(joinedload(ExpenseReport.user))
    if filters.status:
        statement = statement.where(ExpenseReport.status == filters.status)
    if filters.mine_only:
        statement = statement.where(ExpenseReport.user_id == user.id)
    return statement.order_by(ExpenseReport.created_at.desc(), ExpenseReport.id.desc())


def report_summaries(report_ids: list[int]) -> dict[int, dict]:
    """Expense count, totals and reimbursable totals per currency for each report, in one query."""
    summaries: dict[int, dict] = {rid: {"count": 0, "totals": [], "reimbursable": []} for rid in report_ids}
    if not report_ids:
        return summaries
    reimbursable = func.sum(Expense.amount_minor).filter(Expense.reimbursable.is_(True))
    rows = db.session.execute(
        select(Expense.report_id, Expense.currency, func.count(), func.sum(Expense.amount_minor), reimbursable)
        .where(Expense.report_id.in_(report_ids))
        .group_by(Expense.report_id, Expense.currency)
        .order_by(Expense.report_id, Expense.currency)
    )
    for report_id, currency, count, total, payable in rows:
        summary = summaries[report_id]
        summary["count"] += count
        summary["totals"].append((currency, int(total)))
        summary["reimbursable"].append((currency, int(payable or 0)))
    return summaries


def open_unreported_expenses(user: User) -> list[Expense]:
    """Return the person's open expenses that are in no report yet, oldest first."""
    return list(db.session.scalars(
        select(Expense)
        .where(Expense.user_id == user.id, Expense.status == ExpenseStatus.OPEN, Expense.report_id.is_(None))
        .options(joinedload(Expense.project), joinedload(Expense.category))
        .order_by(Expense.expense_date, Expense.id)
    ))


def report_expenses_for(user: User, report: ExpenseReport) -> list[Expense]:
    """Return the report's expenses visible to ``user``, so a manager gets only their projects' part."""
    return list(db.session.scalars(
        visible_expenses_query(user)
        .where(Expense.report_id == report.id)
        .options(joinedload(Expense.project), joinedload(Expense.category))
        .order_by(Expense.expense_date, Expense.id)
    ))


def lock_report_expenses(report: ExpenseReport) -> list[Expense]:
    """Load the report's expenses fresh from the database and lock them against concurrent edits."""
    return list(db.session.scalars(
        select(Expense).where(Expense.report_id == report.id).order_by(Expense.expense_date, Expense.id)
        .with_for_update().execution_options(populate_existing=True)
    ))


def count_report_expenses(report: ExpenseReport) -> int:
    return db.session.scalar(select(func.count()).where(Expense.report_id == report.id)) or 0


def managed_ids_among(user: User, project_ids: set[int]) -> set[int]:
    """Return the ids in ``project_ids`` whose expenses ``user`` approves."""
    if not project_ids or not user.can(Permission.EXPENSES_APPROVE.value):
        return set()
    return set(db.session.scalars(managed_project_ids(user).where(Project.id.in_(project_ids))))


def report_decisions(report: ExpenseReport) -> list[ApprovalDecision]:
    return list(db.session.scalars(
        select(ApprovalDecision)
        .where(ApprovalDecision.expense_report_id == report.id)
        .options(joinedload(ApprovalDecision.approver))
        .order_by(ApprovalDecision.created_at, ApprovalDecision.id)
    ))


def part_status(expenses: list[Expense]) -> str:
    """Return the state of one project part: open, pending, approved or rejected."""
    statuses = {e.status for e in expenses}
    if ExpenseStatus.REJECTED in statuses:
        return "rejected"
    if statuses == {ExpenseStatus.APPROVED}:
        return "approved"
    if ExpenseStatus.SUBMITTED in statuses:
        return "pending"
    return "open"


def split_into_parts(expenses: list[Expense]) -> list[ReportPart]:
    """Group expenses by project, in project code order."""
    by_project: dict[int, list[Expense]] = defaultdict(list)
    for expense in expenses:
        by_project[expense.project_id].append(expense)
    parts = []
    for group in by_project.values():
        totals: dict[str, int] = defaultdict(int)
        for expense in group:
            totals[expense.currency] += expense.amount_minor
        parts.append(ReportPart(group[0].project, group, part_status(group), sorted(totals.items())))
    return sorted(parts, key=lambda part: part.project.code)


def pending_parts_query(user: User) -> Select:
    """(report id, project id, expense count) rows waiting for ``user``'s decision, oldest submission first."""
    return (
        select(Expense.report_id, Expense.project_id, func.count().label("count"))
        .join(ExpenseReport, ExpenseReport.id == Expense.report_id)
        .where(
            Expense.status == ExpenseStatus.SUBMITTED,
            Expense.project_id.in_(managed_project_ids(user)),
            ExpenseReport.status.in_([ReportStatus.SUBMITTED, ReportStatus.REJECTED]),
            ExpenseReport.user_id != user.id,
        )
        .group_by(Expense.report_id, Expense.project_id, ExpenseReport.submitted_at)
        .order_by(ExpenseReport.submitted_at, Expense.report_id, Expense.project_id)
    )


def load_pending_parts(rows) -> list[PendingPart]:
    """Turn rows of ``pending_parts_query`` into parts with their reports, projects and totals (three queries)."""
    if not rows:
        return []
    report_ids = {row.report_id for row in rows}
    project_ids = {row.project_id for row in rows}
    reports = {r.id: r for r in db.session.scalars(
        select(ExpenseReport).where(ExpenseReport.id.in_(report_ids)).options(joinedload(ExpenseReport.user))
    )}
    projects = {p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_(project_ids)))}
    parts = {(row.report_id, row.project_id): PendingPart(reports[row.report_id], projects[row.project_id], row.count)
             for row in rows}
    totals = db.session.execute(
        select(Expense.report_id, Expense.project_id, Expense.currency, func.sum(Expense.amount_minor))
        .where(tuple_(Expense.report_id, Expense.project_id).in_(list(parts)),
               Expense.status == ExpenseStatus.SUBMITTED)
        .group_by(Expense.report_id, Expense.project_id, Expense.currency)
        .order_by(Expense.currency)
    )
    for report_id, project_id, currency, total in totals:
        parts[(report_id, project_id)].totals.append((currency, int(total)))
    return list(parts.values())
