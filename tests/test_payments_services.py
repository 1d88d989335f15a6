"""Payments: partial and full payment, overpayment to client credit, deletion, balances, bad input."""
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from app import db
from app.errors import ConflictError, UserError
from app.invoices.services import local_today, void_invoice
from app.invoices.states import IllegalInvoiceTransition
from app.models import AuditEvent, ClientCredit, Payment, User
from app.payments import services
from tests.conftest import acting_as
from tests.factories import make_client, make_project
from tests.invoice_builders import add_entry, create_draft, issue, load_invoice, make_world


def _issued(app, world, seconds: int = 36000, day: int = 10) -> int:
    """An issued invoice over ``seconds`` of work at 100.00 an hour (1000.00 by default)."""
    add_entry(app, world.worker, world.project, seconds, date(2026, 3, day))
    invoice_id, _ = create_draft(app, world.biller, world.client, period=(date(2026, 3, day), date(2026, 3, day)))
    issue(app, world.biller, invoice_id)
    return invoice_id


def _pay(app, user, invoice_id, amount, *, method="bank_transfer", reference="", payment_date=None, notes=""):
    with acting_as(app, user):
        me = db.session.get(User, user.id)
        result = services.record_payment(me, invoice_id, payment_date=payment_date or local_today(me),
                                         amount=amount, method=method, reference=reference, notes=notes)
        return result.payment.id, result.credit_minor


def _apply(app, user, invoice_id, amount):
    with acting_as(app, user):
        return services.apply_client_credit(db.session.get(User, user.id), invoice_id, amount=amount).id


def _delete(app, user, payment_id):
    with acting_as(app, user):
        services.delete_payment(db.session.get(User, user.id), payment_id)


def _status(app, invoice_id) -> tuple[str, int]:
    invoice = load_invoice(app, invoice_id)
    return invoice.status.value, invoice.paid_minor


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("payment.%") | AuditEvent.action.like("client_credit.%"))
            .order_by(AuditEvent.id)
        ))


def test_partial_then_full_payment_marks_paid(app, make_user):
    world = make_world(app, make_user)
    invoice_id = _issued(app, world)
    _pay(app, world.biller, invoice_id, "400.00")
    assert _status(app, invoice_id) == ("partially_paid", 40000)
    _pay(app, world.biller, invoice_id, "600", method="cheque", reference="Cheque 118")
    assert _status(app, invoice_id) == ("paid", 100000)
    assert load_invoice(app, invoice_id).balance_minor == 0
    assert _actions(app) == ["payment.record", "payment.record"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payment.record")
                                  .order_by(AuditEvent.id.desc()))
        assert event.details["invoice_before"]["status"] == "partially_paid"
        assert event.details["invoice_after"]["status"] == "paid"
        assert event.details["after"]["method"] == "cheque"


def test_overpayment_becomes_credit_applied_elsewhere(app, make_user):
    world = make_world(app, make_user)
    first = _issued(app, world, 36000, day=10)    # 1000.00
    second = _issued(app, world, 18000, day=11)   # 500.00
    _, credit = _pay(app, world.biller, first, "1200.00")
    assert credit == 20000
    assert _status(app, first) == ("paid", 100000)
    with app.app_context():
        assert services.credit_available(world.client.id, "EUR") == 20000
        balances = services.client_balances([world.client.id])[world.client.id]
        assert [(b.currency, b.open_minor, b.credit_minor, b.balance_minor) for b in balances] == [
            ("EUR", 50000, 20000, 30000)]
    payment_id = _apply(app, world.biller, second, "200")
    assert _status(app, second) == ("partially_paid", 20000)
    with app.app_context():
        assert services.credit_available(world.client.id, "EUR") == 0
        payment = db.session.get(Payment, payment_id)
        assert payment.method.value == "client_credit"
        credits = [(c.amount_minor, c.applied_invoice_id) for c in db.session.scalars(
            select(ClientCredit).order_by(ClientCredit.id))]
        assert credits == [(20000, None), (-20000, second)]
    assert _actions(app) == ["payment.record", "client_credit.apply"]


def test_credit_cannot_exceed_available_or_balance(app, make_user):
    world = make_world(app, make_user)
    first = _issued(app, world, 36000, day=10)
    second = _issued(app, world, 3600, day=11)    # 100.00
    _pay(app, world.biller, first, "1500")        # 500.00 credit
    biller = SimpleNamespace(id=world.biller.id)
    with pytest.raises(UserError) as caught:
        _apply(app, biller, second, "600")
    assert "is more than the client's credit of €500.00" in caught.value.message
    with pytest.raises(UserError) as caught:
        _apply(app, biller, second, "150")
    assert "is more than the invoice's balance of €100.00" in caught.value.message
    assert _status(app, second) == ("issued", 0)


def test_credit_of_another_client_is_not_available(app, make_user):
    world = make_world(app, make_user)
    first = _issued(app, world, 36000, day=10)
    _pay(app, world.biller, first, "1100")
    other = make_client(app, "Other Ltd")
    project = make_project(app, other, "OTH-1", members=[world.worker])
    add_entry(app, world.worker, project, 3600)
    other_invoice, _ = create_draft(app, world.biller, other)
    issue(app, world.biller, other_invoice)
    with pytest.raises(UserError) as caught:
        _apply(app, SimpleNamespace(id=world.biller.id), other_invoice, "50")
    assert "client's credit of €0.00" in caught.value.message


def test_deleting_payments_reverts_status(app, make_user):
    world = make_world(app, make_user)
    invoice_id = _issued(app, world)
    first, _ = _pay(app, world.biller, invoice_id, "300")
    second, _ = _pay(app, world.biller, invoice_id, "700")
    assert _status(app, invoice_id) == ("paid", 100000)
    _delete(app, world.biller, second)
    assert _status(app, invoice_id) == ("partially_paid", 30000)
    _delete(app, world.biller, first)
    assert _status(app, invoice_id) == ("issued", 0)
    with app.app_context():
        deleted = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "payment.delete")).all()
        assert [event.details["before"]["amount_minor"] for event in deleted] == [70000, 30000]
        assert db.session.scalar(select(Payment.id)) is None


def test_deleting_overpayment_with_spent_credit_is_refused(app, make_user):
    world = make_world(app, make_user)
    first = _issued(app, world, 36000, day=10)
    second = _issued(app, world, 3600, day=11)
    overpayment, _ = _pay(app, world.biller, first, "1100")
    credit_payment = _apply(app, world.biller, second, "100")
    biller = SimpleNamespace(id=world.biller.id)
    with pytest.raises(ConflictError) as caught:
        _delete(app, biller, overpayment)
    assert "already been applied to another invoice" in caught.value.message
    _delete(app, biller, credit_payment)
    assert _status(app, second) == ("issued", 0)
    _delete(app, biller, overpayment)
    assert _status(app, first) == ("issued", 0)
    with app.app_context():
        assert services.credit_available(world.client.id, "EUR") == 0
        assert db.session.scalar(select(ClientCredit.id)) is None


def test_void_needs_payments_deleted_first(app, make_user):
    world = make_world(app, make_user)
    invoice_id = _issued(app, world)
    payment_id, _ = _pay(app, world.biller, invoice_id, "1000")
    biller = SimpleNamespace(id=world.biller.id)
    with pytest.raises(IllegalInvoiceTransition) as caught:
        with acting_as(app, biller):
            void_invoice(db.session.get(User, biller.id), invoice_id)
    assert caught.value.message == "cannot void an invoice that is paid; delete its payments first"
    _delete(app, biller, payment_id)
    with acting_as(app, biller):
        void_invoice(db.session.get(User, biller.id), invoice_id)
    assert _status(app, invoice_id) == ("void", 0)


def test_payment_on_draft_or_paid_invoice_is_illegal(app, make_user):
    world = make_world(app, make_user)
    add_entry(app, world.worker, world.project, 3600)
    draft_id, _ = create_draft(app, world.biller, world.client)
    biller = SimpleNamespace(id=world.biller.id)
    with pytest.raises(IllegalInvoiceTransition) as caught:
        _pay(app, biller, draft_id, "10")
    assert caught.value.message == "cannot record a payment on an invoice that is draft"
    issue(app, biller, draft_id)
    _pay(app, biller, draft_id, "100")
    with pytest.raises(IllegalInvoiceTransition):
        _pay(app, biller, draft_id, "10")


@pytest.mark.parametrize(("locale", "currency", "fields", "field", "message"), [
    ("de", "EUR", {"amount": "1.234"}, "amount", "'1.234' is ambiguous"),
    ("en", "EUR", {"amount": "1,234"}, "amount", "'1,234' is ambiguous"),
    ("en", "EUR", {"amount": "-5"}, "amount", "'-5' is negative"),
    ("en", "EUR", {"amount": "10.001"}, "amount", "'10.001' has more than 2 decimals, which EUR does not have"),
    ("en", "JPY", {"amount": "10.5"}, "amount", "'10.5' has more than 0 decimals, which JPY does not have"),
    ("en", "BHD", {"amount": "1.2345"}, "amount", "'1.2345' has more than 3 decimals, which BHD does not have"),
    ("en", "EUR", {"amount": "0"}, "amount", "'0' is zero"),
    ("en", "EUR", {"amount": "ten"}, "amount", "'ten' is not a valid amount"),
    ("en", "EUR", {"amount": " "}, "amount", "an amount in EUR is required"),
    ("en", "EUR", {"method": "bitcoin"}, "method", "'bitcoin' is not a payment method"),
    ("en", "EUR", {"method": "client_credit"}, "method", "'client_credit' is not a payment method"),
    ("en", "EUR", {"payment_date": "future"}, "payment_date", "is in the future"),
    ("en", "EUR", {"payment_date": "before issue"}, "payment_date", "is before invoice"),
    ("en", "EUR", {"reference": "4111 1111 1111 1111"}, "reference", "looks like a card number"),
    ("en", "EUR", {"notes": "card 5500-0000-0000-0004 ok"}, "notes", "looks like a card number"),
    ("en", "EUR", {"reference": "x" * 201}, "reference", "201 characters is too long"),
])
def test_payment_bad_input_saves_nothing(app, make_user, locale, currency, fields, field, message):
    world = make_world(app, make_user, currency=currency)
    with app.app_context(), db.transaction():
        db.session.get(User, world.biller.id).locale = locale
    invoice_id = _issued(app, world)
    arguments = {"amount": "10", "method": "bank_transfer", "reference": "", "notes": ""} | fields
    requested_date = arguments.pop("payment_date", None)
    if requested_date == "future":
        arguments["payment_date"] = date.today() + timedelta(days=3)
    elif requested_date == "before issue":
        arguments["payment_date"] = date(1999, 12, 31)
    with pytest.raises(UserError) as caught:
        _pay(app, SimpleNamespace(id=world.biller.id), invoice_id, **arguments)
    assert caught.value.field == field
    assert message in caught.value.message
    assert _status(app, invoice_id) == ("issued", 0)
    with app.app_context():
        assert db.session.scalar(select(Payment.id)) is None
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "payment.record")) is None


@pytest.mark.parametrize("reference", ["Receipt 000123", "TRX 4111 1111 1111 1112", "IBAN DE89 3704 0044 0532 0130 00"])
def test_references_that_are_not_card_numbers_are_kept(app, make_user, reference):
    world = make_world(app, make_user)
    invoice_id = _issued(app, world)
    payment_id, _ = _pay(app, world.biller, invoice_id, "10", method="card_terminal", reference=reference)
    with app.app_context():
        assert db.session.get(Payment, payment_id).reference == reference


def test_jpy_and_bhd_amounts_in_minor_units(app, make_user):
    world = make_world(app, make_user, currency="JPY", rate_minor=15000)
    invoice_id = _issued(app, world, 3600)
    _pay(app, world.biller, invoice_id, "15000")
    assert _status(app, invoice_id) == ("paid", 15000)


def test_payments_scoped_to_looked_after_clients(app, make_user):
    world = make_world(app, make_user)
    invoice_id = _issued(app, world)
    payment_id, _ = _pay(app, world.biller, invoice_id, "10")
    carl = make_user("carl", "Client Manager")
    with app.app_context():
        user = db.session.get(User, carl.id)
        assert db.session.scalars(services.visible_payments_query(user)).all() == []
        with pytest.raises(NotFound):
            services.get_payment_for(user, payment_id)
        boss = db.session.get(User, world.biller.id)
        assert services.get_payment_for(boss, payment_id).id == payment_id
