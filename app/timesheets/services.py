"""Time entries: their visibility, and creating, changing and deleting them under the rules.

An entry is either timed or duration-only. A timed entry has an aware start and end,
stored in UTC, and its duration is the exact UTC difference, so DST changes count
correctly. A duration-only entry has a work date and seconds. The work date is the
local date of the start in the owner's time zone, so an entry crossing midnight counts
on the day it started.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden, NotFound

from app import db
from app.audit.service import record, snapshot
from app.errors import ConflictError, UserError
from app.models import EntryStatus, Project, Task, TimeEntry, User, utcnow
from app.projects.scoping import managed_project_ids
from app.security.permissions import Permission
from app.timesheets import rules, weeks
from app.timesheets.states import EntryAction, next_entry_status

log = logging.getLogger(__name__)

ENTRY_AUDIT_FIELDS = ("user_id", "project_id", "task_id", "start_at", "end_at", "duration_seconds", "timezone",
                      "work_date", "notes", "billable", "status")
MAX_NOTES_LENGTH = 5000


@dataclass(frozen=True)
class Timing:
    """The validated start, end, work date and duration of an entry."""

    start: datetime | None
    end: datetime | None
    work_date: date
    duration_seconds: int

    @property
    def timed(self) -> bool:
        return self.start is not None


def visible_entries_query(user: User) -> Select:
    """Entries ``user`` may see: their own, every entry with TIME_VIEW_ALL, and with
    TIME_APPROVE the entries of the projects they approve."""
    statement = select(TimeEntry)
    if user.can(Permission.TIME_VIEW_ALL.value):
        return statement
    conditions = [TimeEntry.user_id == user.id]
    if user.can(Permission.TIME_APPROVE.value):
        conditions.append(TimeEntry.project_id.in_(managed_project_ids(user)))
    return statement.where(or_(*conditions))


def get_entry_for(user: User, entry_id: int) -> TimeEntry:
    """Return a visible entry, else raise NotFound."""
    entry = db.session.scalar(
        visible_entries_query(user).where(TimeEntry.id == entry_id)
        .options(joinedload(TimeEntry.project), joinedload(TimeEntry.task))
    )
    if entry is None:
        raise NotFound()
    return entry


def get_own_entry(user: User, entry_id: int) -> TimeEntry:
    """Return an entry of ``user`` for changing: NotFound if invisible, Forbidden if someone else's."""
    entry = get_entry_for(user, entry_id)
    if entry.user_id != user.id:
        raise Forbidden()
    return entry


def week_entries_query(owner: User, monday: date) -> Select:
    """Build the query for the owner's entries of the week starting ``monday``, with project and task."""
    days = weeks.week_days(monday)
    return (
        select(TimeEntry)
        .where(TimeEntry.user_id == owner.id, TimeEntry.work_date >= days[0], TimeEntry.work_date <= days[-1])
        .options(joinedload(TimeEntry.project), joinedload(TimeEntry.task))
        .order_by(TimeEntry.work_date, TimeEntry.start_at, TimeEntry.id)
    )


def resolve_timing(zone_name: str, *, start: datetime | None, end: datetime | None, work_date: date | None,
                   duration_seconds: int | None) -> Timing:
    """Check the two accepted shapes (start and end, or date and duration) and return the Timing."""
    if start is None and end is None:
        if work_date is None or duration_seconds is None:
            raise UserError("duration: give a start and an end, or a date and a duration", field="duration")
        return Timing(None, None, work_date, rules.check_duration(int(duration_seconds)))
    if start is None or end is None:
        missing = "start" if start is None else "end"
        raise UserError(f"{missing}: a timed entry needs both a start and an end; "
                        "start a timer for time that is still running", field=missing)
    if work_date is not None or duration_seconds is not None:
        raise UserError("duration: give either a start and an end, or a date and a duration, not both",
                        field="duration")
    rules.check_aware(start, "start")
    rules.check_aware(end, "end")
    # Subtracting aware datetimes that share a tzinfo gives wall-clock time, so convert
    # to UTC first to count DST changes exactly.
    start, end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    if end < start:
        raise UserError(f"end: {end.isoformat()} is before the start {start.isoformat()}", field="end")
    seconds = int((end - start).total_seconds())
    rules.check_duration(seconds)
    return Timing(start, end, weeks.local_date(start, zone_name), seconds)


def _check_notes(notes: str) -> str:
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES_LENGTH:
        raise UserError(f"notes: {len(notes)} characters is too long; keep notes under {MAX_NOTES_LENGTH}",
                        field="notes")
    return notes


def create_entry(owner: User, *, actor: User | None = None, project: Project, task: Task | None = None,
                 start: datetime | None = None, end: datetime | None = None,
                 work_date: date | None = None, duration_seconds: int | None = None,
                 notes: str = "", billable: bool | None = None,
                 import_key: str | None = None, check_overlap: bool = True) -> TimeEntry:
    """Create a finished entry for ``owner`` after every rule, and audit it.

    Give aware ``start`` and ``end`` (any zone), or ``work_date`` and ``duration_seconds``.
    Raises UserError for:

    - a zero or negative duration, or an end before the start;
    - an overlap with another entry of the owner, unless the company allows overlaps or
      ``check_overlap`` is False;
    - a date in a closed period, unless the actor or owner has TIME_REOPEN;
    - a submitted or approved week;
    - a task of another project, or an archived project.

    Raises ConflictError when ``import_key`` was imported before.
    """
    actor = actor or owner
    rules.check_project_and_task(project, task)
    timing = resolve_timing(owner.timezone, start=start, end=end, work_date=work_date,
                            duration_seconds=duration_seconds)
    notes = _check_notes(notes)
    rules.check_period_open(timing.work_date, owner=owner, actor=actor)
    timesheet = rules.check_week_editable(owner, timing.work_date)
    if timing.timed and check_overlap:
        rules.check_no_overlap(owner, timing.start, timing.end)
    if import_key is not None and rules.exists_with_import_key(import_key):
        raise ConflictError(f"import key {import_key!r} was imported before; the row is skipped")
    entry = TimeEntry(
        user_id=owner.id, project_id=project.id, task_id=task.id if task else None,
        start_at=timing.start, end_at=timing.end, duration_seconds=timing.duration_seconds,
        timezone=owner.timezone, work_date=timing.work_date, notes=notes, status=EntryStatus.OPEN,
        billable=rules.default_billable(project, task) if billable is None else bool(billable),
        timesheet_id=timesheet.id if timesheet else None, import_key=import_key,
    )
    entry.project = project
    entry.task = task
    db.session.add(entry)
    record("time_entry.create", entry, after=snapshot(entry, ENTRY_AUDIT_FIELDS), actor=actor)
    log.info("time entry %s created for user %s by user %s", entry.id, owner.id, actor.id)
    return entry


def update_entry(entry: TimeEntry, *, actor: User, project: Project, task: Task | None,
                 start: datetime | None = None, end: datetime | None = None,
                 work_date: date | None = None, duration_seconds: int | None = None,
                 notes: str = "", billable: bool | None = None) -> TimeEntry:
    """Replace an open or rejected entry's project, task, time, notes and billable flag; audited.

    The same rules as create_entry apply to the new values, and the closed-period rule
    also to the old date, so no entry can be moved out of a closed period.
    """
    owner = entry.user
    _check_changeable(entry, EntryAction.EDIT, actor)
    rules.check_project_and_task(project, task)
    timing = resolve_timing(entry.timezone, start=start, end=end, work_date=work_date,
                            duration_seconds=duration_seconds)
    notes = _check_notes(notes)
    rules.check_period_open(timing.work_date, owner=owner, actor=actor)
    timesheet = rules.check_week_editable(owner, timing.work_date)
    if timing.timed:
        rules.check_no_overlap(owner, timing.start, timing.end, exclude_id=entry.id)
    before = snapshot(entry, ENTRY_AUDIT_FIELDS)
    entry.project, entry.task = project, task
    entry.start_at, entry.end_at = timing.start, timing.end
    entry.duration_seconds, entry.work_date = timing.duration_seconds, timing.work_date
    entry.notes = notes
    entry.billable = rules.default_billable(project, task) if billable is None else bool(billable)
    entry.timesheet_id = timesheet.id if timesheet else None
    after = snapshot(entry, ENTRY_AUDIT_FIELDS)
    if after != before:
        record("time_entry.update", entry, before=before, after=after, actor=actor)
        log.info("time entry %s updated by user %s", entry.id, actor.id)
    return entry


def set_entry_duration(entry: TimeEntry, seconds: int, *, actor: User) -> TimeEntry:
    """Change only the duration of a duration-only entry (the week grid's edit)."""
    return update_entry(entry, actor=actor, project=entry.project, task=entry.task, work_date=entry.work_date,
                        duration_seconds=seconds, notes=entry.notes, billable=entry.billable)


def delete_entry(entry: TimeEntry, *, actor: User) -> None:
    """Delete an open or rejected entry (or a running timer) and audit what it held."""
    _check_changeable(entry, EntryAction.DELETE, actor)
    entry_id = entry.id
    record("time_entry.delete", entry, before=snapshot(entry, ENTRY_AUDIT_FIELDS), actor=actor)
    db.session.delete(entry)
    db.session.flush()
    log.info("time entry %s deleted by user %s", entry_id, actor.id)


def _check_changeable(entry: TimeEntry, action: EntryAction, actor: User) -> None:
    next_entry_status(entry.status, action)
    if entry.invoice_id is not None:
        raise ConflictError(f"time entry {entry.id} is on an invoice and cannot be changed")
    if action == EntryAction.EDIT and entry.running:
        raise UserError("the timer of this entry is still running; stop it before editing the entry", field="end")
    rules.check_period_open(entry.work_date, owner=entry.user, actor=actor)
    rules.check_week_editable(entry.user, entry.work_date)


def start_timer(owner: User, *, project: Project, task: Task | None = None, notes: str = "",
                actor: User | None = None, now: datetime | None = None) -> TimeEntry:
    """Start a running timer for ``owner``; only one timer may run per person."""
    actor = actor or owner
    now = (now or utcnow()).replace(microsecond=0)
    rules.check_project_and_task(project, task)
    notes = _check_notes(notes)
    work_date = weeks.local_date(now, owner.timezone)
    rules.check_period_open(work_date, owner=owner, actor=actor)
    timesheet = rules.check_week_editable(owner, work_date)
    if rules.running_timer_of(owner) is not None:
        raise ConflictError("a timer is already running; stop it before starting another")
    rules.check_no_overlap(owner, now, now + timedelta(microseconds=1))
    entry = TimeEntry(
        user_id=owner.id, project_id=project.id, task_id=task.id if task else None, start_at=now,
        timezone=owner.timezone, work_date=work_date, notes=notes, status=EntryStatus.OPEN,
        billable=rules.default_billable(project, task),
        timesheet_id=timesheet.id if timesheet else None,
    )
    entry.project, entry.task = project, task
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        # The partial unique index caught a timer started by a concurrent request.
        raise ConflictError("a timer is already running; stop it before starting another") from None
    record("time_entry.start", entry, after=snapshot(entry, ENTRY_AUDIT_FIELDS), actor=actor)
    log.info("timer %s started by user %s", entry.id, owner.id)
    return entry


def stop_timer(owner: User, *, now: datetime | None = None) -> TimeEntry | None:
    """Stop the running timer at ``now``; return the finished entry, or None if it ran under a second."""
    entry = rules.running_timer_of(owner)
    if entry is None:
        raise ConflictError("no timer is running; it may have been stopped in another window")
    end = (now or utcnow()).replace(microsecond=0)
    seconds = int((end - entry.start_at).total_seconds())
    if seconds <= 0:
        delete_entry(entry, actor=owner)
        return None
    rules.check_duration(seconds, field="end")
    rules.check_no_overlap(owner, entry.start_at, end, exclude_id=entry.id)
    before = snapshot(entry, ENTRY_AUDIT_FIELDS)
    entry.end_at = end
    entry.duration_seconds = seconds
    record("time_entry.stop", entry, before=before, after=snapshot(entry, ENTRY_AUDIT_FIELDS), actor=owner)
    log.info("timer %s stopped by user %s after %s seconds", entry.id, owner.id, seconds)
    return entry


def discard_timer(owner: User) -> None:
    entry = rules.running_timer_of(owner)
    if entry is None:
        raise ConflictError("no timer is running; it may have been stopped in another window")
    delete_entry(entry, actor=owner)
