"""The state machines of expense reports and expenses, checked for every (status, action) pair."""
import pytest

from app.errors import IllegalTransition
from app.expenses.states import (
    EXPENSE_TRANSITIONS,
    REPORT_TRANSITIONS,
    ExpenseAction,
    ReportAction,
    next_expense_status,
    next_report_status,
)
from app.models import ExpenseStatus, ReportStatus

EXPECTED_REPORT_MOVES = {
    (ReportStatus.DRAFT, ReportAction.EDIT): ReportStatus.DRAFT,
    (ReportStatus.DRAFT, ReportAction.DELETE): ReportStatus.DRAFT,
    (ReportStatus.DRAFT, ReportAction.SUBMIT): ReportStatus.SUBMITTED,
    (ReportStatus.SUBMITTED, ReportAction.DECIDE_PART): ReportStatus.SUBMITTED,
    (ReportStatus.SUBMITTED, ReportAction.APPROVE): ReportStatus.APPROVED,
    (ReportStatus.SUBMITTED, ReportAction.REJECT): ReportStatus.REJECTED,
    (ReportStatus.REJECTED, ReportAction.EDIT): ReportStatus.REJECTED,
    (ReportStatus.REJECTED, ReportAction.DECIDE_PART): ReportStatus.REJECTED,
    (ReportStatus.REJECTED, ReportAction.RESUBMIT): ReportStatus.SUBMITTED,
    (ReportStatus.APPROVED, ReportAction.REIMBURSE): ReportStatus.REIMBURSED,
    (ReportStatus.APPROVED, ReportAction.REOPEN): ReportStatus.REJECTED,
}

EXPECTED_EXPENSE_MOVES = {
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


@pytest.mark.parametrize("status", list(ReportStatus))
@pytest.mark.parametrize("action", list(ReportAction))
def test_report_transition_pair(status, action):
    expected = EXPECTED_REPORT_MOVES.get((status, action))
    if expected is None:
        with pytest.raises(IllegalTransition) as caught:
            next_report_status(status, action)
        assert caught.value.message == f"cannot {action.value} an expense report that is {status.value}"
        assert caught.value.status_code == 409
    else:
        assert next_report_status(status, action) == expected


@pytest.mark.parametrize("status", list(ExpenseStatus))
@pytest.mark.parametrize("action", list(ExpenseAction))
def test_expense_transition_pair(status, action):
    expected = EXPECTED_EXPENSE_MOVES.get((status, action))
    if expected is None:
        with pytest.raises(IllegalTransition) as caught:
            next_expense_status(status, action)
        assert caught.value.message == f"cannot {action.value} an expense that is {status.value}"
    else:
        assert next_expense_status(status, action) == expected


def test_transition_tables_match_expectations():
    assert REPORT_TRANSITIONS == EXPECTED_REPORT_MOVES
    assert EXPENSE_TRANSITIONS == EXPECTED_EXPENSE_MOVES


def test_reimbursed_report_is_final():
    for action in ReportAction:
        with pytest.raises(IllegalTransition):
            next_report_status(ReportStatus.REIMBURSED, action)


def test_approved_expense_is_locked():
    for action in ExpenseAction:
        if action == ExpenseAction.REOPEN:
            continue
        with pytest.raises(IllegalTransition):
            next_expense_status(ExpenseStatus.APPROVED, action)
    assert next_expense_status(ExpenseStatus.APPROVED, ExpenseAction.REOPEN) == ExpenseStatus.REJECTED
