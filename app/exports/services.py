"""CSV exports of time entries, expenses, invoices and payments, scoped to what a person may see.

Who may export what:
- Everyone may export their own time entries and expenses.
- With data.export, time entries and expenses cover everything the person may see
  (their own, the projects they approve, or all with the view-all rights).
- Invoices and payments need data.export and invoices.view, and cover the clients the
  person looks after.
Every export is audited as "data.export" with its filters and row count.
"""
from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from app import db
from app.audit.service import record
from app.errors import UserError
from app.expenses.services import visible_expenses_query
from app.exports.columns import KINDS, escape_cell
from app.invoices.services import visible_invoices_query
from app.models import (
    Client,
    EntryStatus,
    Expense,
    ExpenseStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    Project,
    TimeEntry,
    User,
)
from app.payments.services import visible_payments_query
from app.projects.scoping import visible_clients_query, visible_projects_query
from app.security.permissions import Permission
from app.timesheets.services import visible_entries_query
from app.inputs import parse_optional_date

log = logging.getLogger(__name__)

OWN_KINDS = ("time", "expenses")
STATUSES: dict[str, tuple[str, ...]] = {
    "time": tuple(s.value for s in EntryStatus),
    "expenses": tuple(s.value for s in ExpenseStatus),
    "invoices": tuple(s.value for s in InvoiceStatus),
    "payments": (),
}
# Rows fetched from the database per round trip while streaming.
STREAM_BATCH_ROWS = 500
# Characters of CSV collected before a chunk is sent to the client.
STREAM_CHUNK_CHARS = 64 * 1024


@dataclass(frozen=True)
class ExportFilters:
    kind: str = "time"
    date_from: date | None = None
    date_to: date | None = None
    client_id: int | None = None
    project_id: int | None = None
    user_id: int | None = None
    status: str | None = None


def may_export_all(user: User) -> bool:
    return user.can(Permission.DATA_EXPORT.value)


def allowed_kinds(user: User) -> list[str]:
    """Return the export kinds ``user`` may choose, in the order the page lists them."""
    kinds = list(OWN_KINDS)
    if may_export_all(user) and user.can(Permission.INVOICES_VIEW.value):
        kinds += ["invoices", "payments"]
    return kinds


def _parse_id(text: str, field: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise UserError(f"{field}: {text!r} is not a valid choice; pick one from the list", field=field)
    return int(text)


def parse_filters(user: User, values: Mapping[str, str]) -> ExportFilters:
    """Check the filter fields of the export form; raise UserError naming the first invalid field."""
    kind = (values.get("kind") or "time").strip()
    if kind not in KINDS:
        raise UserError(f"kind: {kind!r} is not one of {', '.join(KINDS)}", field="kind")
    if kind not in allowed_kinds(user):
        raise UserError(f"kind: you may not export {KINDS[kind].label.lower()}; you may export "
                        f"{', '.join(allowed_kinds(user))}", field="kind")
    filters = ExportFilters(
        kind=kind, date_from=parse_optional_date(values.get("date_from", ""), field="date_from"),
        date_to=parse_optional_date(values.get("date_to", ""), field="date_to"),
        client_id=_parse_id(values.get("client_id", ""), "client_id"),
        project_id=_parse_id(values.get("project_id", ""), "project_id"),
        user_id=_parse_id(values.get("user_id", ""), "user_id"),
        status=(values.get("status") or "").strip() or None,
    )
    _check_filters(user, filters)
    return filters


def _check_filters(user: User, filters: ExportFilters) -> None:
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise UserError(f"date_to: {filters.date_to.isoformat()} is before the start date "
                        f"{filters.date_from.isoformat()}", field="date_to")
    if filters.status and filters.status not in STATUSES[filters.kind]:
        accepted = ", ".join(STATUSES[filters.kind]) or "none (leave it empty)"
        raise UserError(f"status: {filters.status!r} is not a status of {KINDS[filters.kind].label.lower()}; "
                        f"accepted are {accepted}", field="status")
    if filters.project_id and filters.kind not in OWN_KINDS:
        raise UserError("project_id: invoices and payments cannot be filtered by project; filter by client",
                        field="project_id")
    if filters.user_id and filters.kind not in OWN_KINDS:
        raise UserError("user_id: invoices and payments cannot be filtered by person", field="user_id")
    if filters.client_id and not db.session.scalar(
            visible_clients_query(user).where(Client.id == filters.client_id).limit(1)):
        raise UserError(f"client_id: no client with id {filters.client_id} that you may see", field="client_id")
    if filters.project_id and not db.session.scalar(
            visible_projects_query(user).where(Project.id == filters.project_id).limit(1)):
        raise UserError(f"project_id: no project with id {filters.project_id} that you may see", field="project_id")
    if filters.user_id and not may_export_all(user) and filters.user_id != user.id:
        raise UserError("user_id: without the data.export permission you may export only your own data",
                        field="user_id")


def _owned_query(user: User, filters: ExportFilters, model, visible: Select, date_column) -> Select:
    statement = visible
    if not may_export_all(user):
        statement = statement.where(model.user_id == user.id)
    if filters.user_id:
        statement = statement.where(model.user_id == filters.user_id)
    if filters.project_id:
        statement = statement.where(model.project_id == filters.project_id)
    if filters.client_id:
        statement = statement.where(model.project_id.in_(
            select(Project.id).where(Project.client_id == filters.client_id)))
    return _dated(statement, filters, date_column)


def _dated(statement: Select, filters: ExportFilters, date_column) -> Select:
    if filters.date_from:
        statement = statement.where(date_column >= filters.date_from)
    if filters.date_to:
        statement = statement.where(date_column <= filters.date_to)
    return statement


def export_query(user: User, filters: ExportFilters) -> Select:
    """Return the query for the rows of an export, with every related object a row needs loaded by joins."""
    if filters.kind == "time":
        statement = _owned_query(user, filters, TimeEntry, visible_entries_query(user), TimeEntry.work_date)
        if filters.status:
            statement = statement.where(TimeEntry.status == EntryStatus(filters.status))
        return statement.options(
            joinedload(TimeEntry.user), joinedload(TimeEntry.project).joinedload(Project.client),
            joinedload(TimeEntry.task),
        ).order_by(TimeEntry.work_date, TimeEntry.start_at, TimeEntry.id)
    if filters.kind == "expenses":
        statement = _owned_query(user, filters, Expense, visible_expenses_query(user), Expense.expense_date)
        if filters.status:
            statement = statement.where(Expense.status == ExpenseStatus(filters.status))
        return statement.options(
            joinedload(Expense.user), joinedload(Expense.project).joinedload(Project.client),
            joinedload(Expense.category),
        ).order_by(Expense.expense_date, Expense.id)
    if filters.kind == "invoices":
        statement = _dated(visible_invoices_query(user), filters, Invoice.issue_date)
        if filters.client_id:
            statement = statement.where(Invoice.client_id == filters.client_id)
        if filters.status:
            statement = statement.where(Invoice.status == InvoiceStatus(filters.status))
        return statement.options(joinedload(Invoice.client), joinedload(Invoice.credited_invoice)).order_by(
            Invoice.issue_date, Invoice.number, Invoice.id)
    statement = _dated(visible_payments_query(user), filters, Payment.payment_date)
    if filters.client_id:
        statement = statement.where(Payment.client_id == filters.client_id)
    return statement.options(joinedload(Payment.invoice), joinedload(Payment.client)).order_by(
        Payment.payment_date, Payment.id)


def count_rows(user: User, filters: ExportFilters) -> int:
    statement = export_query(user, filters).order_by(None)
    return db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0


def export_filename(filters: ExportFilters) -> str:
    parts = ["trackerbox", filters.kind]
    if filters.date_from:
        parts.append(f"from-{filters.date_from.isoformat()}")
    if filters.date_to:
        parts.append(f"to-{filters.date_to.isoformat()}")
    return "-".join(parts) + ".csv"


def start_export(user: User, filters: ExportFilters) -> tuple[str, Iterator[str]]:
    """Audit the export and return its file name and the CSV text as a stream of chunks.

    The rows are read only while the stream is consumed, in batches, with one query
    for all of them.
    """
    rows = count_rows(user, filters)
    details = {key: (value.isoformat() if isinstance(value, date) else value)
               for key, value in asdict(filters).items() if value is not None}
    record("data.export", object_type="export", object_id=filters.kind, details=details | {"rows": rows})
    log.info("export of %d %s row(s) started by user %s", rows, filters.kind, user.id)
    return export_filename(filters), csv_chunks(export_query(user, filters), filters.kind)


def csv_chunks(statement: Select, kind: str) -> Iterator[str]:
    """Yield the CSV text of ``statement``'s rows: a UTF-8 byte order mark, the header, then the rows.

    The byte order mark makes spreadsheet programs read the file as UTF-8.
    """
    export = KINDS[kind]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(export.header)
    # Reading needs no write lock; on SQLite a write transaction would block other writers while streaming.
    token = db.write_intent.set(False)
    try:
        for item in db.session.scalars(statement.execution_options(yield_per=STREAM_BATCH_ROWS)):
            writer.writerow([escape_cell(cell) for cell in export.row(item)])
            if buffer.tell() >= STREAM_CHUNK_CHARS:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()
    finally:
        db.write_intent.reset(token)


@dataclass
class ExportChoices:
    kinds: list[tuple[str, str]]
    clients: list[Client]
    projects: list[Project]
    people: list[User]
    statuses: list[str]


def export_choices(user: User) -> ExportChoices:
    """Return the options of the export form's lists, limited to what ``user`` may see."""
    clients = list(db.session.scalars(visible_clients_query(user).order_by(Client.name)))
    projects = list(db.session.scalars(visible_projects_query(user).order_by(Project.code)))
    if may_export_all(user) and user.can(Permission.TIME_VIEW_ALL.value):
        people = list(db.session.scalars(select(User).order_by(User.name)))
    else:
        people = [user]
    statuses = sorted({status for values in STATUSES.values() for status in values})
    kinds = [(kind, KINDS[kind].label) for kind in allowed_kinds(user)]
    return ExportChoices(kinds=kinds, clients=clients, projects=projects, people=people, statuses=statuses)
