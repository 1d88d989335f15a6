"""The payment pages: recording, bad input, client credit, deleting, the list and its scope."""
from datetime import date

import pytest
from sqlalchemy import func, select

from app import db
from app.models import Client, Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentMethod, User
from tests.conftest import csrf_token, sign_in
from tests.factories import berlin_today, count_queries, make_client, make_project
from tests.invoice_builders import add_entry, create_draft, issue, load_invoice, make_world



def _issued(app, world, seconds: int = 36000, day: int = 10) -> int:
    add_entry(app, world.worker, world.project, seconds, date(2026, 3, day))
    invoice_id, _ = create_draft(app, world.biller, world.client, period=(date(2026, 3, day), date(2026, 3, day)))
    issue(app, world.biller, invoice_id)
    return invoice_id


def _record(client, invoice_id, **fields):
    token = csrf_token(client, f"/invoices/{invoice_id}/payments/new")
    data = {"csrf_token": token, "payment_date": berlin_today().isoformat(), "amount": "100.00", "method": "bank_transfer",
            "reference": "", "notes": ""} | fields
    return client.post(f"/invoices/{invoice_id}/payments/new", data=data)


def _text(response) -> str:
    return response.get_data(as_text=True).replace("\xa0", " ")


def _payments(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Payment))


def test_record_partial_then_full_payment(client, app, make_user):
    world = make_world(app, make_user)
    invoice_id = _issued(app, world)
    sign_in(client, "anna")
    form = _text(client.get(f"/invoices/{invoice_id}/payments/new"))
    assert 'value="1000.00"' in form
    assert "Never a card number." in form
    response = _record(client, invoice_id, amount="400")
    assert response.status_code == 302
    page = _text(client.get(f"/invoices/{invoice_id}"))
    assert "Payment recorded." in page
    assert "badge-partially_paid" in page
    assert "€600.00" in page
    _record(client, invoice_id, amount="600", method="card_terminal", reference="Terminal receipt 4711")
    page = _text(client.get(f"/invoices/{invoice_id}"))
    assert "badge-paid" in page
    assert "Card (external terminal)" in page
    assert "Terminal receipt 4711" in page
    assert "Record payment" not in page


@pytest.mark.parametrize(("locale", "fields", "message"), [
    ("de", {"amount": "1.234"}, "&#39;1.234&#39; is ambiguous; write it without the &#39;.&#39;"),
    ("en", {"amount": "-10"}, "&#39;-10&#39; is negative; enter a positive amount"),
    ("en", {"amount": "10.999"}, "&#39;10.999&#39; has more than 2 decimals, which EUR does not have"),
    ("en", {"amount": ""}, "This field is required."),
    ("en", {"payment_date": "2026-13-01"}, "Not a valid date value."),
    ("en", {"method": "crypto"}, "Not a valid choice."),
    ("en", {"reference": "4111-1111-1111-1111"}, "looks like a card number"),
])
def test_record_payment_bad_input_returns_400(client, app, make_user, locale, fields, message):
    world = make_world(app, make_user)
    with app.app_context(), db.transaction():
        db.session.get(User, world.biller.id).locale = locale
    invoice_id = _issued(app, world)
    sign_in(client, "anna")
    response = _record(client, invoice_id, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _payments(app) == 0
    assert load_invoice(app, invoice_id).status is InvoiceStatus.ISSUED


def test_payment_in_german_format(client, app, make_user):
    world = make_world(app, make_user)
    with app.app_context(), db.transaction():
        db.session.get(User, world.biller.id).locale = "de"
    invoice_id = _issued(app, world)
    sign_in(client, "anna")
    assert 'value="1000,00"' in _text(client.get(f"/invoices/{invoice_id}/payments/new"))
    assert _record(client, invoice_id, amount="1.000,00").status_code == 302
    assert load_invoice(app, invoice_id).paid_minor == 100000


def test_overpayment_credit_applied_to_other_invoice(client, app, make_user):
    world = make_world(app, make_user)
    first = _issued(app, world, 36000, day=10)
    second = _issued(app, world, 18000, day=11)
    sign_in(client, "anna")
    response = _record(client, first, amount="1250")
    assert response.status_code == 302
    page = _text(client.get(f"/invoices/{first}"))
    assert "€250.00 was kept as client credit." in page
    second_page = _text(client.get(f"/invoices/{second}"))
    assert "Apply client credit" in second_page
    assert "(credit €250.00)" in second_page
    form = _text(client.get(f"/invoices/{second}/apply-credit"))
    assert 'value="250.00"' in form
    token = csrf_token(client, f"/invoices/{second}/apply-credit")
    response = client.post(f"/invoices/{second}/apply-credit", data={"csrf_token": token, "amount": "300"})
    assert response.status_code == 400
    assert "is more than the client&#39;s credit of €250.00" in response.get_data(as_text=True)
    response = client.post(f"/invoices/{second}/apply-credit", data={"csrf_token": token, "amount": "250"})
    assert response.status_code == 302
    invoice = load_invoice(app, second)
    assert (invoice.status, invoice.paid_minor) == (InvoiceStatus.PARTIALLY_PAID, 25000)
    assert [payment.method for payment in invoice.payments] == [PaymentMethod.CLIENT_CREDIT]
    account = _text(client.get(f"/invoices/clients/{world.client.id}"))
    assert "€250.00" in account


def test_delete_payment_reverts_status(client, app, make_user):
    world = make_world(app, make_user)
    invoice_id = _issued(app, world)
    sign_in(client, "anna")
    _record(client, invoice_id, amount="1000")
    assert load_invoice(app, invoice_id).status is InvoiceStatus.PAID
    with app.app_context():
        payment_id = db.session.scalar(select(Payment.id))
    token = csrf_token(client, "/payments/")
    response = client.post(f"/payments/{payment_id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    page = _text(client.get(f"/invoices/{invoice_id}"))
    assert "Payment deleted; the invoice&#39;s balance and status were updated." in page
    assert load_invoice(app, invoice_id).status is InvoiceStatus.ISSUED
    assert _payments(app) == 0


def test_void_of_paid_invoice_shows_reason(client, app, make_user):
    world = make_world(app, make_user)
    invoice_id = _issued(app, world)
    sign_in(client, "anna")
    _record(client, invoice_id, amount="10")
    response = client.post(f"/invoices/{invoice_id}/void", data={"csrf_token": csrf_token(client, "/invoices/")})
    assert response.status_code == 409
    assert "cannot void an invoice that is partially paid; delete its payments first" in _text(response)
    assert load_invoice(app, invoice_id).status is InvoiceStatus.PARTIALLY_PAID


def test_payment_form_refused_for_draft(client, app, make_user):
    world = make_world(app, make_user)
    invoice_id, _ = create_draft(app, world.biller, world.client)
    sign_in(client, "anna")
    response = client.get(f"/invoices/{invoice_id}/payments/new")
    assert response.status_code == 409
    assert "cannot record a payment on an invoice that is draft" in _text(response)


def test_client_manager_cannot_touch_other_clients_payments(client, app, make_user):
    world = make_world(app, make_user)
    invoice_id = _issued(app, world)
    sign_in(client, "anna")
    _record(client, invoice_id, amount="10")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    with app.app_context():
        payment_id = db.session.scalar(select(Payment.id))
    carl = make_user("carl", "Client Manager")
    own = make_client(app, "Own Ltd", managers=[carl])
    make_project(app, own, "OWN-1")
    sign_in(client, "carl")
    assert "No payments recorded yet." in _text(client.get("/payments/"))
    token = csrf_token(client, "/payments/")
    assert client.post(f"/payments/{payment_id}/delete", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/invoices/{invoice_id}/apply-credit").status_code == 404
    assert _payments(app) == 1


def _payments_for(app, count: int, prefix: str) -> None:
    with app.app_context(), db.transaction():
        clients = list(db.session.scalars(select(Client)))
        for n in range(count):
            client = clients[n % len(clients)]
            invoice = Invoice(kind=InvoiceKind.INVOICE, client_id=client.id, currency="EUR", number=f"{prefix}-{n}",
                              status=InvoiceStatus.PAID, issue_date=date(2026, 3, 1), due_date=date(2026, 3, 15),
                              total_minor=1000, paid_minor=1000)
            invoice.payments = [Payment(client_id=client.id, payment_date=date(2026, 3, 5), amount_minor=1000,
                                        currency="EUR", method=PaymentMethod.BANK_TRANSFER, reference=f"ref {n}")]
            db.session.add(invoice)


def test_payment_list_filters_and_constant_queries(client, app, make_user):
    make_user("anna", "Account Manager")
    make_client(app, "One Ltd")
    make_client(app, "Two Ltd")
    sign_in(client, "anna")
    _payments_for(app, 3, "A")
    with count_queries(app) as few:
        assert client.get("/payments/").status_code == 200
    _payments_for(app, 27, "B")
    with count_queries(app) as many:
        page = _text(client.get("/payments/"))
    assert page.count("ref ") == 30
    assert many.count == few.count
    assert "ref 0" in _text(client.get("/payments/?method=bank_transfer"))
    assert "No payments match these filters." in _text(client.get("/payments/?method=cash"))
    assert "No payments match these filters." in _text(client.get("/payments/?received_from=2026-04-01"))
    response = client.get("/payments/?method=gold")
    assert response.status_code == 400
    assert "Not a valid choice." in response.get_data(as_text=True)
