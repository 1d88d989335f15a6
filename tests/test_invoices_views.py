"""The invoice pages as a user sees them: drafts, lines, issuing, voiding, scoping, bad input, paging."""
from datetime import date

import pytest
from sqlalchemy import func, select

from app import db
from app.models import AuditEvent, Client, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, TaxRate, User
from tests.conftest import csrf_token, sign_in
from tests.factories import count_queries, make_client, make_project
from tests.invoice_builders import add_entry, create_draft, issue, load_invoice, make_tax_rate, make_world

PERIOD_FORM = {"period_start": "2026-03-01", "period_end": "2026-03-31"}


def _post(client, path, data=None, token_page="/invoices/"):
    return client.post(path, data={"csrf_token": csrf_token(client, token_page), **(data or {})})


def _text(response) -> str:
    return response.get_data(as_text=True).replace("\xa0", " ")


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_worker_cannot_open_invoices(client, app, make_user):
    make_user("wanda", "Worker")
    sign_in(client, "wanda")
    assert client.get("/invoices/").status_code == 403
    assert client.get("/invoices/new").status_code == 403
    assert client.get("/payments/").status_code == 403


def test_invoice_list_empty_state(client, app, make_user):
    make_user("anna", "Account Manager")
    sign_in(client, "anna")
    page = client.get("/invoices/")
    assert page.status_code == 200
    assert "No invoices yet." in _text(page)


def test_create_edit_issue_and_void_through_pages(client, app, make_user):
    world = make_world(app, make_user)
    vat = make_tax_rate(app, "VAT 19 %", 1900)
    add_entry(app, world.worker, world.project, 5400)
    sign_in(client, "anna")
    form = client.get("/invoices/new")
    assert form.status_code == 200
    assert "VAT 19 % (19 %)" in _text(form)
    response = _post(client, "/invoices/new", {"client_id": world.client.id, **PERIOD_FORM, "grouping": "task",
                                               "tax_rate_ids": [vat], "discount": "", "notes": "Thank you."},
                     token_page="/invoices/new")
    assert response.status_code == 302
    invoice_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    page = _text(client.get(f"/invoices/{invoice_id}"))
    assert "Draft invoice created with 1 line." in page
    assert "ACME-1 Project ACME-1: Development" in page
    assert "€150.00" in page
    assert "VAT 19 % 19 % on €150.00" in page
    assert "€178.50" in page

    response = _post(client, f"/invoices/{invoice_id}/lines/new",
                     {"description": "Hosting March", "quantity": "1", "unit_price": "20.00", "tax_rate_ids": [vat]})
    assert response.status_code == 302
    response = _post(client, f"/invoices/{invoice_id}/edit", {"discount": "10", "notes": "Thank you."})
    assert response.status_code == 302
    page = _text(client.get(f"/invoices/{invoice_id}"))
    # 150.00 + 20.00 = 170.00, less 10 % per line (15.00 + 2.00) = 153.00, plus 19 % = 29.07.
    assert "<th>Discount 10 %</th>" in page
    assert "VAT 19 % 19 % on €153.00" in page
    assert "€182.07" in page

    response = _post(client, f"/invoices/{invoice_id}/issue")
    assert response.status_code == 302
    invoice = load_invoice(app, invoice_id)
    page = _text(client.get(f"/invoices/{invoice_id}"))
    assert f"Invoice {invoice.number} issued; it is due on {invoice.due_date.isoformat()}." in page
    assert "Add line" not in page

    response = _post(client, f"/invoices/{invoice_id}/void")
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert f"Invoice {invoice.number} voided by credit note CN-" in page
    assert "-€182.07" in page
    assert load_invoice(app, invoice_id).status is InvoiceStatus.VOID


def test_issued_invoice_refuses_edits_with_message(client, app, make_user):
    world = make_world(app, make_user)
    add_entry(app, world.worker, world.project, 3600)
    invoice_id, _ = create_draft(app, world.biller, world.client)
    issue(app, world.biller, invoice_id)
    sign_in(client, "anna")
    response = _post(client, f"/invoices/{invoice_id}/issue")
    assert response.status_code == 409
    assert "cannot issue an invoice that is issued" in _text(response)
    response = _post(client, f"/invoices/{invoice_id}/lines/new", {"description": "x", "quantity": "1",
                                                                   "unit_price": "1"})
    assert response.status_code == 409
    assert "cannot edit an invoice that is issued" in _text(response)
    response = _post(client, f"/invoices/{invoice_id}/delete")
    assert response.status_code == 409
    assert "void it instead" in _text(response)


@pytest.mark.parametrize(("data", "message"), [
    ({"period_end": "2026-02-01"}, "2026-02-01 is before the start 2026-03-01"),
    ({"period_start": ""}, "This field is required."),
    ({"period_start": "31.03.2026"}, "Not a valid date value."),
    ({"discount": "12,345"}, "&#39;12,345&#39; is not a valid percentage"),
    ({"grouping": "week"}, "Not a valid choice."),
    ({"tax_rate_ids": ["999"]}, "tax rate 999 does not exist or is no longer active"),
])
def test_new_invoice_bad_input_returns_400(client, app, make_user, data, message):
    world = make_world(app, make_user)
    entry = add_entry(app, world.worker, world.project, 3600)
    sign_in(client, "anna")
    form = {"client_id": world.client.id, **PERIOD_FORM, "grouping": "task", "discount": ""} | data
    response = _post(client, "/invoices/new", form, token_page="/invoices/new")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(app, Invoice) == 0
    from tests.invoice_builders import entry_invoice_ids

    assert entry_invoice_ids(app, [entry]) == [None]


@pytest.mark.parametrize(("locale", "data", "message"), [
    ("de", {"unit_price": "1.234"}, "&#39;1.234&#39; is ambiguous"),
    ("en", {"unit_price": "-3"}, "&#39;-3&#39; is negative"),
    ("en", {"unit_price": "1.005"}, "has more than 2 decimals, which EUR does not have"),
    ("en", {"quantity": "0"}, "&#39;0&#39; is not more than zero"),
    ("en", {"quantity": "1.00001"}, "has more than 4 decimals"),
    ("en", {"description": "   "}, "This field is required."),
])
def test_manual_line_bad_input_returns_400(client, app, make_user, locale, data, message):
    world = make_world(app, make_user)
    with app.app_context(), db.transaction():
        db.session.get(User, world.biller.id).locale = locale
    invoice_id, _ = create_draft(app, world.biller, world.client)
    sign_in(client, "anna")
    form = {"description": "Hosting", "quantity": "1", "unit_price": "20"} | data
    response = _post(client, f"/invoices/{invoice_id}/lines/new", form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(app, InvoiceLine) == 0


def test_manual_line_in_german_format(client, app, make_user):
    world = make_world(app, make_user)
    with app.app_context(), db.transaction():
        db.session.get(User, world.biller.id).locale = "de"
    invoice_id, _ = create_draft(app, world.biller, world.client)
    sign_in(client, "anna")
    response = _post(client, f"/invoices/{invoice_id}/lines/new",
                     {"description": "Beratung", "quantity": "2,5", "unit_price": "1.234,50"})
    assert response.status_code == 302
    invoice = load_invoice(app, invoice_id)
    assert invoice.lines[0].amount_minor == 308625
    edit_page = _text(client.get(f"/invoices/{invoice_id}/lines/{invoice.lines[0].id}/edit"))
    assert 'value="2,5"' in edit_page
    assert 'value="1234,50"' in edit_page


def test_generated_line_keeps_quantity_and_cannot_be_deleted(client, app, make_user):
    world = make_world(app, make_user)
    add_entry(app, world.worker, world.project, 3600)
    invoice_id, _ = create_draft(app, world.biller, world.client)
    line_id = load_invoice(app, invoice_id).lines[0].id
    sign_in(client, "anna")
    response = _post(client, f"/invoices/{invoice_id}/lines/{line_id}/edit",
                     {"description": "Website work", "quantity": "99", "unit_price": "1"})
    assert response.status_code == 302
    line = load_invoice(app, invoice_id).lines[0]
    assert (line.description, line.amount_minor) == ("Website work", 10000)
    response = _post(client, f"/invoices/{invoice_id}/lines/{line_id}/delete")
    assert response.status_code == 400
    assert "cannot be deleted alone" in _text(response)


def test_client_manager_cannot_open_other_clients_invoice(client, app, make_user):
    world = make_world(app, make_user)
    add_entry(app, world.worker, world.project, 3600)
    foreign_id, _ = create_draft(app, world.biller, world.client)
    issue(app, world.biller, foreign_id)
    carl = make_user("carl", "Client Manager")
    own = make_client(app, "Own Ltd", managers=[carl])
    own_project = make_project(app, own, "OWN-1", members=[world.worker])
    add_entry(app, world.worker, own_project, 3600)
    own_id, _ = create_draft(app, carl, own)
    sign_in(client, "carl")
    assert client.get(f"/invoices/{own_id}").status_code == 200
    for path in (f"/invoices/{foreign_id}", f"/invoices/{foreign_id}/pdf", f"/invoices/{foreign_id}/edit",
                 f"/invoices/clients/{world.client.id}", f"/invoices/{foreign_id}/payments/new"):
        assert client.get(path).status_code == 404, path
    for path in (f"/invoices/{foreign_id}/issue", f"/invoices/{foreign_id}/delete"):
        assert _post(client, path).status_code == 404, path
    listing = _text(client.get("/invoices/"))
    assert "Own Ltd" in listing
    assert "Acme GmbH" not in listing
    # A client manager has no right to void invoices at all.
    assert _post(client, f"/invoices/{own_id}/void").status_code == 403


def _issued_invoices(app, count: int, lines_each: int = 1) -> list[int]:
    """``count`` issued invoices over three clients, written straight through the ORM."""
    with app.app_context(), db.transaction():
        clients = [Client(name=f"Client {n}", currency="EUR") for n in range(3)]
        db.session.add_all(clients)
        db.session.flush()
        invoices = []
        for n in range(count):
            invoice = Invoice(kind=InvoiceKind.INVOICE, client_id=clients[n % 3].id, currency="EUR",
                              status=InvoiceStatus.ISSUED, number=f"T-{n:03d}", issue_date=date(2026, 3, 1),
                              due_date=date(2026, 3, 15), total_minor=1000, subtotal_minor=1000)
            invoice.lines = [InvoiceLine(position=i + 1, description=f"Line {i}", quantity=1, unit_price_minor=1000,
                                         amount_minor=1000) for i in range(lines_each)]
            invoices.append(invoice)
        db.session.add_all(invoices)
        db.session.flush()
        return [invoice.id for invoice in invoices]


def test_invoice_list_queries_do_not_grow_with_rows(client, app, make_user):
    make_user("anna", "Account Manager")
    sign_in(client, "anna")
    _issued_invoices(app, 3)
    with count_queries(app) as few:
        assert client.get("/invoices/").status_code == 200
    _more_invoices(app, 27)
    with count_queries(app) as many:
        page = client.get("/invoices/")
    assert page.status_code == 200
    assert _text(page).count("U-0") == 27
    assert many.count == few.count


def _more_invoices(app, count: int) -> None:
    """``count`` more issued invoices spread over the clients that exist."""
    with app.app_context(), db.transaction():
        client_ids = list(db.session.scalars(select(Client.id)))
        invoices = [Invoice(kind=InvoiceKind.INVOICE, client_id=client_ids[n % len(client_ids)], currency="EUR",
                            status=InvoiceStatus.ISSUED, number=f"U-{n:03d}", issue_date=date(2026, 3, 2),
                            due_date=date(2026, 3, 16), total_minor=500) for n in range(count)]
        db.session.add_all(invoices)


def test_invoice_page_queries_do_not_grow_with_lines(client, app, make_user):
    make_user("anna", "Account Manager")
    sign_in(client, "anna")
    [small] = _issued_invoices(app, 1, lines_each=3)
    with app.app_context():
        big_client = db.session.scalar(select(Client.id).where(Client.name == "Client 0"))
    with app.app_context(), db.transaction():
        big = Invoice(kind=InvoiceKind.INVOICE, client_id=big_client, currency="EUR", status=InvoiceStatus.ISSUED,
                      number="BIG-1", issue_date=date(2026, 3, 1), due_date=date(2026, 3, 15))
        big.lines = [InvoiceLine(position=i + 1, description=f"Line {i}", quantity=1, unit_price_minor=100,
                                 amount_minor=100) for i in range(30)]
        db.session.add(big)
        db.session.flush()
        big_id = big.id
    with count_queries(app) as few:
        assert client.get(f"/invoices/{small}").status_code == 200
    with count_queries(app) as many:
        assert client.get(f"/invoices/{big_id}").status_code == 200
    assert many.count == few.count


def test_invoice_list_filters(client, app, make_user):
    make_user("anna", "Account Manager")
    sign_in(client, "anna")
    ids = _issued_invoices(app, 3)
    with app.app_context(), db.transaction():
        paid = db.session.get(Invoice, ids[1])
        paid.status, paid.paid_minor = InvoiceStatus.PAID, 1000
    overdue = _text(client.get("/invoices/?overdue=y"))
    assert "T-000" in overdue
    assert "T-002" in overdue
    assert "T-001" not in overdue
    assert overdue.count("badge-overdue") == 2
    by_status = _text(client.get("/invoices/?status=paid"))
    assert "T-001" in by_status
    assert "T-000" not in by_status
    with app.app_context():
        client_id = db.session.scalar(select(Invoice.client_id).where(Invoice.id == ids[2]))
    by_client = _text(client.get(f"/invoices/?client={client_id}"))
    assert "T-002" in by_client
    assert "T-000" not in by_client
    by_date = _text(client.get("/invoices/?issued_from=2026-03-02"))
    assert "No invoices match these filters." in by_date


@pytest.mark.parametrize("query", ["status=lost", "client=abc", "issued_from=yesterday"])
def test_invoice_list_bad_filter_returns_400(client, app, make_user, query):
    make_user("anna", "Account Manager")
    sign_in(client, "anna")
    response = client.get(f"/invoices/?{query}")
    assert response.status_code == 400
    assert "Not a valid" in response.get_data(as_text=True)


def test_client_invoice_page_shows_balance_and_overdue(client, app, make_user):
    make_user("anna", "Account Manager")
    sign_in(client, "anna")
    ids = _issued_invoices(app, 3)
    with app.app_context():
        client_id = db.session.scalar(select(Invoice.client_id).where(Invoice.id == ids[0]))
    page = _text(client.get(f"/invoices/clients/{client_id}"))
    assert "Invoices of Client 0" in page
    assert "T-000" in page
    assert "badge-overdue" in page
    assert "€10.00" in page


def test_tax_rate_admin(client, app, make_user):
    make_user("ada", "Administrator")
    sign_in(client, "ada")
    response = _post(client, "/invoices/tax-rates/", {"name": "MWST 7,7 %", "rate": "7,7", "active": "y"},
                     token_page="/invoices/tax-rates/")
    assert response.status_code == 302
    with app.app_context():
        rate = db.session.scalar(select(TaxRate))
        assert (rate.name, rate.rate_basis_points, rate.active) == ("MWST 7,7 %", 770, True)
        rate_id = rate.id
    page = _text(client.get("/invoices/tax-rates/"))
    assert "7.7 %" in page
    response = _post(client, f"/invoices/tax-rates/{rate_id}", {"name": "MWST", "rate": "8.1"},
                     token_page="/invoices/tax-rates/")
    assert response.status_code == 302
    with app.app_context():
        rate = db.session.get(TaxRate, rate_id)
        assert (rate.name, rate.rate_basis_points, rate.active) == ("MWST", 810, False)
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("tax_rate.%"))))
        assert actions == ["tax_rate.create", "tax_rate.update"]


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "VAT", "rate": "abc"}, "&#39;abc&#39; is not a valid tax rate"),
    ({"name": "VAT", "rate": "150"}, "&#39;150&#39; is more than 100 %"),
    ({"name": "vat 19", "rate": "19"}, "a tax rate named &#39;vat 19&#39; already exists"),
    ({"name": "", "rate": "19"}, "This field is required."),
])
def test_tax_rate_bad_input_returns_400(client, app, make_user, data, message):
    make_user("ada", "Administrator")
    make_tax_rate(app, "VAT 19", 1900)
    sign_in(client, "ada")
    response = _post(client, "/invoices/tax-rates/", data, token_page="/invoices/tax-rates/")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(app, TaxRate) == 1


def test_tax_rates_need_settings_permission(client, app, make_user):
    make_user("anna", "Account Manager")
    sign_in(client, "anna")
    assert client.get("/invoices/tax-rates/").status_code == 403
