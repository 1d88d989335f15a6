"""The entry and timesheet state machines, over every (status, action) pair."""
import pytest

from app.errors import IllegalTransition
from app.models import EntryStatus, TimesheetStatus
from app.timesheets.states import (
    TIMESHEET_TRANSITIONS,
    EntryAction,
    TimesheetAction,
    action_towards,
    next_entry_status,
    next_timesheet_status,
    summarize_entries,
)

E, TS = EntryStatus, TimesheetStatus
EA, TA = EntryAction, TimesheetAction

# None means the move is illegal.
ENTRY_EXPECTED = {
    E.OPEN: {EA.EDIT: E.OPEN, EA.DELETE: E.OPEN, EA.SUBMIT: E.SUBMITTED, EA.WITHDRAW: None, EA.APPROVE: None,
             EA.REJECT: None, EA.REOPEN: None},
    E.SUBMITTED: {EA.EDIT: None, EA.DELETE: None, EA.SUBMIT: None, EA.WITHDRAW: E.OPEN, EA.APPROVE: E.APPROVED,
                  EA.REJECT: E.REJECTED, EA.REOPEN: None},
    E.APPROVED: {EA.EDIT: None, EA.DELETE: None, EA.SUBMIT: None, EA.WITHDRAW: None, EA.APPROVE: None,
                 EA.REJECT: None, EA.REOPEN: E.OPEN},
    E.REJECTED: {EA.EDIT: E.REJECTED, EA.DELETE: E.REJECTED, EA.SUBMIT: E.SUBMITTED, EA.WITHDRAW: None,
                 EA.APPROVE: None, EA.REJECT: None, EA.REOPEN: None},
}

TIMESHEET_EXPECTED = {
    TS.OPEN: {TA.SUBMIT: TS.SUBMITTED, TA.WITHDRAW: None, TA.APPROVE: TS.APPROVED, TA.REJECT: TS.REJECTED,
              TA.REOPEN: None},
    TS.SUBMITTED: {TA.SUBMIT: None, TA.WITHDRAW: TS.OPEN, TA.APPROVE: TS.APPROVED, TA.REJECT: TS.REJECTED,
                   TA.REOPEN: TS.OPEN},
    TS.APPROVED: {TA.SUBMIT: None, TA.WITHDRAW: None, TA.APPROVE: None, TA.REJECT: None, TA.REOPEN: TS.OPEN},
    TS.REJECTED: {TA.SUBMIT: TS.SUBMITTED, TA.WITHDRAW: None, TA.APPROVE: TS.APPROVED, TA.REJECT: None,
                  TA.REOPEN: TS.OPEN},
}


def test_expectation_tables_cover_every_pair():
    assert set(ENTRY_EXPECTED) == set(EntryStatus)
    assert all(set(row) == set(EntryAction) for row in ENTRY_EXPECTED.values())
    assert set(TIMESHEET_EXPECTED) == set(TimesheetStatus)
    assert all(set(row) == set(TimesheetAction) for row in TIMESHEET_EXPECTED.values())


@pytest.mark.parametrize(("status", "action"), [(s, a) for s in EntryStatus for a in EntryAction])
def test_entry_transition(status, action):
    expected = ENTRY_EXPECTED[status][action]
    if expected is None:
        with pytest.raises(IllegalTransition) as caught:
            next_entry_status(status, action)
        assert caught.value.message == f"cannot {action.value} a time entry that is {status.value}"
    else:
        assert next_entry_status(status, action) == expected


@pytest.mark.parametrize(("status", "action"), [(s, a) for s in TimesheetStatus for a in TimesheetAction])
def test_timesheet_transition(status, action):
    expected = TIMESHEET_EXPECTED[status][action]
    if expected is None:
        with pytest.raises(IllegalTransition) as caught:
            next_timesheet_status(status, action)
        assert caught.value.status_code == 409
    else:
        assert next_timesheet_status(status, action) == expected


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], None),
        ([E.APPROVED, E.APPROVED], TS.APPROVED),
        ([E.APPROVED, E.SUBMITTED], TS.SUBMITTED),
        ([E.APPROVED, E.OPEN, E.SUBMITTED], TS.OPEN),
        ([E.OPEN, E.REJECTED], TS.REJECTED),
        ([E.APPROVED, E.REJECTED, E.SUBMITTED], TS.REJECTED),
    ],
)
def test_summarize_entries(statuses, expected):
    assert summarize_entries(statuses) == expected


@pytest.mark.parametrize("target", list(TimesheetStatus))
def test_action_towards_reaches_target(target):
    action = action_towards(target)
    targets = {next_status for (_, act), next_status in TIMESHEET_TRANSITIONS.items() if act == action}
    assert targets == {target}
