"""The normalised records that every format's rows are turned into before importing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Problem:
    """A row that stops the import (or, for a warning, one that is imported or skipped with a note)."""

    line: int
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "reason": self.reason}


@dataclass
class TimeRecord:
    line: int
    person_name: str
    person_email: str
    client: str
    project: str
    project_code: str
    task: str
    notes: str
    billable: bool | None
    # Wall-clock times as written in the file; both empty for a duration-only entry.
    start: datetime | None
    end: datetime | None
    work_date: date
    # The duration column of the file in seconds, or None when the file has none.
    file_duration_seconds: int | None
    # Normalised values that identify the row, hashed into TimeEntry.import_key.
    identity: str


@dataclass
class ClientRecord:
    line: int
    name: str
    address: str
    contact_name: str
    contact_email: str
    # ISO 4217 code as written, or "" for the company's default currency.
    currency: str
    # IANA zone as written, or "" when the file has none.
    timezone: str
    tax_id: str
    archived: bool
    notes: str


@dataclass
class ProjectRecord:
    line: int
    name: str
    client: str
    code: str
    archived: bool
    notes: str
