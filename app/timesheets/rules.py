"""The checks every change to a time entry passes: period, week status, project, overlap."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, or_, select

from app import company, db
from app.durations import MAX_ENTRY_SECONDS, format_duration
from app.errors import UserError
from app.models import BillingMethod, EntryStatus, Project, Task, TimeEntry, Timesheet, TimesheetStatus, User, utcnow
from app.security.permissions import Permission
from app.timesheets import weeks

# Entries of a week in these timesheet states may not be added, moved or changed.
FROZEN_WEEK_HINTS = {
    TimesheetStatus.SUBMITTED: "withdraw the week's submission first",
    TimesheetStatus.APPROVED: "ask an approver to reopen the approved time first",
}


def may_edit_closed_periods(*users: User | None) -> bool:
    return any(user is not None and user.can(Permission.TIME_REOPEN.value) for user in users)


def check_period_open(day: date, *, owner: User, actor: User | None, field: str = "work_date") -> None:
    """Raise UserError when ``day`` is on or before the company's closing date."""
    locked = company.locked_until()
    if locked is None or day > locked or may_edit_closed_periods(actor, owner):
        return
    raise UserError(
        f"{field}: {day.isoformat()} is in a closed period (time is closed up to and including "
        f"{locked.isoformat()}); ask someone who may reopen closed periods to make this change",
        field=field,
    )


def timesheet_for(owner: User, day: date, *, lock: bool = False) -> Timesheet | None:
    """Return the owner's timesheet for the week of ``day``; ``lock`` keeps its row locked until commit."""
    statement = select(Timesheet).where(Timesheet.user_id == owner.id, Timesheet.week_start == weeks.week_start(day))
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(statement)


def check_week_editable(owner: User, day: date, *, field: str = "work_date") -> Timesheet | None:
    """Return the week's timesheet, or raise UserError while that week is submitted or approved."""
    timesheet = timesheet_for(owner, day)
    if timesheet is not None and timesheet.status in FROZEN_WEEK_HINTS:
        label = weeks.week_label(timesheet.week_start)
        raise UserError(
            f"{field}: the week {label} is {timesheet.status.value}; {FROZEN_WEEK_HINTS[timesheet.status]}",
            field=field,
        )
    return timesheet


def check_project_and_task(project: Project, task: Task | None) -> None:
    if project.archived:
        raise UserError(f"project: {project.label} is archived and takes no more time", field="project")
    if task is None:
        return
    if task.project_id != project.id:
        raise UserError(f"task: {task.name!r} is not a task of project {project.label}", field="task")
    if task.archived:
        raise UserError(f"task: {task.name!r} is archived; choose another task of {project.label}", field="task")


def default_billable(project: Project, task: Task | None) -> bool:
    if task is not None:
        return task.billable
    return project.billing_method != BillingMethod.NON_BILLABLE


def check_duration(seconds: int, *, field: str = "duration") -> int:
    if seconds <= 0:
        raise UserError(f"{field}: {format_duration(seconds, with_seconds=True)} is not more than zero; "
                        "enter a positive duration", field=field)
    if seconds > MAX_ENTRY_SECONDS:
        raise UserError(f"{field}: {format_duration(seconds)} is longer than one week; split it into several entries",
                        field=field)
    return seconds


def check_aware(value: datetime, field: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise UserError(f"{field}: {value.isoformat()} has no time zone; give an aware date and time", field=field)


def check_no_overlap(owner: User, start: datetime, end: datetime, *, exclude_id: int | None = None) -> None:
    """Raise UserError when [start, end) shares time with another entry of ``owner``.

    Intervals are half-open, so an entry ending at 10:00 and one starting at 10:00 do not
    overlap. A running timer counts from its start until now.
    """
    if company.get("allow_overlapping_entries"):
        return
    ends_after_start = TimeEntry.end_at > start
    if start < utcnow():
        ends_after_start = or_(ends_after_start, TimeEntry.end_at.is_(None))
    statement = (
        select(TimeEntry)
        .where(TimeEntry.user_id == owner.id, TimeEntry.start_at.is_not(None), TimeEntry.start_at < end,
               ends_after_start)
        .order_by(TimeEntry.start_at)
        .limit(1)
    )
    if exclude_id is not None:
        statement = statement.where(TimeEntry.id != exclude_id)
    other = db.session.scalar(statement)
    if other is not None:
        raise UserError(f"start: the time overlaps {describe_interval(other, owner.timezone)}; "
                        "change the start or end, or ask an administrator to allow overlapping entries",
                        field="start")


def describe_interval(entry: TimeEntry, zone_name: str) -> str:
    """Describe a timed entry in ``zone_name`` as '2026-03-24 09:00-11:00 on ACME-1'."""
    tz = weeks.zone(zone_name)
    start = entry.start_at.astimezone(tz)
    end = f"{entry.end_at.astimezone(tz):%H:%M}" if entry.end_at else "now (timer running)"
    return f"the entry {start:%Y-%m-%d %H:%M}-{end} on {entry.project.code}"


def exists_with_import_key(import_key: str) -> bool:
    return db.session.scalar(select(TimeEntry.id).where(TimeEntry.import_key == import_key)) is not None


def running_timer_of(owner: User) -> TimeEntry | None:
    return db.session.scalar(
        select(TimeEntry).where(TimeEntry.user_id == owner.id, TimeEntry.start_at.is_not(None),
                                TimeEntry.end_at.is_(None))
    )


def unapproved_count_until(day: date) -> int:
    """Count the entries on or before ``day`` that are not approved yet."""
    statement = select(func.count(TimeEntry.id)).where(TimeEntry.work_date <= day,
                                                       TimeEntry.status != EntryStatus.APPROVED)
    return db.session.scalar(statement) or 0
