"""Importing time entries from Toggl, Clockify, Harvest and Kimai timesheet exports.

Rules (the import page and docs/import-export.md describe them to users):
- Wall-clock times are read in the import's time zone. A time that does not exist
  there, because a daylight saving change skipped it, is a problem.
- A timed entry counts on the local date of its start in the owner's time zone, also
  when it crosses midnight. People created by the import get the import's time zone.
- The duration is end minus start; a duration column that differs by more than a
  minute gives a warning. Rows without times use the duration column.
- Rows of zero duration are skipped with a warning.
- Entries of one person that overlap each other are imported with a warning: the
  other tool allowed them, and refusing would make its exports unimportable.
- Each row's import key is the SHA-256 of the format and the row's normalised values
  (plus a counter for identical rows), so a row imported before is skipped.
"""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import db
from app.durations import MAX_ENTRY_SECONDS, format_duration
from app.errors import UserError
from app.imports.directory import Directory, NotFoundInTrackerBox
from app.imports.records import Problem, TimeRecord
from app.imports.summary import ImportOptions, ImportSummary
from app.models import Project, Task, TimeEntry, User
from app.timesheets.services import create_entry

# Maximum difference between a duration column and end minus start that passes without a warning.
DURATION_TOLERANCE_SECONDS = 60
KEY_QUERY_CHUNK = 500


@dataclass
class PlannedEntry:
    record: TimeRecord
    import_key: str
    start: datetime | None
    end: datetime | None
    seconds: int
    owner: User | None = None
    project: Project | None = None
    task: Task | None = None


def import_key(identity: str, occurrence: int) -> str:
    return hashlib.sha256(f"{identity}\x1f{occurrence}".encode("utf-8")).hexdigest()


def _aware(local: datetime, zone: ZoneInfo, zone_name: str) -> datetime:
    """Attach ``zone`` to a wall-clock time and return it in UTC; reject times the zone skips."""
    instant = local.replace(tzinfo=zone).astimezone(timezone.utc)
    if instant.astimezone(zone).replace(tzinfo=None) != local:
        raise ValueError(f"the time {local:%Y-%m-%d %H:%M:%S} does not exist in {zone_name} because the clocks "
                         "were put forward; check the time zone chosen for the import")
    return instant


def _plan(record: TimeRecord, key: str, zone: ZoneInfo, options: ImportOptions,
          summary: ImportSummary) -> PlannedEntry:
    start = end = None
    if record.start is not None and record.end is not None:
        start = _aware(record.start, zone, options.timezone)
        end = _aware(record.end, zone, options.timezone)
        seconds = int((end - start).total_seconds())
        listed = record.file_duration_seconds
        if listed is not None and abs(listed - seconds) > DURATION_TOLERANCE_SECONDS:
            summary.warnings.append(Problem(record.line, (
                f"the duration column says {format_duration(listed, with_seconds=True)} but the times give "
                f"{format_duration(seconds, with_seconds=True)}; the times are used")))
    else:
        seconds = record.file_duration_seconds or 0
    if seconds > MAX_ENTRY_SECONDS:
        raise ValueError(f"the entry lasts {format_duration(seconds)}, more than one week; split it in the other "
                         "tool and export again")
    return PlannedEntry(record=record, import_key=key, start=start, end=end, seconds=seconds)


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for offset in range(0, len(keys), KEY_QUERY_CHUNK):
        chunk = keys[offset:offset + KEY_QUERY_CHUNK]
        found.update(db.session.scalars(select(TimeEntry.import_key).where(TimeEntry.import_key.in_(chunk))))
    return found


def _plan_all(records: list[TimeRecord], options: ImportOptions, summary: ImportSummary) -> list[PlannedEntry]:
    zone = ZoneInfo(options.timezone)
    occurrences: Counter[str] = Counter()
    planned: list[PlannedEntry] = []
    for record in records:
        occurrences[record.identity] += 1
        key = import_key(record.identity, occurrences[record.identity])
        try:
            entry = _plan(record, key, zone, options, summary)
        except ValueError as exc:
            summary.problems.append(Problem(record.line, str(exc)))
            continue
        if entry.seconds == 0:
            summary.warnings.append(Problem(record.line, "the entry lasts zero seconds; it is skipped"))
            continue
        summary.time_rows += 1
        summary.total_seconds += entry.seconds
        planned.append(entry)
    return planned


def _resolve(entries: list[PlannedEntry], directory: Directory, summary: ImportSummary) -> None:
    """Find owner, project and task of each entry; every name that fails gives its own problem."""
    for entry in entries:
        line = entry.record.line
        entry.owner = _attempt(lambda: directory.person(entry.record), line, summary)
        entry.project = _attempt(lambda: directory.project(entry.record), line, summary)
        if entry.project is not None:
            entry.task = _attempt(lambda: directory.task(entry.project, entry.record.task), line, summary)


def _attempt(lookup, line: int, summary: ImportSummary):
    try:
        return lookup()
    except NotFoundInTrackerBox as exc:
        summary.problems.append(Problem(line, str(exc)))
    except UserError as exc:
        summary.problems.append(Problem(line, exc.message))
    return None


def _warn_overlaps(entries: list[PlannedEntry], summary: ImportSummary) -> None:
    """Add a warning for each timed entry that starts before an earlier-starting entry of its owner ends."""
    by_owner: dict[int, list[PlannedEntry]] = defaultdict(list)
    for entry in entries:
        if entry.start is not None and entry.owner is not None:
            by_owner[entry.owner.id].append(entry)
    for owned in by_owner.values():
        owned.sort(key=lambda e: (e.start, e.end))
        latest: PlannedEntry | None = None
        for entry in owned:
            if latest is not None and entry.start < latest.end:
                summary.warnings.append(Problem(entry.record.line, (
                    f"the entry overlaps the entry on line {latest.record.line} of the same person; "
                    "both are imported")))
            if latest is None or entry.end > latest.end:
                latest = entry


def _create(entries: list[PlannedEntry], directory: Directory, actor: User, summary: ImportSummary) -> None:
    for entry in entries:
        record = entry.record
        directory.ensure_member(entry.project, entry.owner)
        # A timed entry's day follows from its start in the owner's zone; only duration-only rows pass one.
        timed = entry.start is not None
        try:
            create_entry(
                entry.owner, actor=actor, project=entry.project, task=entry.task, start=entry.start, end=entry.end,
                work_date=None if timed else record.work_date, duration_seconds=None if timed else entry.seconds,
                notes=record.notes, billable=record.billable, import_key=entry.import_key, check_overlap=False,
            )
        except UserError as exc:
            summary.problems.append(Problem(record.line, exc.message))
            continue
        summary.entries_created += 1
        summary.created_seconds += entry.seconds


def import_time(records: list[TimeRecord], options: ImportOptions, actor: User, summary: ImportSummary) -> None:
    planned = _plan_all(records, options, summary)
    existing = _existing_keys([entry.import_key for entry in planned])
    new = [entry for entry in planned if entry.import_key not in existing]
    summary.entries_skipped = len(planned) - len(new)
    directory = Directory(actor, options, summary)
    _resolve(new, directory, summary)
    _warn_overlaps(new, summary)
    if summary.problems:
        return
    _create(new, directory, actor, summary)
