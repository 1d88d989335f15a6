"""Expense reports: grouping expenses, submission, approval per project part and reimbursement.

A report's part is the set of its expenses on one project. The project's manager
approves or rejects each part. A rejected part sends the report back to its owner,
who corrects or removes the rejected expenses and resubmits. The report is approved
when every expense in it is approved, and a person with EXPENSES_REIMBURSE then marks
it reimbursed. The look-ups these changes rely on are in app.expenses.report_queries.
"""
from __future__ import annotations

import logging
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from app import db
from app.audit.service import record, snapshot
from app.errors import ConflictError, UserError
from app.expenses.report_queries import get_own_report, get_report_for, lock_report_expenses, managed_ids_among
from app.expenses.services import clean_text, today_for
from app.expenses.states import (
    ExpenseAction,
    ReportAction,
    next_expense_status,
    next_report_status,
)
from app.models import ApprovalDecision, Expense, ExpenseReport, ExpenseStatus, Project, ReportStatus, User, utcnow
from app.projects.scoping import managed_project_ids
from app.security.permissions import Permission

log = logging.getLogger(__name__)

REPORT_AUDIT_FIELDS = ("user_id", "title", "status", "submitted_at", "decided_by_id", "decided_at", "comment",
                       "reimbursed_on", "reimbursement_reference")
MAX_TITLE_LENGTH = 200
MAX_COMMENT_LENGTH = 2000
MAX_REFERENCE_LENGTH = 200
APPROVE = "approve"
REJECT = "reject"



def create_report(user: User, title: str, expense_ids: list[int]) -> ExpenseReport:
    """Start a draft report of ``user`` holding the chosen open expenses."""
    report = ExpenseReport(user_id=user.id, title=_check_title(title), status=ReportStatus.DRAFT, comment="",
                           reimbursement_reference="")
    db.session.add(report)
    db.session.flush()
    record("expense_report.create", report, after=snapshot(report, REPORT_AUDIT_FIELDS))
    if expense_ids:
        _attach_expenses(user, report, expense_ids)
    log.info("expense report %s created by user %s", report.id, user.id)
    return report


def rename_report(user: User, report_id: int, title: str) -> ExpenseReport:
    report = get_own_report(user, report_id, for_update=True)
    next_report_status(report.status, ReportAction.EDIT)
    before = snapshot(report, REPORT_AUDIT_FIELDS)
    report.title = _check_title(title)
    if report.title != before["title"]:
        record("expense_report.update", report, before=before, after=snapshot(report, REPORT_AUDIT_FIELDS))
    return report


def add_expenses_to_report(user: User, report_id: int, expense_ids: list[int]) -> ExpenseReport:
    report = get_own_report(user, report_id, for_update=True)
    next_report_status(report.status, ReportAction.EDIT)
    if not expense_ids:
        raise UserError("expense_ids: choose at least one open expense to add", field="expense_ids")
    _attach_expenses(user, report, expense_ids)
    return report


def _attach_expenses(user: User, report: ExpenseReport, expense_ids: list[int]) -> None:
    requested_ids = sorted(set(expense_ids))
    before = [e.id for e in lock_report_expenses(report)]
    expenses = list(db.session.scalars(
        select(Expense).where(Expense.id.in_(requested_ids), Expense.user_id == user.id,
                              Expense.status == ExpenseStatus.OPEN, Expense.report_id.is_(None))
        .with_for_update().execution_options(populate_existing=True)
    ))
    missing = sorted(set(requested_ids) - {e.id for e in expenses})
    if missing:
        raise UserError(
            f"expense_ids: expense(s) {', '.join(map(str, missing))} are not your open expenses outside a report; "
            "reload the page and choose again",
            field="expense_ids",
        )
    for expense in expenses:
        expense.report_id = report.id
    db.session.flush()
    db.session.expire(report, ["expenses"])
    record("expense_report.add_expenses", report, before={"expense_ids": before},
           after={"expense_ids": sorted(before + requested_ids)})


def remove_expense_from_report(user: User, report_id: int, expense_id: int) -> ExpenseReport:
    """Take an open or rejected expense out of a draft or rejected report, which makes it open again."""
    report = get_own_report(user, report_id, for_update=True)
    next_report_status(report.status, ReportAction.EDIT)
    expense = next((e for e in lock_report_expenses(report) if e.id == expense_id), None)
    if expense is None:
        raise NotFound()
    fields = ("status", "report_id")
    before = snapshot(expense, fields)
    expense.status = next_expense_status(expense.status, ExpenseAction.REMOVE_FROM_REPORT)
    expense.report_id = None
    db.session.flush()
    db.session.expire(report, ["expenses"])
    record("expense_report.remove_expense", report, details={"expense_id": expense_id},
           before=before, after=snapshot(expense, fields))
    return report


def delete_report(user: User, report_id: int) -> None:
    """Delete a draft report. Its expenses stay, open and outside any report."""
    report = get_own_report(user, report_id, for_update=True)
    next_report_status(report.status, ReportAction.DELETE)
    expenses = lock_report_expenses(report)
    record("expense_report.delete", report, before=snapshot(report, REPORT_AUDIT_FIELDS),
           details={"expense_ids": [e.id for e in expenses]})
    for expense in expenses:
        expense.report_id = None
    db.session.flush()
    db.session.delete(report)
    db.session.flush()
    log.info("expense report %s deleted by user %s", report_id, user.id)


def submit_report(user: User, report_id: int) -> ExpenseReport:
    """Submit a draft report, or resubmit a rejected one after corrections."""
    report = get_own_report(user, report_id, for_update=True)
    action = ReportAction.RESUBMIT if report.status == ReportStatus.REJECTED else ReportAction.SUBMIT
    new_status = next_report_status(report.status, action)
    expenses = lock_report_expenses(report)
    if not expenses:
        raise UserError("this report has no expenses; add at least one before submitting it")
    before = snapshot(report, REPORT_AUDIT_FIELDS)
    for expense in expenses:
        if expense.status == ExpenseStatus.OPEN:
            expense.status = next_expense_status(expense.status, ExpenseAction.SUBMIT)
        elif expense.status == ExpenseStatus.REJECTED:
            expense.status = next_expense_status(expense.status, ExpenseAction.RESUBMIT)
    report.status = new_status
    report.submitted_at = utcnow()
    report.decided_by_id = None
    report.decided_at = None
    report.comment = ""
    db.session.flush()
    record(f"expense_report.{action.value}", report, before=before, after=snapshot(report, REPORT_AUDIT_FIELDS),
           details={"expense_ids": [e.id for e in expenses]})
    log.info("expense report %s sent for approval (%s) by user %s", report.id, action.value, user.id)
    _settle(report, expenses, decider_id=None, comment="")
    return report


def decide_part(user: User, report_id: int, project_id: int, decision: str, comment: str) -> ExpenseReport:
    """Approve or reject the waiting expenses of one project in a report, then settle the report."""
    if decision not in (APPROVE, REJECT):
        raise UserError(f"decision {decision!r} is unknown; use approve or reject", field="decision")
    report = get_report_for(user, report_id, for_update=True)
    is_manager = db.session.scalar(managed_project_ids(user).where(Project.id == project_id)) is not None
    if not user.can(Permission.EXPENSES_APPROVE.value) or not is_manager:
        raise Forbidden()
    next_report_status(report.status, ReportAction.DECIDE_PART)
    if report.user_id == user.id:
        raise UserError("you cannot approve or reject your own expense report; another approver of the project "
                        "has to decide")
    comment = clean_text(comment, field="comment", max_length=MAX_COMMENT_LENGTH, multiline=True)
    if decision == REJECT and not comment:
        raise UserError("comment: say what the person has to correct when you reject", field="comment")
    expenses = lock_report_expenses(report)
    waiting = [e for e in expenses if e.project_id == project_id and e.status == ExpenseStatus.SUBMITTED]
    if not waiting:
        raise ConflictError("this project's part of the report has no expenses waiting for a decision; "
                            "someone may have decided it already")
    action = ExpenseAction.APPROVE if decision == APPROVE else ExpenseAction.REJECT
    for expense in waiting:
        expense.status = next_expense_status(expense.status, action)
    db.session.add(ApprovalDecision(expense_report_id=report.id, project_id=project_id, approver_id=user.id,
                                    decision=decision, comment=comment))
    db.session.flush()
    record(f"expense_report.{decision}_part", report,
           details={"project_id": project_id, "expense_ids": [e.id for e in waiting], "comment": comment})
    log.info("expense report %s: part of project %s decided (%s) by user %s", report.id, project_id, decision, user.id)
    _settle(report, expenses, decider_id=user.id, comment=comment)
    return report


def _settle(report: ExpenseReport, expenses: list[Expense], *, decider_id: int | None, comment: str) -> None:
    """Move a submitted report to rejected or approved once its parts decide it."""
    if report.status != ReportStatus.SUBMITTED:
        return
    statuses = {e.status for e in expenses}
    if ExpenseStatus.REJECTED in statuses:
        action = ReportAction.REJECT
    elif statuses == {ExpenseStatus.APPROVED}:
        action = ReportAction.APPROVE
    else:
        return
    before = snapshot(report, REPORT_AUDIT_FIELDS)
    report.status = next_report_status(report.status, action)
    report.decided_at = utcnow()
    if decider_id is not None:
        report.decided_by_id = decider_id
        report.comment = comment
    db.session.flush()
    record(f"expense_report.{action.value}", report, before=before, after=snapshot(report, REPORT_AUDIT_FIELDS))
    log.info("expense report %s is now %s", report.id, report.status.value)


def reimburse_report(user: User, report_id: int, reimbursed_on: date | None, reference: str) -> ExpenseReport:
    """Mark an approved report as paid out on ``reimbursed_on`` with a payment reference."""
    report = get_report_for(user, report_id, for_update=True)
    if not user.can(Permission.EXPENSES_REIMBURSE.value):
        raise Forbidden()
    new_status = next_report_status(report.status, ReportAction.REIMBURSE)
    if reimbursed_on is None:
        raise UserError("reimbursed_on: the payment date is required, for example 2026-03-31", field="reimbursed_on")
    if reimbursed_on > today_for(user):
        raise UserError(f"reimbursed_on: {reimbursed_on.isoformat()} is in the future; enter the date the money "
                        "was paid out", field="reimbursed_on")
    approved_on = report.decided_at.astimezone(ZoneInfo(user.timezone or "UTC")).date() if report.decided_at else None
    if approved_on and reimbursed_on < approved_on:
        raise UserError(f"reimbursed_on: {reimbursed_on.isoformat()} is before the approval on "
                        f"{approved_on.isoformat()}", field="reimbursed_on")
    reference = _check_reference(reference)
    before = snapshot(report, REPORT_AUDIT_FIELDS)
    report.status = new_status
    report.reimbursed_on = reimbursed_on
    report.reimbursement_reference = reference
    db.session.flush()
    record("expense_report.reimburse", report, before=before, after=snapshot(report, REPORT_AUDIT_FIELDS))
    log.info("expense report %s marked reimbursed by user %s", report.id, user.id)
    return report


def reopen_report(user: User, report_id: int, reason: str) -> ExpenseReport:
    """Send an approved, not yet reimbursed report back to its owner for changes.

    Needs the reopen right and approval of at least one of the report's projects. The
    expenses become rejected with the reason as comment, so the owner can edit and
    resubmit them; expenses already on an invoice block the reopen.
    """
    report = get_report_for(user, report_id, for_update=True)
    expenses = lock_report_expenses(report)
    managed = managed_ids_among(user, {e.project_id for e in expenses})
    if not (user.can(Permission.TIME_REOPEN.value) and user.can(Permission.EXPENSES_APPROVE.value) and managed):
        raise Forbidden()
    new_status = next_report_status(report.status, ReportAction.REOPEN)
    reason = clean_text(reason, field="reason", max_length=MAX_COMMENT_LENGTH, multiline=True)
    if not reason:
        raise UserError("reason: say why the approved report is reopened; it is kept in the audit trail",
                        field="reason")
    invoiced = [str(e.id) for e in expenses if e.invoice_id is not None]
    if invoiced:
        raise ConflictError(f"expenses {', '.join(invoiced)} are on an invoice and cannot be reopened; "
                            "void the invoice first")
    before = snapshot(report, REPORT_AUDIT_FIELDS) | {"expenses": {e.id: e.status.value for e in expenses}}
    for expense in expenses:
        expense.status = next_expense_status(expense.status, ExpenseAction.REOPEN)
    for project_id in sorted({e.project_id for e in expenses}):
        db.session.add(ApprovalDecision(expense_report_id=report.id, project_id=project_id, approver_id=user.id,
                                        decision="reopen", comment=reason))
    report.status = new_status
    report.comment = reason
    report.decided_by_id = user.id
    report.decided_at = utcnow()
    db.session.flush()
    after = snapshot(report, REPORT_AUDIT_FIELDS) | {"expenses": {e.id: e.status.value for e in expenses}}
    record("expense_report.reopen", report, before=before, after=after, details={"reason": reason})
    log.info("expense report %s reopened by user %s", report.id, user.id)
    return report


def _check_title(title: str) -> str:
    cleaned = clean_text(title, field="title", max_length=MAX_TITLE_LENGTH)
    if not cleaned:
        raise UserError("title: a title is required, for example 'Trip to Munich, March 2026'", field="title")
    return cleaned


def _check_reference(reference: str) -> str:
    cleaned = clean_text(reference, field="reference", max_length=MAX_REFERENCE_LENGTH)
    if not cleaned:
        raise UserError("reference: the payment reference is required, for example the bank transfer id",
                        field="reference")
    return cleaned
