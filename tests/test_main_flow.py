"""One office week from first sign-in to a paid invoice, through the pages in a browser's order.

The administrator sets up people and a project. A worker in Berlin logs the week of the
spring DST change (2026-03-23 to 03-29), with an entry across midnight and an expense with
a receipt. The project manager rejects one day, the worker corrects it and the manager
approves. Then the account manager invoices with two tax rates and records two payments.
"""
from __future__ import annotations

import io
import re
from datetime import date

from sqlalchemy import select

from app import db
from app.models import (
    AuditEvent, Client, EntryStatus, Expense, ExpenseCategory, Invoice, InvoiceStatus, Project, TaxRate, TimeEntry,
    User,
)
from tests.factories import berlin_today
from tests.conftest import csrf_token, sign_in
from tests.expense_builders import png_bytes


WEEK = "2026-W13"
NEW_PASSWORD = "a long and private passphrase 7"


def _post(client, url, data, page=None):
    return client.post(url, data={"csrf_token": csrf_token(client, page or url), **data})


def _sign_out(client):
    client.post("/logout", data={"csrf_token": csrf_token(client)})


def _one(app, statement):
    with app.app_context():
        return db.session.scalars(statement).one()


def _create_person(client, app, login, name, profile, **fields):
    """Create a person through the admin page and return the one-time password shown once."""
    profile_ids = {p.name: str(p.id) for p in _all_profiles(app)}
    form = {"login": login, "name": name, "email": f"{login}@example.test", "timezone": "Europe/Berlin",
            "locale": fields.get("locale", "en"), "currency": "EUR", "default_rate": "", "cost_rate": "",
            "profiles": [profile_ids[profile]]}
    response = _post(client, "/admin/users/new", form)
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.search(r'<p class="secret">([^<]+)</p>', response.get_data(as_text=True)).group(1)


def _all_profiles(app):
    from app.models import SecurityProfile

    with app.app_context():
        return list(db.session.scalars(select(SecurityProfile)))


def _first_sign_in(client, login, one_time):
    sign_in(client, login, one_time)
    response = _post(client, "/account/password", {"current_password": one_time, "new_password": NEW_PASSWORD,
                                                   "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    _sign_out(client)


def _set_up_office(app, client, make_user):
    make_user("ada", "Administrator", name="Ada Admin")
    sign_in(client, "ada")

    passwords = {
        "wanda": _create_person(client, app, "wanda", "Wanda Worker", "Worker", locale="de"),
        "pete": _create_person(client, app, "pete", "Pete Manager", "Project Manager"),
        "anna": _create_person(client, app, "anna", "Anna Accounts", "Account Manager"),
    }
    assert _post(client, "/clients/new", {
        "name": "Acme GmbH", "address": "Hauptstrasse 1\n10115 Berlin", "contact_name": "Dora", "contact_email":
        "ap@acme.example", "currency": "EUR", "payment_terms_days": "30", "tax_id": "DE123456789"}).status_code == 302
    acme = _one(app, select(Client))
    pete = _one(app, select(User).where(User.login == "pete"))
    assert _post(client, "/projects/new", {
        "client_id": str(acme.id), "code": "ACME-WEB", "name": "Portal", "billing_method": "hourly",
        "hourly_rate": "100.00", "fixed_fee": "", "budget_hours": "120", "budget_money": "",
        "manager_id": str(pete.id)}).status_code == 302
    project = _one(app, select(Project))

    assert _post(client, f"/projects/{project.id}/tasks", {"name": "Development", "billable": "y"},
                 page=f"/projects/{project.id}").status_code == 302
    wanda = _one(app, select(User).where(User.login == "wanda"))
    assert _post(client, f"/projects/{project.id}/members", {"user_id": str(wanda.id)},
                 page=f"/projects/{project.id}").status_code == 302
    for name, rate in (("VAT 19 %", "19"), ("VAT 7 %", "7")):
        assert _post(client, "/invoices/tax-rates/", {"name": name, "rate": rate, "active": "y"}).status_code == 302
    _sign_out(client)

    for login, one_time in passwords.items():
        _first_sign_in(client, login, one_time)
    with app.app_context():
        task_id = db.session.get(Project, project.id).tasks[0].id
    return project, f"{project.id}:{task_id}"


def _grid(client, row_key, cells):
    data = {"week": WEEK, "row-0": row_key}
    data.update({f"cell-0-{day}": text for day, text in cells.items()})
    return _post(client, "/time/grid", data, page=f"/time/?week={WEEK}")


def _log_week(app, client, project, row_key):
    sign_in(client, "wanda", NEW_PASSWORD)
    response = _grid(client, row_key, {0: "10", 1: "7:30", 2: "450m", 3: "8"})
    assert response.status_code == 302, response.get_data(as_text=True)
    for day, start, end in (("2026-03-27", "22:00", "02:00"), ("2026-03-29", "01:00", "04:00")):
        response = _post(client, "/time/entries/new", {"project": row_key, "work_date": day, "start": start,
                                                       "end": end, "duration": "", "notes": "Go-live", "billable": ""})
        assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        travel = db.session.scalar(select(ExpenseCategory.id).where(ExpenseCategory.name == "Travel"))
    response = client.post("/expenses/new", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/expenses/new"), "expense_date": "2026-03-25", "project_id": str(project.id),
        "category_id": str(travel), "amount": "119,00", "tax": "19,00", "currency": "EUR", "notes": "Train",
        "billable": "y", "reimbursable": "y", "receipt": (io.BytesIO(png_bytes()), "ticket.png", "image/png")})
    assert response.status_code == 302, response.get_data(as_text=True)
    expense = _one(app, select(Expense))
    assert _post(client, "/expenses/reports/new", {"title": "March travel", "expense_ids": [str(expense.id)]},
                 page="/expenses/reports/new").status_code == 302
    report_id = expense_report_id(app)
    assert _post(client, f"/expenses/reports/{report_id}/submit", {},
                 page=f"/expenses/reports/{report_id}").status_code == 302
    assert _post(client, "/time/submit", {"week": WEEK}, page=f"/time/?week={WEEK}").status_code == 302
    _sign_out(client)
    return report_id


def expense_report_id(app) -> int:
    from app.models import ExpenseReport

    return _one(app, select(ExpenseReport.id))


def _durations(app):
    with app.app_context():
        rows = db.session.execute(select(TimeEntry.work_date, TimeEntry.duration_seconds, TimeEntry.status)
                                  .order_by(TimeEntry.work_date)).all()
    return [(day.isoformat(), seconds, status) for day, seconds, status in rows]


def _approve(app, client, project, report_id):
    monday_entry = _one(app, select(TimeEntry).where(TimeEntry.work_date == date(2026, 3, 23)))
    timesheet_id = monday_entry.timesheet_id
    sign_in(client, "pete", NEW_PASSWORD)
    assert "Wanda Worker" in client.get("/approvals/").get_data(as_text=True)
    response = _post(client, f"/approvals/{timesheet_id}/{project.id}/reject",
                     {"comment": "Monday cannot be 10 hours; the office closed at six.",
                      "entry_ids": [str(monday_entry.id)]}, page="/approvals/")
    assert response.status_code == 302
    _sign_out(client)
    return timesheet_id, monday_entry.id


def _correct_and_resubmit(client, row_key):
    sign_in(client, "wanda", NEW_PASSWORD)
    page = client.get(f"/time/?week={WEEK}").get_data(as_text=True)
    assert "Monday cannot be 10 hours" in page
    response = _grid(client, row_key, {0: "8", 1: "7:30", 2: "7:30", 3: "8:00"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _post(client, "/time/submit", {"week": WEEK}, page=f"/time/?week={WEEK}").status_code == 302
    _sign_out(client)


def _final_approval(client, project, timesheet_id, report_id):
    sign_in(client, "pete", NEW_PASSWORD)
    assert _post(client, f"/approvals/{timesheet_id}/{project.id}/approve", {"comment": "Thanks"},
                 page="/approvals/").status_code == 302
    response = _post(client, f"/expenses/reports/{report_id}/parts/{project.id}/decide",
                     {"decision": "approve", "comment": ""}, page=f"/expenses/reports/{report_id}")
    assert response.status_code == 302, response.get_data(as_text=True)
    _sign_out(client)


def _invoice_and_collect(app, client, project):
    sign_in(client, "anna", NEW_PASSWORD)
    with app.app_context():
        rates = dict(db.session.execute(select(TaxRate.name, TaxRate.id)).all())
    response = _post(client, "/invoices/new", {
        "client_id": str(project.client_id), "period_start": "2026-03-23", "period_end": "2026-03-29",
        "grouping": "task", "tax_rate_ids": [str(rates["VAT 19 %"])], "discount": "", "notes": "Thank you."})
    assert response.status_code == 302, response.get_data(as_text=True)
    invoice = _one(app, select(Invoice))
    response = _post(client, f"/invoices/{invoice.id}/lines/new", {
        "description": "Printed handbook", "quantity": "2", "unit_price": "25.00",
        "tax_rate_ids": [str(rates["VAT 7 %"])]}, page=f"/invoices/{invoice.id}/lines/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _post(client, f"/invoices/{invoice.id}/issue", {"issue_date": ""},
                 page=f"/invoices/{invoice.id}").status_code == 302
    for amount in ("2000.00", "2575.50"):
        response = _post(client, f"/invoices/{invoice.id}/payments/new", {
            "payment_date": berlin_today().isoformat(), "amount": amount, "method": "bank_transfer", "reference": "Acme", "notes": ""},
            page=f"/invoices/{invoice.id}/payments/new")
        assert response.status_code == 302, response.get_data(as_text=True)
        if amount == "2000.00":
            assert _one(app, select(Invoice.status)) == InvoiceStatus.PARTIALLY_PAID
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    return _one(app, select(Invoice)), page


def test_main_flow_week_to_paid_invoice(app, client, make_user):
    project, row_key = _set_up_office(app, client, make_user)
    report_id = _log_week(app, client, project, row_key)
    week = _durations(app)
    assert [(day, seconds) for day, seconds, _ in week] == [
        ("2026-03-23", 36000), ("2026-03-24", 27000), ("2026-03-25", 27000), ("2026-03-26", 28800),
        # 22:00 to 02:00 counts on Friday; 01:00 to 04:00 on the spring-forward night is two hours.
        ("2026-03-27", 14400), ("2026-03-29", 7200),
    ]
    assert {status for _, _, status in week} == {EntryStatus.SUBMITTED}

    timesheet_id, monday_id = _approve(app, client, project, report_id)
    statuses = {day: status for day, _, status in _durations(app)}
    assert statuses["2026-03-23"] == EntryStatus.REJECTED
    assert statuses["2026-03-24"] == EntryStatus.SUBMITTED

    _correct_and_resubmit(client, row_key)
    _final_approval(client, project, timesheet_id, report_id)
    week = _durations(app)
    assert sum(seconds for _, seconds, _ in week) == 37 * 3600
    assert {status for _, _, status in week} == {EntryStatus.APPROVED}

    invoice, page = _invoice_and_collect(app, client, project)
    # 37 h x 100.00 + expense net 100.00 = 3,800.00 at 19 % (722.00); 2 x 25.00 at 7 % (3.50).
    assert invoice.subtotal_minor == 385000
    assert invoice.tax_minor == 72550
    assert invoice.total_minor == 457550
    assert invoice.paid_minor == 457550
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.number is not None and invoice.number in page
    assert "€4,575.50" in page
    with app.app_context():
        assert db.session.scalar(select(TimeEntry.invoice_id).where(TimeEntry.id == monday_id)) == invoice.id
        actions = set(db.session.scalars(select(AuditEvent.action)))
    for action in ("user.create", "auth.login", "user.password_change", "client.create", "project.create",
                   "time_entry.create", "time_entry.update", "timesheet.submit", "timesheet.reject",
                   "timesheet.approve", "expense.create", "invoice.create", "invoice.issue", "payment.record"):
        assert action in actions, action
