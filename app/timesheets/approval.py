"""Weekly submission and the approval of each project's part of a submitted week.

A worker submits a week. Then the manager of each project on it, or anyone with
TIME_APPROVE and the all-projects scope, approves or rejects that project's entries.
The timesheet's status follows its entries (see states.summarize_entries).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import NotFound

from app import db
from app.audit.service import record
from app.errors import ConflictError, UserError
from app.models import ApprovalDecision, EntryStatus, Project, TimeEntry, Timesheet, TimesheetStatus, User, utcnow
from app.pagination import Page, paginate
from app.projects.scoping import managed_project_ids, managed_projects_query
from app.timesheets import rules, weeks
from app.timesheets.services import week_entries_query
from app.timesheets.states import (
    EntryAction,
    TimesheetAction,
    action_towards,
    next_entry_status,
    next_timesheet_status,
    summarize_entries,
)

log = logging.getLogger(__name__)

MAX_COMMENT_LENGTH = 2000
PARTS_PER_PAGE = 20


@dataclass
class TimesheetPart:
    """One project's entries on one submitted week: the unit an approver decides on."""

    timesheet: Timesheet
    project: Project
    entries: list[TimeEntry]

    @property
    def total_seconds(self) -> int:
        return sum(entry.duration_seconds or 0 for entry in self.entries)

    def with_status(self, status: EntryStatus) -> list[TimeEntry]:
        return [entry for entry in self.entries if entry.status == status]


def submit_week(owner: User, monday: date, *, actor: User | None = None) -> Timesheet:
    """Submit the owner's week: its open and rejected entries become submitted."""
    actor = actor or owner
    label = weeks.week_label(monday)
    timesheet = rules.timesheet_for(owner, monday, lock=True)
    entries = list(db.session.scalars(week_entries_query(owner, monday)))
    if any(entry.running for entry in entries):
        raise UserError(f"week {label}: a timer is still running; stop it before submitting", field="week")
    if not entries:
        raise UserError(f"week {label}: there is no time to submit; log time first", field="week")
    if timesheet is None:
        timesheet = _create_timesheet(owner, monday)
    before = timesheet.status
    timesheet.status = next_timesheet_status(timesheet.status, TimesheetAction.SUBMIT)
    timesheet.submitted_at = utcnow()
    submitted = []
    for entry in entries:
        entry.timesheet_id = timesheet.id
        if entry.status in (EntryStatus.OPEN, EntryStatus.REJECTED):
            entry.status = next_entry_status(entry.status, EntryAction.SUBMIT)
            submitted.append(entry.id)
    _follow_entries(timesheet)
    record("timesheet.submit", timesheet, before={"status": before},
           after={"status": timesheet.status, "submitted_entries": submitted}, details={"week": label}, actor=actor)
    log.info("timesheet %s (%s) submitted by user %s", timesheet.id, label, actor.id)
    return timesheet


def _create_timesheet(owner: User, monday: date) -> Timesheet:
    timesheet = Timesheet(user_id=owner.id, week_start=monday, status=TimesheetStatus.OPEN)
    try:
        with db.session.begin_nested():
            db.session.add(timesheet)
    except IntegrityError:
        # Another request (a second click) created the week's timesheet first.
        raise ConflictError(f"week {weeks.week_label(monday)} was submitted in another window; "
                            "reload the page") from None
    return timesheet


def withdraw_week(owner: User, monday: date) -> Timesheet:
    """Take back a submitted week: its submitted entries become open again; approved ones stay."""
    label = weeks.week_label(monday)
    timesheet = rules.timesheet_for(owner, monday, lock=True)
    if timesheet is None:
        raise ConflictError(f"week {label} was never submitted")
    before = timesheet.status
    timesheet.status = next_timesheet_status(timesheet.status, TimesheetAction.WITHDRAW)
    withdrawn = []
    for entry in db.session.scalars(select(TimeEntry).where(TimeEntry.timesheet_id == timesheet.id)):
        if entry.status == EntryStatus.SUBMITTED:
            entry.status = next_entry_status(entry.status, EntryAction.WITHDRAW)
            withdrawn.append(entry.id)
    record("timesheet.withdraw", timesheet, before={"status": before},
           after={"status": timesheet.status, "withdrawn_entries": withdrawn}, details={"week": label}, actor=owner)
    log.info("timesheet %s (%s) withdrawn by user %s", timesheet.id, label, owner.id)
    return timesheet


def _follow_entries(timesheet: Timesheet) -> None:
    """Move the timesheet to the status its entries add up to, through the state machine."""
    db.session.flush()
    statuses = db.session.scalars(select(TimeEntry.status).where(TimeEntry.timesheet_id == timesheet.id))
    target = summarize_entries(statuses)
    if target is not None and target != timesheet.status:
        timesheet.status = next_timesheet_status(timesheet.status, action_towards(target))


def decisions_for(timesheet: Timesheet | None) -> list[ApprovalDecision]:
    if timesheet is None:
        return []
    return list(db.session.scalars(
        select(ApprovalDecision).where(ApprovalDecision.timesheet_id == timesheet.id)
        .options(joinedload(ApprovalDecision.approver)).order_by(ApprovalDecision.created_at, ApprovalDecision.id)
    ))


def _parts_query(user: User, status: EntryStatus):
    """(timesheet id, project id) pairs with entries in ``status`` on projects ``user`` approves."""
    newest_first = status == EntryStatus.APPROVED
    return (
        select(TimeEntry.timesheet_id, TimeEntry.project_id, Timesheet.week_start, func.count(TimeEntry.id))
        .join(Timesheet, Timesheet.id == TimeEntry.timesheet_id)
        .where(TimeEntry.status == status, TimeEntry.project_id.in_(managed_project_ids(user)))
        .group_by(TimeEntry.timesheet_id, TimeEntry.project_id, Timesheet.week_start)
        .order_by(Timesheet.week_start.desc() if newest_first else Timesheet.week_start,
                  TimeEntry.timesheet_id, TimeEntry.project_id)
    )


def list_parts(user: User, status: EntryStatus = EntryStatus.SUBMITTED) -> Page:
    """Load one page of the parts in ``status`` on projects ``user`` approves, in four queries."""
    page = paginate(_parts_query(user, status), per_page=PARTS_PER_PAGE, scalars=False)
    pairs = [(row[0], row[1]) for row in page.items]
    if not pairs:
        page.items = []
        return page
    timesheet_ids = {pair[0] for pair in pairs}
    entries = db.session.scalars(
        select(TimeEntry)
        .where(TimeEntry.timesheet_id.in_(timesheet_ids), TimeEntry.project_id.in_({pair[1] for pair in pairs}),
               TimeEntry.status == status)
        .options(joinedload(TimeEntry.project), joinedload(TimeEntry.task))
        .order_by(TimeEntry.work_date, TimeEntry.start_at, TimeEntry.id)
    )
    grouped: dict[tuple[int, int], list[TimeEntry]] = {pair: [] for pair in pairs}
    for entry in entries:
        key = (entry.timesheet_id, entry.project_id)
        if key in grouped:
            grouped[key].append(entry)
    timesheets = {sheet.id: sheet for sheet in db.session.scalars(
        select(Timesheet).where(Timesheet.id.in_(timesheet_ids)).options(joinedload(Timesheet.user)))}
    page.items = [TimesheetPart(timesheets[ts_id], grouped[(ts_id, pid)][0].project, grouped[(ts_id, pid)])
                  for ts_id, pid in pairs if grouped[(ts_id, pid)]]
    return page


def get_part_for(user: User, timesheet_id: int, project_id: int) -> TimesheetPart:
    """Return one project's part of a timesheet that ``user`` approves, else raise NotFound."""
    project = db.session.scalar(managed_projects_query(user).where(Project.id == project_id))
    # The row lock makes concurrent decisions on one week run one after the other, so
    # each reads the entry statuses the others committed before the week's status follows.
    timesheet = db.session.scalar(select(Timesheet).where(Timesheet.id == timesheet_id).with_for_update()
                                  .execution_options(populate_existing=True))
    if project is None or timesheet is None:
        raise NotFound()
    entries = list(db.session.scalars(
        select(TimeEntry).where(TimeEntry.timesheet_id == timesheet.id, TimeEntry.project_id == project.id)
        .options(joinedload(TimeEntry.task)).order_by(TimeEntry.work_date, TimeEntry.id)
    ))
    if not entries:
        raise NotFound()
    return TimesheetPart(timesheet, project, entries)


def _check_text(text: str, field: str, *, required: str = "") -> str:
    """Strip ``text``; ``required`` is the reason given when an empty text is rejected."""
    text = (text or "").strip()
    if required and not text:
        raise UserError(f"{field}: a {field} is required {required}", field=field)
    if len(text) > MAX_COMMENT_LENGTH:
        raise UserError(f"{field}: {len(text)} characters is too long; keep it under {MAX_COMMENT_LENGTH}",
                        field=field)
    return text


def _pending(part: TimesheetPart) -> list[TimeEntry]:
    pending = part.with_status(EntryStatus.SUBMITTED)
    if not pending:
        raise ConflictError(f"{part.project.code} on week {weeks.week_label(part.timesheet.week_start)} has no time "
                            "waiting for approval; it may have been decided or withdrawn in another window")
    return pending


def _selected(part: TimesheetPart, entry_ids: set[int] | None) -> list[TimeEntry]:
    """Return the waiting entries of ``part`` to decide on: those in ``entry_ids``, or all when it is empty."""
    pending = _pending(part)
    if not entry_ids:
        return pending
    unknown = sorted(entry_ids - {entry.id for entry in pending})
    if unknown:
        raise UserError(f"entry_ids: {', '.join(map(str, unknown))} are not waiting entries of this part; "
                        "reload the page and tick again", field="entry_ids")
    return [entry for entry in pending if entry.id in entry_ids]


def _check_not_own(actor: User, part: TimesheetPart) -> None:
    if part.timesheet.user_id == actor.id:
        raise UserError("you cannot approve or reject your own time; another approver of the project has to decide")


def approve_part(actor: User, part: TimesheetPart, comment: str = "",
                 entry_ids: set[int] | None = None) -> TimesheetPart:
    """Approve the submitted entries of one project on one week (all, or those in ``entry_ids``); they lock."""
    _check_not_own(actor, part)
    comment = _check_text(comment, "comment")
    now = utcnow()
    changes = {}
    for entry in _selected(part, entry_ids):
        before = entry.status
        entry.status = next_entry_status(entry.status, EntryAction.APPROVE)
        entry.approved_by_id, entry.approved_at, entry.rejection_comment = actor.id, now, ""
        changes[entry.id] = (before, entry.status)
    _decide(actor, part, "approve", comment, changes)
    return part


def reject_part(actor: User, part: TimesheetPart, comment: str, entry_ids: set[int] | None = None) -> TimesheetPart:
    """Send submitted entries of one project on one week (all, or those in ``entry_ids``) back with a comment.

    Rejecting only some entries, for example one day, leaves the others waiting for approval.
    """
    _check_not_own(actor, part)
    comment = _check_text(comment, "comment", required="so the worker knows what to change")
    changes = {}
    for entry in _selected(part, entry_ids):
        before = entry.status
        entry.status = next_entry_status(entry.status, EntryAction.REJECT)
        entry.rejection_comment = comment
        changes[entry.id] = (before, entry.status)
    _decide(actor, part, "reject", comment, changes)
    return part


def reopen_part(actor: User, part: TimesheetPart, reason: str, entry_ids: set[int] | None = None) -> TimesheetPart:
    """Reopen approved entries of one project on one week (all, or those in ``entry_ids``).

    Entries on an invoice cannot be reopened; the invoice has to be voided first.
    """
    reason = _check_text(reason, "reason", required="because reopening approved time is audited")
    approved = part.with_status(EntryStatus.APPROVED)
    if entry_ids:
        unknown = sorted(entry_ids - {entry.id for entry in approved})
        if unknown:
            raise UserError(f"entry_ids: {', '.join(map(str, unknown))} are not approved entries of this part",
                            field="entry_ids")
        approved = [entry for entry in approved if entry.id in entry_ids]
    if not approved:
        raise ConflictError(f"{part.project.code} on week {weeks.week_label(part.timesheet.week_start)} has no "
                            "approved time to reopen")
    invoiced = [str(entry.id) for entry in approved if entry.invoice_id is not None]
    if invoiced:
        raise ConflictError(f"time entries {', '.join(invoiced)} are on an invoice and cannot be reopened; "
                            "void the invoice first or leave them out")
    changes = {}
    for entry in approved:
        before = {"status": entry.status.value, "approved_by_id": entry.approved_by_id,
                  "approved_at": entry.approved_at.isoformat() if entry.approved_at else None}
        entry.status = next_entry_status(entry.status, EntryAction.REOPEN)
        entry.approved_by_id = entry.approved_at = None
        changes[entry.id] = (before, {"status": entry.status.value, "approved_by_id": None, "approved_at": None})
    _decide(actor, part, "reopen", reason, changes)
    return part


def _decide(actor: User, part: TimesheetPart, decision: str, comment: str, changes: dict) -> None:
    """Store the decision, let the timesheet follow its entries and audit both."""
    timesheet = part.timesheet
    status_before = timesheet.status
    db.session.add(ApprovalDecision(timesheet_id=timesheet.id, project_id=part.project.id, approver_id=actor.id,
                                    decision=decision, comment=comment))
    _follow_entries(timesheet)
    before = {"status": status_before, "entries": {str(k): v[0] for k, v in changes.items()}}
    after = {"status": timesheet.status, "entries": {str(k): v[1] for k, v in changes.items()}}
    label = weeks.week_label(timesheet.week_start)
    record(f"timesheet.{decision}", timesheet, before=before, after=after,
           details={"week": label, "project_id": part.project.id, "comment": comment}, actor=actor)
    log.info("timesheet %s (%s), project %s: %s by user %s for %s entries", timesheet.id, label, part.project.id,
             decision, actor.id, len(changes))
