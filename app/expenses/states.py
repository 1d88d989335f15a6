"""State machines of expense reports and of the expenses inside them.

A report moves draft -> submitted -> approved -> reimbursed. Approval is decided per
project part of a report. One rejected part sends the report back to its owner as
rejected, and resubmitting it returns it to submitted. Each table maps (status, action)
to the next status, and a missing pair raises a subclass of IllegalTransition.
"""
from __future__ import annotations

import enum

from app.errors import IllegalTransition
from app.models import ExpenseStatus, ReportStatus


class ReportAction(str, enum.Enum):
    EDIT = "edit"
    DELETE = "delete"
    SUBMIT = "submit"
    DECIDE_PART = "decide part of"
    APPROVE = "approve"
    REJECT = "reject"
    RESUBMIT = "resubmit"
    REIMBURSE = "reimburse"
    REOPEN = "reopen"


class ExpenseAction(str, enum.Enum):
    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    RESUBMIT = "resubmit"
    REMOVE_FROM_REPORT = "remove from report"
    REOPEN = "reopen"


REPORT_TRANSITIONS: dict[tuple[ReportStatus, ReportAction], ReportStatus] = {
    (ReportStatus.DRAFT, ReportAction.EDIT): ReportStatus.DRAFT,
    (ReportStatus.DRAFT, ReportAction.DELETE): ReportStatus.DRAFT,
    (ReportStatus.DRAFT, ReportAction.SUBMIT): ReportStatus.SUBMITTED,
    # A manager approves or rejects one project's part. The report stays submitted
    # until the parts settle it through APPROVE or REJECT.
    (ReportStatus.SUBMITTED, ReportAction.DECIDE_PART): ReportStatus.SUBMITTED,
    (ReportStatus.SUBMITTED, ReportAction.APPROVE): ReportStatus.APPROVED,
    (ReportStatus.SUBMITTED, ReportAction.REJECT): ReportStatus.REJECTED,
    (ReportStatus.REJECTED, ReportAction.EDIT): ReportStatus.REJECTED,
    # Parts still waiting may be decided while the owner corrects a rejected part.
    (ReportStatus.REJECTED, ReportAction.DECIDE_PART): ReportStatus.REJECTED,
    (ReportStatus.REJECTED, ReportAction.RESUBMIT): ReportStatus.SUBMITTED,
    (ReportStatus.APPROVED, ReportAction.REIMBURSE): ReportStatus.REIMBURSED,
    # An approver with the reopen right sends an approved, not yet reimbursed report back.
    (ReportStatus.APPROVED, ReportAction.REOPEN): ReportStatus.REJECTED,
}

EXPENSE_TRANSITIONS: dict[tuple[ExpenseStatus, ExpenseAction], ExpenseStatus] = {
    (ExpenseStatus.OPEN, ExpenseAction.EDIT): ExpenseStatus.OPEN,
    (ExpenseStatus.OPEN, ExpenseAction.SUBMIT): ExpenseStatus.SUBMITTED,
    (ExpenseStatus.OPEN, ExpenseAction.REMOVE_FROM_REPORT): ExpenseStatus.OPEN,
    (ExpenseStatus.SUBMITTED, ExpenseAction.APPROVE): ExpenseStatus.APPROVED,
    (ExpenseStatus.SUBMITTED, ExpenseAction.REJECT): ExpenseStatus.REJECTED,
    (ExpenseStatus.REJECTED, ExpenseAction.EDIT): ExpenseStatus.REJECTED,
    (ExpenseStatus.REJECTED, ExpenseAction.RESUBMIT): ExpenseStatus.SUBMITTED,
    (ExpenseStatus.REJECTED, ExpenseAction.REMOVE_FROM_REPORT): ExpenseStatus.OPEN,
    (ExpenseStatus.APPROVED, ExpenseAction.REOPEN): ExpenseStatus.REJECTED,
}


class IllegalReportTransition(IllegalTransition):
    """An action that an expense report's current status does not allow."""

    def __init__(self, current: ReportStatus, action: ReportAction):
        super().__init__("expense report", current.value, action.value)
        self.message = f"cannot {action.value} an expense report that is {current.value}"
        self.args = (self.message,)


class IllegalExpenseTransition(IllegalTransition):
    """An action that an expense's current status does not allow."""

    def __init__(self, current: ExpenseStatus, action: ExpenseAction):
        super().__init__("expense", current.value, action.value)
        self.message = f"cannot {action.value} an expense that is {current.value}"
        self.args = (self.message,)


def next_report_status(current: ReportStatus, action: ReportAction) -> ReportStatus:
    """Return the status after ``action``, or raise IllegalReportTransition."""
    try:
        return REPORT_TRANSITIONS[(current, action)]
    except KeyError:
        raise IllegalReportTransition(current, action) from None


def next_expense_status(current: ExpenseStatus, action: ExpenseAction) -> ExpenseStatus:
    """Return the status after ``action``, or raise IllegalExpenseTransition."""
    try:
        return EXPENSE_TRANSITIONS[(current, action)]
    except KeyError:
        raise IllegalExpenseTransition(current, action) from None


def expense_allows(current: ExpenseStatus, action: ExpenseAction) -> bool:
    return (current, action) in EXPENSE_TRANSITIONS
