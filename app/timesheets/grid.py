"""The week timesheet grid: rows of project/task, a column per day, a duration per cell.

A cell shows the total of the row's finished entries on that day. Saving a cell changes
only the duration-only entries in it, so that the total matches what was typed. Entries
with a start and end stay as they are. They count towards the total, so the cell
accepts no value below their sum. A grid is saved all-or-nothing: one bad cell rejects
the whole save.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from app import company, db
from app.durations import format_duration, parse_duration
from app.errors import UserError
from app.models import ApprovalDecision, EntryStatus, Project, Task, TimeEntry, Timesheet, User
from app.timesheets import approval, inputs, rules, services, weeks
from app.timesheets.inputs import RowKey

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_GRID_ROWS = 100
EDITABLE_STATUSES = (EntryStatus.OPEN, EntryStatus.REJECTED)
_ROW_FIELD = re.compile(r"row-(\d{1,3})")
_ZERO = re.compile(r"0+(?:[.,:]0+)*\s*(?:h|m|min)?")


@dataclass
class Cell:
    row_index: int
    day_index: int
    day: date
    entries: list[TimeEntry] = field(default_factory=list)
    editable: bool = True
    # Why the cell is read-only, shown to the user.
    reason: str = ""
    # The value shown in the input: the formatted total, or what was typed when a save failed.
    text: str = ""
    error: str = ""

    @property
    def name(self) -> str:
        return f"cell-{self.row_index}-{self.day_index}"

    @property
    def total_seconds(self) -> int:
        return sum(entry.duration_seconds or 0 for entry in self.entries)

    @property
    def timed_seconds(self) -> int:
        return sum(entry.duration_seconds or 0 for entry in self.entries if entry.start_at is not None)

    @property
    def duration_only(self) -> list[TimeEntry]:
        return [entry for entry in self.entries if entry.start_at is None]

    @property
    def running(self) -> bool:
        return any(entry.running for entry in self.entries)


@dataclass
class Row:
    index: int
    key: RowKey
    project: Project
    task: Task | None
    cells: list[Cell]
    loggable: bool

    @property
    def label(self) -> str:
        return f"{self.project.label} / {self.task.name}" if self.task else self.project.label

    @property
    def total_seconds(self) -> int:
        return sum(cell.total_seconds for cell in self.cells)


@dataclass
class WeekGrid:
    owner: User
    monday: date
    rows: list[Row]
    timesheet: Timesheet | None
    locked_until: date | None
    projects: list[Project]
    decisions: list[ApprovalDecision]
    running: TimeEntry | None
    # Why the whole week is read-only (submitted or approved), else empty.
    frozen_reason: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def days(self) -> list[date]:
        return weeks.week_days(self.monday)

    @property
    def label(self) -> str:
        return weeks.week_label(self.monday)

    @property
    def day_totals(self) -> list[int]:
        return [sum(row.cells[index].total_seconds for row in self.rows) for index in range(weeks.DAYS_PER_WEEK)]

    @property
    def total_seconds(self) -> int:
        return sum(row.total_seconds for row in self.rows)

    @property
    def editable(self) -> bool:
        return any(cell.editable for row in self.rows for cell in row.cells)

    @property
    def status(self) -> str:
        return self.timesheet.status.value if self.timesheet else EntryStatus.OPEN.value

    @property
    def rejected_entries(self) -> list[TimeEntry]:
        return [e for row in self.rows for cell in row.cells for e in cell.entries if e.status == EntryStatus.REJECTED]

    @property
    def added_keys(self) -> list[RowKey]:
        """Rows without entries yet, which links and the add-row form carry along."""
        return [row.key for row in self.rows if not any(cell.entries for cell in row.cells)]

    def project_label(self, project_id: int | None) -> str:
        for row in self.rows:
            if row.project.id == project_id:
                return row.project.label
        return f"project {project_id}"

    @property
    def previous_week(self) -> str:
        return weeks.week_label(self.monday - timedelta(days=7))

    @property
    def next_week(self) -> str:
        return weeks.week_label(self.monday + timedelta(days=7))


def cell_label(row: Row, day_index: int, day: date) -> str:
    return f"{DAY_NAMES[day_index]} {day.isoformat()}, {row.label}"


def build_week(owner: User, monday: date, *, extra_keys: list[RowKey] = (), copy_previous: bool = False) -> WeekGrid:
    """Assemble the week's grid in a fixed number of queries, whatever the number of entries."""
    entries = list(db.session.scalars(services.week_entries_query(owner, monday)))
    projects = inputs.loggable_projects(owner)
    timesheet = rules.timesheet_for(owner, monday)
    grid = WeekGrid(owner=owner, monday=monday, rows=[], timesheet=timesheet, locked_until=company.locked_until(),
                    projects=projects, decisions=approval.decisions_for(timesheet),
                    running=rules.running_timer_of(owner))
    if timesheet is not None and timesheet.status in rules.FROZEN_WEEK_HINTS:
        grid.frozen_reason = (f"the week is {timesheet.status.value}; "
                              f"{rules.FROZEN_WEEK_HINTS[timesheet.status]}")
    keys = list(extra_keys)[:MAX_GRID_ROWS]
    if copy_previous:
        keys += _previous_week_keys(owner, monday)
    _add_rows(grid, entries, keys)
    return grid


def _previous_week_keys(owner: User, monday: date) -> list[RowKey]:
    previous = monday - timedelta(days=7)
    rows = db.session.execute(
        select(TimeEntry.project_id, TimeEntry.task_id).distinct()
        .where(TimeEntry.user_id == owner.id, TimeEntry.work_date >= previous, TimeEntry.work_date < monday)
    )
    return sorted(RowKey(project_id, task_id) for project_id, task_id in rows)


def _add_rows(grid: WeekGrid, entries: list[TimeEntry], extra_keys: list[RowKey]) -> None:
    by_key: dict[RowKey, list[TimeEntry]] = {}
    for entry in entries:
        by_key.setdefault(RowKey(entry.project_id, entry.task_id), []).append(entry)
    loggable = {project.id: project for project in grid.projects}
    ordered = sorted(by_key, key=lambda k: _sort_key(by_key[k][0].project, by_key[k][0].task))
    for key in extra_keys:
        if key in by_key or key in ordered:
            continue
        try:
            inputs.resolve_choice(grid.projects, key)
        except UserError:
            continue  # A stale link or a project closed since; nothing to show.
        ordered.append(key)
    for index, key in enumerate(ordered):
        sample = by_key.get(key)
        if sample:
            project, task = sample[0].project, sample[0].task
        else:
            project, task = inputs.resolve_choice(grid.projects, key)
        row_loggable = project.id in loggable and (task is None or not task.archived)
        cells = [Cell(index, offset, day) for offset, day in enumerate(grid.days)]
        for entry in sample or ():
            cells[(entry.work_date - grid.monday).days].entries.append(entry)
        row = Row(index, key, project, task, cells, row_loggable)
        for cell in cells:
            _set_editable(grid, row, cell)
            cell.text = format_duration(cell.total_seconds) if cell.total_seconds else ""
        grid.rows.append(row)


def _sort_key(project: Project, task: Task | None) -> tuple[str, str]:
    return project.code, task.name if task else ""


def _set_editable(grid: WeekGrid, row: Row, cell: Cell) -> None:
    reason = grid.frozen_reason
    if not reason and not row.loggable:
        reason = "the project or task is closed for new time"
    if not reason and grid.locked_until and cell.day <= grid.locked_until \
            and not rules.may_edit_closed_periods(grid.owner):
        reason = f"the period is closed up to {grid.locked_until.isoformat()}"
    if not reason and any(entry.status not in EDITABLE_STATUSES for entry in cell.entries):
        reason = "it holds submitted or approved time"
    cell.editable = not reason
    cell.reason = reason


@dataclass
class SaveResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


class GridError(UserError):
    """One or more cells could not be saved; ``grid`` carries the typed values and messages."""

    def __init__(self, grid: WeekGrid, messages: list[str]):
        count = len(messages)
        summary = f"{count} problem{'s' if count != 1 else ''} in the grid, so nothing was saved: {messages[0]}"
        super().__init__(summary, field="grid")
        self.grid = grid
        grid.errors = messages


def save_week(owner: User, monday: date, form: Mapping[str, str], *, actor: User | None = None) -> SaveResult:
    """Save the posted cells of the owner's week, all or nothing; raises GridError naming each bad cell.

    Cells missing from ``form`` (read-only cells are not posted) and cells whose text is
    unchanged are left alone.
    """
    actor = actor or owner
    posted_rows, messages = _posted_rows(form)
    grid = build_week(owner, monday, extra_keys=[key for _, key in posted_rows])
    rows_by_key = {row.key: row for row in grid.rows}
    changes: list[tuple[Row, Cell, int]] = []
    for form_index, key in posted_rows:
        row = rows_by_key.get(key)
        if row is None:
            messages.append(f"row {form_index + 1}: the project or task is not open for your time")
            continue
        for cell in row.cells:
            typed = form.get(f"cell-{form_index}-{cell.day_index}")
            if typed is None or typed.strip() == cell.text:
                continue
            cell.text = typed.strip()
            seconds = _check_cell(grid, row, cell)
            if seconds is not None:
                changes.append((row, cell, seconds))
    messages += [cell.error for row in grid.rows for cell in row.cells if cell.error]
    if messages:
        raise GridError(grid, messages)
    with db.session.begin_nested():
        return _apply(owner, actor, changes)


def _posted_rows(form: Mapping[str, str]) -> tuple[list[tuple[int, RowKey]], list[str]]:
    indexes = sorted(int(match[1]) for name in form if (match := _ROW_FIELD.fullmatch(name)))
    if len(indexes) > MAX_GRID_ROWS:
        raise UserError(f"grid: {len(indexes)} rows is more than the {MAX_GRID_ROWS} a week can hold", field="grid")
    rows, messages, seen = [], [], set()
    for index in indexes:
        try:
            key = RowKey.parse(form[f"row-{index}"], field=f"row {index + 1}")
        except UserError as exc:
            messages.append(exc.message)
            continue
        if key in seen:
            messages.append(f"row {index + 1}: the same project and task appear twice; merge the two rows")
            continue
        seen.add(key)
        rows.append((index, key))
    return rows, messages


def _check_cell(grid: WeekGrid, row: Row, cell: Cell) -> int | None:
    """Return the typed total in seconds, or None after putting a message on the cell."""
    label = cell_label(row, cell.day_index, cell.day)
    if not cell.editable:
        cell.error = f"{label}: {cell.text!r} was not saved because the cell is read-only ({cell.reason})"
        return None
    if not cell.text or _ZERO.fullmatch(cell.text.lower()):
        return 0
    try:
        seconds = parse_duration(cell.text, field=label)
    except UserError as exc:
        cell.error = exc.message
        return None
    if seconds < cell.timed_seconds:
        cell.error = (f"{label}: {cell.text!r} is less than the {format_duration(cell.timed_seconds)} logged with "
                      "start and end times; change those entries in the entry list")
        return None
    return seconds


def _apply(owner: User, actor: User, changes: list[tuple[Row, Cell, int]]) -> SaveResult:
    result = SaveResult()
    for row, cell, seconds in changes:
        target = seconds - cell.timed_seconds if seconds else 0
        existing = cell.duration_only
        if target <= 0:
            for entry in existing:
                services.delete_entry(entry, actor=actor)
                result.deleted += 1
            continue
        if not existing:
            services.create_entry(owner, actor=actor, project=row.project, task=row.task, work_date=cell.day,
                                  duration_seconds=target)
            result.created += 1
            continue
        keep, *extra = existing
        if keep.duration_seconds != target:
            services.set_entry_duration(keep, target, actor=actor)
            result.updated += 1
        for entry in extra:
            services.delete_entry(entry, actor=actor)
            result.deleted += 1
    return result
