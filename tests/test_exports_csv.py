"""CSV exports: columns, scoping, filters, formula escaping, auditing and the query count."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import db
from app.invoices.totals import compute_totals, store_totals
from app.models import (
    AuditEvent,
    EntryStatus,
    Expense,
    ExpenseCategory,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceLineTax,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    TimeEntry,
)
from app.money import format_money
from tests.conftest import csrf_token, sign_in
from tests.factories import count_queries, make_client, make_project

BERLIN_START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def people(make_user):
    return {
        "ada": make_user("ada", "Administrator", name="Ada Admin"),
        "wanda": make_user("wanda", name="Wanda Worker"),
        "walt": make_user("walt", name="Walt Worker"),
    }


@pytest.fixture
def projects(app, people):
    acme = make_client(app, "Acme GmbH")
    globex = make_client(app, "Globex", currency="USD")
    return {
        "acme": make_project(app, acme, "ACME-1", members=[people["wanda"], people["walt"]]),
        "globex": make_project(app, globex, "GLOBEX-1", members=[people["wanda"]]),
    }


def add_entry(app, user, project, *, day: int = 0, seconds: int = 3600, notes: str = "Work",
              status: EntryStatus = EntryStatus.OPEN) -> int:
    with app.app_context(), db.transaction():
        start = BERLIN_START + timedelta(days=day)
        entry = TimeEntry(user_id=user.id, project_id=project.id, start_at=start,
                          end_at=start + timedelta(seconds=seconds), duration_seconds=seconds,
                          timezone="Europe/Berlin", work_date=start.date(), notes=notes, status=status)
        db.session.add(entry)
        db.session.flush()
        return entry.id


def add_expense(app, user, project, *, amount_minor: int = 1250, notes: str = "Train") -> int:
    with app.app_context(), db.transaction():
        category = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.name == "Travel"))
        if category is None:
            category = ExpenseCategory(name="Travel")
            db.session.add(category)
            db.session.flush()
        expense = Expense(user_id=user.id, project_id=project.id, category_id=category.id,
                          expense_date=date(2026, 3, 3), amount_minor=amount_minor, tax_minor=200, currency="EUR",
                          notes=notes)
        db.session.add(expense)
        db.session.flush()
        return expense.id


def add_invoice(app, client_id: int, *, number: str, kind: InvoiceKind = InvoiceKind.INVOICE,
                sign: int = 1, notes: str = "") -> int:
    with app.app_context(), db.transaction():
        invoice = Invoice(client_id=client_id, currency="EUR", status=InvoiceStatus.ISSUED, number=number, kind=kind,
                          issue_date=date(2026, 3, 31), due_date=date(2026, 4, 30), notes=notes,
                          discount_basis_points=0)
        invoice.lines = [
            InvoiceLine(position=1, description="Development", quantity=Decimal("2.5"), unit_price_minor=sign * 9999,
                        amount_minor=sign * 24998, taxes=[InvoiceLineTax(name="VAT", rate_basis_points=1900)]),
            InvoiceLine(position=2, description="Support", quantity=Decimal("1"), unit_price_minor=sign * 333,
                        amount_minor=sign * 333, taxes=[InvoiceLineTax(name="VAT", rate_basis_points=1900)]),
        ]
        store_totals(invoice)
        db.session.add(invoice)
        db.session.flush()
        return invoice.id


def download(client, **fields):
    token = csrf_token(client, "/export/")
    return client.post("/export/download", data={"csrf_token": token, **fields})


def rows_of(response) -> list[dict[str, str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


# The page
def test_export_page_worker_sees_own_kinds(client, people):
    sign_in(client, "wanda")
    page = client.get("/export/").get_data(as_text=True)

    assert "You may export your own time entries and expenses." in page
    assert 'value="time"' in page
    assert 'value="expenses"' in page
    assert 'value="invoices"' not in page


def test_export_page_admin_sees_all_kinds(client, people):
    sign_in(client, "ada")
    page = client.get("/export/").get_data(as_text=True)

    assert 'value="invoices"' in page
    assert 'value="payments"' in page
    assert "Everyone I may see" in page


def test_export_page_needs_sign_in(client):
    response = client.get("/export/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# Time entries
def test_export_time_columns_and_values(app, client, people, projects):
    add_entry(app, people["wanda"], projects["acme"], seconds=5430, notes="Design, review")
    sign_in(client, "ada")
    response = download(client, kind="time")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="trackerbox-time.csv"'
    (row,) = rows_of(response)
    assert row["date"] == "2026-03-02"
    assert row["start"] == "2026-03-02T09:00:00+01:00"
    assert row["end"] == "2026-03-02T10:30:30+01:00"
    assert row["timezone"] == "Europe/Berlin"
    assert row["duration_seconds"] == "5430"
    assert row["hours"] == "1.51"
    assert row["user_login"] == "wanda"
    assert row["client"] == "Acme GmbH"
    assert row["project_code"] == "ACME-1"
    assert row["notes"] == "Design, review"
    assert row["billable"] == "yes"
    assert row["status"] == "open"
    assert row["invoiced"] == "no"


def test_export_worker_gets_only_own_time(app, client, people, projects):
    add_entry(app, people["wanda"], projects["acme"], notes="mine")
    add_entry(app, people["walt"], projects["acme"], day=1, notes="not mine")
    sign_in(client, "wanda")

    rows = rows_of(download(client, kind="time"))
    assert [r["notes"] for r in rows] == ["mine"]

    response = download(client, kind="time", user_id=str(people["walt"].id))
    assert response.status_code == 400
    assert "without the data.export permission you may export only your own data" in response.get_data(as_text=True)


def test_export_worker_cannot_export_invoices(client, people):
    sign_in(client, "wanda")
    response = download(client, kind="invoices")

    assert response.status_code == 400
    assert "kind: you may not export invoices and credit notes" in response.get_data(as_text=True)


@pytest.mark.parametrize("fields, expected_notes", [
    ({}, ["a", "b", "c", "d"]),
    ({"date_from": "2026-03-03"}, ["b", "c", "d"]),
    ({"date_from": "2026-03-03", "date_to": "2026-03-03"}, ["b"]),
    ({"project": "globex"}, ["c"]),
    ({"client": "globex"}, ["c"]),
    ({"person": "walt"}, ["d"]),
    ({"status": "approved"}, ["b"]),
])
def test_export_time_filters(app, client, people, projects, fields, expected_notes):
    add_entry(app, people["wanda"], projects["acme"], day=0, notes="a")
    add_entry(app, people["wanda"], projects["acme"], day=1, notes="b", status=EntryStatus.APPROVED)
    add_entry(app, people["wanda"], projects["globex"], day=2, notes="c")
    add_entry(app, people["walt"], projects["acme"], day=3, notes="d")
    form = {key: value for key, value in fields.items() if key in ("date_from", "date_to", "status")}
    if "project" in fields:
        form["project_id"] = str(projects[fields["project"]].id)
    if "client" in fields:
        form["client_id"] = str(projects[fields["client"]].client_id)
    if "person" in fields:
        form["user_id"] = str(people[fields["person"]].id)
    sign_in(client, "ada")

    rows = rows_of(download(client, kind="time", **form))
    assert [r["notes"] for r in rows] == expected_notes


@pytest.mark.parametrize("fields, message", [
    ({"date_from": "31.03.2026"}, "date_from: &#39;31.03.2026&#39; is not a date; write it as YYYY-MM-DD"),
    ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_to: 2026-03-01 is before the start date 2026-03-10"),
    ({"status": "paid"}, "status: &#39;paid&#39; is not a status of time entries"),
    ({"project_id": "999999"}, "project_id: no project with id 999999 that you may see"),
    ({"client_id": "abc"}, "client_id: &#39;abc&#39; is not a valid choice"),
    ({"kind": "secrets"}, "kind: &#39;secrets&#39; is not one of time, expenses, invoices, payments"),
])
def test_export_invalid_filter_named(client, people, fields, message):
    sign_in(client, "ada")
    response = download(client, **({"kind": "time"} | fields))

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_export_without_csrf_token_rejected(client, people):
    sign_in(client, "ada")
    response = client.post("/export/download", data={"kind": "time"})
    assert response.status_code == 400


# Formula escaping
@pytest.mark.parametrize("notes, written", [
    ('=HYPERLINK("http://example.test","x")', '\'=HYPERLINK("http://example.test","x")'),
    ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\tindented", "'\tindented"),
    ("\rcarriage", "'\rcarriage"),
    ("plain = fine", "plain = fine"),
])
def test_export_escapes_formula_notes(app, client, people, projects, notes, written):
    add_entry(app, people["wanda"], projects["acme"], notes=notes)
    sign_in(client, "wanda")

    (row,) = rows_of(download(client, kind="time"))
    assert row["notes"] == written


def test_export_credit_note_amounts_stay_numbers(app, client, people, projects):
    add_invoice(app, projects["acme"].client_id, number="CN-1", kind=InvoiceKind.CREDIT_NOTE, sign=-1,
                notes="-refund")
    sign_in(client, "ada")

    (row,) = rows_of(download(client, kind="invoices"))
    assert row["total"] == "-301.44"
    assert row["notes"] == "'-refund"


# Invoices, payments, expenses
def test_export_invoice_totals_match_screen(app, client, people, projects):
    invoice_id = add_invoice(app, projects["acme"].client_id, number="2026-00001")
    sign_in(client, "ada")

    (row,) = rows_of(download(client, kind="invoices"))
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        totals = compute_totals(invoice.lines, invoice.discount_basis_points)
    assert row["subtotal"] == "253.31"
    assert row["tax"] == "48.13"
    assert row["total"] == "301.44"
    assert row["total"] == f"{Decimal(totals.total_minor) / 100:.2f}"
    assert row["balance"] == "301.44"
    assert row["currency"] == "EUR"
    page = client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert format_money(totals.total_minor, "EUR") in page


def test_export_payments_rows(app, client, people, projects):
    invoice_id = add_invoice(app, projects["acme"].client_id, number="2026-00002")
    with app.app_context(), db.transaction():
        db.session.add(Payment(invoice_id=invoice_id, client_id=projects["acme"].client_id,
                               payment_date=date(2026, 4, 2), amount_minor=10050, currency="EUR",
                               method=PaymentMethod.BANK_TRANSFER, reference="@bank ref 7"))
    sign_in(client, "ada")

    (row,) = rows_of(download(client, kind="payments", date_from="2026-04-01"))
    assert row["invoice_number"] == "2026-00002"
    assert row["amount"] == "100.50"
    assert row["method"] == "bank_transfer"
    assert row["reference"] == "'@bank ref 7"


def test_export_expenses_rows(app, client, people, projects):
    add_expense(app, people["wanda"], projects["acme"], amount_minor=1250, notes="Train, 2nd class")
    sign_in(client, "wanda")

    (row,) = rows_of(download(client, kind="expenses"))
    assert row["amount"] == "12.50"
    assert row["tax"] == "2.00"
    assert row["currency"] == "EUR"
    assert row["category"] == "Travel"
    assert row["notes"] == "Train, 2nd class"
    assert row["receipt"] == "no"


# Audit and queries
def test_export_is_audited(app, client, people, projects):
    add_entry(app, people["wanda"], projects["acme"])
    sign_in(client, "ada")
    download(client, kind="time", date_from="2026-03-01")

    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "data.export"))
        assert event.login == "ada"
        assert event.details == {"kind": "time", "date_from": "2026-03-01", "rows": 1}


def test_export_runs_no_query_per_row(app, client, people, projects):
    def statements_for(count: int) -> int:
        for day in range(count):
            add_entry(app, people["walt"], projects["acme"], day=day, notes=f"row {day}")
        with count_queries(app) as counter:
            rows = rows_of(download(client, kind="time", user_id=str(people["walt"].id)))
        assert len(rows) == count
        return counter.count

    sign_in(client, "ada")
    few = statements_for(2)
    with app.app_context(), db.transaction():
        db.session.query(TimeEntry).delete()
    many = statements_for(30)
    assert many == few
