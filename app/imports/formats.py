"""The export formats TrackerBox reads, and their detection from the header row.

Each format lists the fields it reads with the column names that carry them, in
lower case (``normalize_header``). A format matches a header when every one of its
required fields has a column. When several formats match, the one with more required
fields wins, because it is the more specific signature.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.imports.reading import ImportFileError, Table

TIME, CLIENTS, PROJECTS = "time", "clients", "projects"


@dataclass(frozen=True)
class ImportFormat:
    name: str
    label: str
    # Kind of record the rows become: TIME entries, CLIENTS or PROJECTS.
    kind: str
    # Field name -> accepted column names (normalised).
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    # Fields holding dates, read together to decide day-first or month-first.
    date_fields: tuple[str, ...] = ()

    def column_for(self, field: str, header: list[str]) -> str | None:
        for alias in self.columns.get(field, ()):
            if alias in header:
                return alias
        return None

    def matches(self, header: list[str]) -> bool:
        return all(self.column_for(field, header) for field in self.required)

    def signature(self) -> str:
        """Return the first column name of each required field, for the list of accepted formats."""
        return ", ".join(self.columns[field][0] for field in self.required)


def _columns(**fields: str | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {name: (aliases,) if isinstance(aliases, str) else aliases for name, aliases in fields.items()}


TOGGL = ImportFormat(
    name="toggl_detailed", label="Toggl Track detailed report", kind=TIME,
    columns=_columns(user="user", email="email", client="client", project="project", task="task",
                     notes="description", billable="billable", start_date="start date", start_time="start time",
                     end_date="end date", end_time="end time", duration="duration"),
    required=("user", "email", "project", "notes", "start_date", "start_time", "end_date", "end_time", "duration"),
    date_fields=("start_date", "end_date"),
)

CLOCKIFY = ImportFormat(
    name="clockify_detailed", label="Clockify detailed report", kind=TIME,
    columns=_columns(user="user", email="email", client="client", project="project", task="task",
                     notes="description", billable="billable", start_date="start date", start_time="start time",
                     end_date="end date", end_time="end time", duration=("duration (h)", "duration (decimal)")),
    required=("user", "email", "project", "notes", "start_date", "start_time", "end_date", "end_time", "duration"),
    date_fields=("start_date", "end_date"),
)

HARVEST = ImportFormat(
    name="harvest_detailed", label="Harvest detailed time report", kind=TIME,
    columns=_columns(start_date="date", client="client", project="project", project_code="project code",
                     task="task", notes="notes", duration="hours", billable="billable?",
                     first_name="first name", last_name="last name"),
    required=("start_date", "client", "project", "task", "notes", "duration", "first_name", "last_name"),
    date_fields=("start_date",),
)

KIMAI_TIMESHEETS = ImportFormat(
    name="kimai_timesheets", label="Kimai timesheet export", kind=TIME,
    columns=_columns(start_date=("date", "datum"), start_time=("from", "von", "begin", "beginn"),
                     end_time=("to", "bis", "end", "ende"), duration=("duration", "dauer"),
                     user=("user", "benutzer", "username"), email=("email", "e-mail"),
                     client=("customer", "kunde"), project=("project", "projekt"),
                     task=("activity", "tätigkeit", "aktivität"), notes=("description", "beschreibung"),
                     billable=("billable", "abrechenbar")),
    required=("start_date", "start_time", "end_time", "duration", "user", "client", "project", "task", "notes"),
    date_fields=("start_date",),
)

KIMAI_CUSTOMERS = ImportFormat(
    name="kimai_customers", label="Kimai customer export", kind=CLIENTS,
    columns=_columns(name="name", company="company name", address="address", country="country",
                     contact="contact", email="email", currency="currency", timezone="timezone",
                     tax_id=("vat-id", "vat id", "vat"), visible="visible", notes="comment"),
    required=("name", "currency", "timezone", "visible"),
)

KIMAI_PROJECTS = ImportFormat(
    name="kimai_projects", label="Kimai project export", kind=PROJECTS,
    columns=_columns(name="name", client="customer", code="order number", visible="visible", notes="comment"),
    required=("name", "client", "visible"),
)

GRANDTOTAL_DE = ImportFormat(
    name="grandtotal_de", label="GrandTotal customer export (German)", kind=CLIENTS,
    columns=_columns(name="firma", department="abteilung", title="titel", first_name="vorname",
                     middle_name="zweiter vorname", last_name="nachname", email="e-mail", street="straße",
                     zip="plz", city="ort", state="bundesland", country="land", customer_number="kundennummer",
                     tax_id="umsatzsteuer-id", notes="notiz"),
    required=("name", "first_name", "last_name", "street", "zip", "city", "customer_number"),
)

GRANDTOTAL_EN = ImportFormat(
    name="grandtotal_en", label="GrandTotal customer export (English)", kind=CLIENTS,
    columns=_columns(name="organization", department="department", title="title", first_name="first name",
                     middle_name="middle name", last_name="last name", email="e-mail", street="street",
                     zip="zip", city="city", state="state", country="country", customer_number="customer number",
                     tax_id="tax-id", notes="note"),
    required=("name", "first_name", "last_name", "street", "zip", "city", "customer_number"),
)

FORMATS: tuple[ImportFormat, ...] = (
    TOGGL, CLOCKIFY, HARVEST, KIMAI_TIMESHEETS, KIMAI_CUSTOMERS, KIMAI_PROJECTS, GRANDTOTAL_DE, GRANDTOTAL_EN,
)


def find_format(header: list[str]) -> ImportFormat | None:
    """Return the most specific format whose required columns are all in ``header``."""
    matching = [f for f in FORMATS if f.matches(header)]
    return max(matching, key=lambda f: len(f.required)) if matching else None


def detect_format(table: Table) -> ImportFormat:
    """Return the format of ``table`` or raise ImportFileError listing the accepted headers."""
    found = find_format(table.header) if table.delimiter else None
    if found is not None:
        return found
    shown = ", ".join(table.header[:12]) or "none"
    accepted = "; ".join(f"{f.label} ({f.signature()})" for f in FORMATS)
    raise ImportFileError(
        f"{table.filename} line 1: the header is not one TrackerBox can import (columns found: {shown}). "
        f"Accepted formats and the columns they need: {accepted}",
        line=1,
    )
