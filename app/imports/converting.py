"""Turn the rows of a detected format into TimeRecord, ClientRecord and ProjectRecord values.

Every converter raises ValueError with a message naming the cell at fault; the
caller adds the line number. Wall-clock times stay naive here, and the service
puts them in the import's time zone.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from app.imports.formats import ImportFormat
from app.imports.reading import Row
from app.imports.records import ClientRecord, ProjectRecord, TimeRecord
from app.imports.values import DateOrder, parse_date, parse_duration, parse_time, parse_yes_no

_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)


class RowReader:
    """The values of one row by field name, for a format and the header of its file."""

    def __init__(self, fmt: ImportFormat, header: list[str]):
        self.format = fmt
        self.columns = {field: fmt.column_for(field, header) for field in fmt.columns}

    def get(self, row: Row, field: str) -> str:
        column = self.columns.get(field)
        return row.values.get(column, "").strip() if column else ""

    def date_values(self, rows: list[Row]) -> list[tuple[int, str]]:
        """Return every non-empty date cell of ``rows`` with its line, for deciding the date order."""
        return [(row.line, value) for row in rows for field in self.format.date_fields
                if (value := self.get(row, field))]


def _join_lines(*parts: str) -> str:
    lines: list[str] = []
    for part in parts:
        lines.extend(line.strip() for line in part.replace("\r\n", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def html_breaks_to_text(value: str) -> str:
    """Turn ``<br>`` tags into line breaks and drop the blank lines they leave."""
    return _join_lines(_BREAK_TAG.sub("\n", value))


def _person_name(reader: RowReader, row: Row) -> str:
    name = reader.get(row, "user")
    if name:
        return name
    return " ".join(p for p in (reader.get(row, "first_name"), reader.get(row, "last_name")) if p)


def _instants(reader: RowReader, row: Row, day: date, order: DateOrder) -> tuple[datetime | None, datetime | None]:
    start_raw, end_raw = reader.get(row, "start_time"), reader.get(row, "end_time")
    if not start_raw and not end_raw:
        return None, None
    if not start_raw or not end_raw:
        missing = "start time" if not start_raw else "end time"
        raise ValueError(f"the {missing} is empty; the entry may still have been running when the file was exported")
    start = datetime.combine(day, parse_time(start_raw))
    end_date_raw = reader.get(row, "end_date")
    end = datetime.combine(parse_date(end_date_raw, order) if end_date_raw else day, parse_time(end_raw))
    if not end_date_raw and end <= start:
        # Formats without an end date write an entry past midnight as, say, 22:00 to 01:30.
        end += timedelta(days=1)
    if end < start:
        raise ValueError(f"the entry ends ({end:%Y-%m-%d %H:%M:%S}) before it starts ({start:%Y-%m-%d %H:%M:%S})")
    return start, end


def convert_time_row(reader: RowReader, row: Row, order: DateOrder) -> TimeRecord:
    day_raw = reader.get(row, "start_date")
    if not day_raw:
        raise ValueError("the date is empty")
    day = parse_date(day_raw, order)
    start, end = _instants(reader, row, day, order)
    duration_raw = reader.get(row, "duration")
    file_duration = parse_duration(duration_raw) if duration_raw else None
    if start is None and file_duration is None:
        raise ValueError("the row has neither start and end times nor a duration")
    billable_raw = reader.get(row, "billable")
    try:
        billable = parse_yes_no(billable_raw)
    except ValueError:
        raise ValueError(f"billable value {billable_raw!r} is not yes or no") from None
    record = TimeRecord(
        line=row.line, person_name=_person_name(reader, row), person_email=reader.get(row, "email"),
        client=reader.get(row, "client"), project=reader.get(row, "project"),
        project_code=reader.get(row, "project_code"), task=reader.get(row, "task"),
        notes=_join_lines(reader.get(row, "notes")), billable=billable, start=start, end=end, work_date=day,
        file_duration_seconds=file_duration, identity="",
    )
    if not record.person_name and not record.person_email:
        raise ValueError("the person is empty; the row names no user")
    record.identity = _time_identity(reader.format.name, record)
    return record


def _time_identity(format_name: str, record: TimeRecord) -> str:
    when = (
        [record.start.isoformat(), record.end.isoformat()] if record.start and record.end
        else [record.work_date.isoformat(), str(record.file_duration_seconds)]
    )
    person = (record.person_email or record.person_name).casefold()
    parts = [format_name, person, record.client.casefold(), record.project.casefold(),
             record.project_code.casefold(), record.task.casefold(), record.notes, *when]
    return "\x1f".join(parts)


def _visible(reader: RowReader, row: Row) -> bool:
    raw = reader.get(row, "visible")
    try:
        visible = parse_yes_no(raw)
    except ValueError:
        raise ValueError(f"visible value {raw!r} is not 1 or 0") from None
    return True if visible is None else visible


def convert_kimai_customer(reader: RowReader, row: Row) -> ClientRecord:
    name = reader.get(row, "name")
    if not name:
        raise ValueError("the customer name is empty")
    company = reader.get(row, "company")
    address = _join_lines(company if company and company != name else "", reader.get(row, "address"),
                          reader.get(row, "country"))
    return ClientRecord(
        line=row.line, name=name, address=address, contact_name=reader.get(row, "contact"),
        contact_email=reader.get(row, "email"), currency=reader.get(row, "currency"),
        timezone=reader.get(row, "timezone"), tax_id=reader.get(row, "tax_id"),
        archived=not _visible(reader, row), notes=_join_lines(reader.get(row, "notes")),
    )


def convert_grandtotal_customer(reader: RowReader, row: Row) -> ClientRecord:
    contact = " ".join(p for p in (reader.get(row, f) for f in ("title", "first_name", "middle_name", "last_name")) if p)
    name = reader.get(row, "name") or contact
    if not name:
        raise ValueError("both the organisation and the person's name are empty")
    town = " ".join(p for p in (reader.get(row, "zip"), reader.get(row, "city")) if p)
    address = _join_lines(reader.get(row, "department"), reader.get(row, "street"), town,
                          reader.get(row, "state"), reader.get(row, "country"))
    return ClientRecord(
        line=row.line, name=name, address=address, contact_name=contact if reader.get(row, "name") else "",
        contact_email=reader.get(row, "email"), currency="", timezone="", tax_id=reader.get(row, "tax_id"),
        archived=False, notes=html_breaks_to_text(reader.get(row, "notes")),
    )


def convert_kimai_project(reader: RowReader, row: Row) -> ProjectRecord:
    name = reader.get(row, "name")
    if not name:
        raise ValueError("the project name is empty")
    client = reader.get(row, "client")
    if not client:
        raise ValueError(f"project {name!r} names no customer")
    return ProjectRecord(line=row.line, name=name, client=client, code=reader.get(row, "code"),
                         archived=not _visible(reader, row), notes=_join_lines(reader.get(row, "notes")))


CLIENT_CONVERTERS = {
    "kimai_customers": convert_kimai_customer,
    "grandtotal_de": convert_grandtotal_customer,
    "grandtotal_en": convert_grandtotal_customer,
}
PROJECT_CONVERTERS = {"kimai_projects": convert_kimai_project}
