"""The options of one import run and the summary it produces for the page, the CLI and JSON."""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from app.imports.reading import DELIMITER_NAMES
from app.imports.records import Problem
from app.imports.values import DateOrder


@dataclass
class ImportOptions:
    # IANA zone of the file's wall-clock times.
    timezone: str = "UTC"
    # Order of year-last dates; None lets the file decide, and an undecidable file is rejected.
    date_order: DateOrder | None = None
    create_missing: bool = False
    dry_run: bool = False
    # Name or e-mail in the file (case-insensitive) -> login of an existing user.
    user_map: dict[str, str] = field(default_factory=dict)
    # Project name or code in the file (case-insensitive) -> code of an existing project.
    project_map: dict[str, str] = field(default_factory=dict)
    # Code or name of the project for rows that name none; "" leaves such rows as problems.
    default_project: str = ""


@dataclass
class ImportSummary:
    filename: str
    format: str | None = None
    format_label: str = ""
    encoding: str = ""
    delimiter: str = ""
    date_order: str | None = None
    timezone: str = ""
    rows_read: int = 0
    entries_created: int = 0
    # Rows already imported earlier (same import key) or already present by name.
    entries_skipped: int = 0
    clients_created: int = 0
    clients_skipped: int = 0
    projects_created: int = 0
    projects_skipped: int = 0
    tasks_created: int = 0
    # Valid time rows of nonzero length in the file, and the sum of their durations.
    time_rows: int = 0
    total_seconds: int = 0
    created_seconds: int = 0
    people_created: list[dict] = field(default_factory=list)
    created_clients: list[dict] = field(default_factory=list)
    created_projects: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # Names the file uses that match nothing in TrackerBox, for the mapping choices.
    unknown_people: list[str] = field(default_factory=list)
    unknown_projects: list[str] = field(default_factory=list)
    # True when a file-wide fault stopped the import before any row was looked at.
    file_error: bool = False
    needs_date_order: bool = False
    dry_run: bool = False
    committed: bool = False
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, self.delimiter)

    def as_dict(self) -> dict:
        """Return the JSON form: the documented keys first, then the details."""
        return {
            "format": self.format,
            "rows_read": self.rows_read,
            "entries_created": self.entries_created,
            "clients_created": self.clients_created,
            "projects_created": self.projects_created,
            "problems": [p.as_dict() for p in self.problems],
            "total_seconds": self.total_seconds,
            "filename": self.filename,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "date_order": self.date_order,
            "timezone": self.timezone,
            "time_rows": self.time_rows,
            "entries_skipped": self.entries_skipped,
            "clients_skipped": self.clients_skipped,
            "projects_skipped": self.projects_skipped,
            "tasks_created": self.tasks_created,
            "created_seconds": self.created_seconds,
            "people_created": self.people_created,
            "created_clients": self.created_clients,
            "created_projects": self.created_projects,
            "warnings": [p.as_dict() for p in self.warnings],
            "unknown_people": self.unknown_people,
            "unknown_projects": self.unknown_projects,
            "dry_run": self.dry_run,
            "committed": self.committed,
        }


def group_problems(problems: list[Problem]) -> list[tuple[str, list[int]]]:
    """Group problems with the same reason, in order of first line, for a short text listing."""
    by_reason = sorted(problems, key=lambda p: (p.reason, p.line))
    groups = [(reason, [p.line for p in items]) for reason, items in groupby(by_reason, key=lambda p: p.reason)]
    return sorted(groups, key=lambda group: group[1][0])


def describe_lines(lines: list[int], limit: int | None = 8) -> str:
    """Write line numbers as 'line 4' or 'lines 2, 3, 5 and 6 more'; a ``limit`` of None lists all."""
    if len(lines) == 1:
        return f"line {lines[0]}"
    limit = len(lines) if limit is None else limit
    shown = ", ".join(str(n) for n in lines[:limit])
    rest = len(lines) - limit
    return f"lines {shown}" + (f" and {rest} more" if rest > 0 else "")
