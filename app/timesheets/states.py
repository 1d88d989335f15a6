"""State machines of time entries and weekly timesheets.

Each machine is a transition table from (status, action) to the next status. An action
missing from the table for the current status raises IllegalTransition, so no code path
can move an entry or a timesheet in a way the table does not list.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable

from app.errors import IllegalTransition
from app.models import EntryStatus, TimesheetStatus


class EntryAction(str, enum.Enum):
    EDIT = "edit"
    DELETE = "delete"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"
    REJECT = "reject"
    REOPEN = "reopen"


class TimesheetAction(str, enum.Enum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"
    REJECT = "reject"
    REOPEN = "reopen"


# Open and rejected entries belong to the worker: they may be edited, deleted and
# (re)submitted. Submitted entries wait for the approver; approved ones are locked
# until an approver reopens them.
ENTRY_TRANSITIONS: dict[tuple[EntryStatus, EntryAction], EntryStatus] = {
    (EntryStatus.OPEN, EntryAction.EDIT): EntryStatus.OPEN,
    (EntryStatus.OPEN, EntryAction.DELETE): EntryStatus.OPEN,
    (EntryStatus.OPEN, EntryAction.SUBMIT): EntryStatus.SUBMITTED,
    (EntryStatus.REJECTED, EntryAction.EDIT): EntryStatus.REJECTED,
    (EntryStatus.REJECTED, EntryAction.DELETE): EntryStatus.REJECTED,
    (EntryStatus.REJECTED, EntryAction.SUBMIT): EntryStatus.SUBMITTED,
    (EntryStatus.SUBMITTED, EntryAction.WITHDRAW): EntryStatus.OPEN,
    (EntryStatus.SUBMITTED, EntryAction.APPROVE): EntryStatus.APPROVED,
    (EntryStatus.SUBMITTED, EntryAction.REJECT): EntryStatus.REJECTED,
    (EntryStatus.APPROVED, EntryAction.REOPEN): EntryStatus.OPEN,
}

# A timesheet's status summarises its entries (see summarize_entries). The decisions of
# several project managers arrive one by one, so a week that was partly reopened (open)
# can still become rejected or, when nothing open is left, approved. A rejected week
# whose rejected entries the worker deleted can likewise become approved or open.
TIMESHEET_TRANSITIONS: dict[tuple[TimesheetStatus, TimesheetAction], TimesheetStatus] = {
    (TimesheetStatus.OPEN, TimesheetAction.SUBMIT): TimesheetStatus.SUBMITTED,
    (TimesheetStatus.OPEN, TimesheetAction.APPROVE): TimesheetStatus.APPROVED,
    (TimesheetStatus.OPEN, TimesheetAction.REJECT): TimesheetStatus.REJECTED,
    (TimesheetStatus.SUBMITTED, TimesheetAction.WITHDRAW): TimesheetStatus.OPEN,
    (TimesheetStatus.SUBMITTED, TimesheetAction.APPROVE): TimesheetStatus.APPROVED,
    (TimesheetStatus.SUBMITTED, TimesheetAction.REJECT): TimesheetStatus.REJECTED,
    (TimesheetStatus.SUBMITTED, TimesheetAction.REOPEN): TimesheetStatus.OPEN,
    (TimesheetStatus.REJECTED, TimesheetAction.SUBMIT): TimesheetStatus.SUBMITTED,
    (TimesheetStatus.REJECTED, TimesheetAction.APPROVE): TimesheetStatus.APPROVED,
    (TimesheetStatus.REJECTED, TimesheetAction.REOPEN): TimesheetStatus.OPEN,
    (TimesheetStatus.APPROVED, TimesheetAction.REOPEN): TimesheetStatus.OPEN,
}

# The timesheet action that leads to each summarised status.
_ACTION_TOWARDS: dict[TimesheetStatus, TimesheetAction] = {
    TimesheetStatus.OPEN: TimesheetAction.REOPEN,
    TimesheetStatus.SUBMITTED: TimesheetAction.SUBMIT,
    TimesheetStatus.APPROVED: TimesheetAction.APPROVE,
    TimesheetStatus.REJECTED: TimesheetAction.REJECT,
}


def next_entry_status(current: EntryStatus, action: EntryAction) -> EntryStatus:
    """Return the status after ``action``, or raise IllegalTransition."""
    target = ENTRY_TRANSITIONS.get((current, action))
    if target is None:
        raise IllegalTransition("time entry", current.value, action.value)
    return target


def next_timesheet_status(current: TimesheetStatus, action: TimesheetAction) -> TimesheetStatus:
    """Return the status after ``action``, or raise IllegalTransition."""
    target = TIMESHEET_TRANSITIONS.get((current, action))
    if target is None:
        raise IllegalTransition("timesheet", current.value, action.value)
    return target


def entry_allows(current: EntryStatus, action: EntryAction) -> bool:
    return (current, action) in ENTRY_TRANSITIONS


def summarize_entries(statuses: Iterable[EntryStatus]) -> TimesheetStatus | None:
    """Return the timesheet status that a week's entry statuses add up to, or None for no entries.

    Any rejected entry makes the week rejected. Otherwise any open entry makes it open,
    and otherwise any submitted entry keeps it submitted. Only a week of approved entries
    is approved.
    """
    present = set(statuses)
    if not present:
        return None
    for status, summary in (
        (EntryStatus.REJECTED, TimesheetStatus.REJECTED),
        (EntryStatus.OPEN, TimesheetStatus.OPEN),
        (EntryStatus.SUBMITTED, TimesheetStatus.SUBMITTED),
    ):
        if status in present:
            return summary
    return TimesheetStatus.APPROVED


def action_towards(target: TimesheetStatus) -> TimesheetAction:
    return _ACTION_TOWARDS[target]
