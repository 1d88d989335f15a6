"""Issuing with gapless numbers (also under concurrent issuing), and voiding with credit notes."""
import threading
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app import company, db
from app.errors import ConflictError, UserError
from app.invoices.services import issue_invoice, local_today, void_invoice
from app.invoices.states import IllegalInvoiceTransition
from app.models import AuditEvent, EntryStatus, Invoice, InvoiceKind, NumberSequence, TimeEntry, User
from tests.conftest import acting_as
from tests.invoice_builders import add_entry, add_expense, create_draft, entry_invoice_ids, issue, load_invoice
from tests.invoice_builders import make_tax_rate, make_world

THREADS = 8


def _year(app, user) -> int:
    with app.app_context():
        return local_today(db.session.get(User, user.id)).year


def _drafts(app, world, count: int) -> list[int]:
    """``count`` drafts with one line each; each draft takes one day's entry."""
    from datetime import date

    ids = []
    for day in range(1, count + 1):
        add_entry(app, world.worker, world.project, 3600, date(2026, 3, day))
        invoice_id, _ = create_draft(app, world.biller, world.client, period=(date(2026, 3, day), date(2026, 3, day)))
        ids.append(invoice_id)
    return ids


def _set_setting(app, user, key, value):
    with acting_as(app, user):
        company.set_value(key, value)


def test_issue_assigns_number_dates_and_audit(app, make_user):
    world = make_world(app, make_user)
    [invoice_id] = _drafts(app, world, 1)
    number = issue(app, world.biller, invoice_id)
    year = _year(app, world.biller)
    assert number == f"{year}-00001"
    invoice = load_invoice(app, invoice_id)
    assert invoice.status.value == "issued"
    assert invoice.due_date == invoice.issue_date + timedelta(days=14)
    assert invoice.issued_at is not None
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invoice.issue"))
        assert event.details["before"]["status"] == "draft"
        assert event.details["after"]["status"] == "issued"
        assert event.details["after"]["number"] == number


def test_numbers_are_sequential_per_year_series(app, make_user):
    world = make_world(app, make_user)
    ids = _drafts(app, world, 3)
    numbers = [issue(app, world.biller, invoice_id) for invoice_id in ids]
    year = _year(app, world.biller)
    assert numbers == [f"{year}-00001", f"{year}-00002", f"{year}-00003"]
    with app.app_context():
        assert db.session.get(NumberSequence, f"invoice-{year}").next_value == 4


def test_pattern_without_year_uses_one_series(app, make_user):
    world = make_world(app, make_user)
    _set_setting(app, world.biller, "invoice_number_pattern", "INV{seq}")
    ids = _drafts(app, world, 2)
    assert [issue(app, world.biller, invoice_id) for invoice_id in ids] == ["INV1", "INV2"]
    with app.app_context():
        assert db.session.get(NumberSequence, "invoice").next_value == 3


@pytest.mark.parametrize("pattern", ["{year}", "{seq}-{client}", "{seq:%Y}", "INV-{seq", ""])
def test_invalid_pattern_refuses_issue(app, make_user, pattern):
    world = make_world(app, make_user)
    _set_setting(app, world.biller, "invoice_number_pattern", pattern)
    [invoice_id] = _drafts(app, world, 1)
    with pytest.raises(UserError) as caught:
        issue(app, SimpleNamespace(id=world.biller.id), invoice_id)
    assert "invoice_number_pattern" in caught.value.message
    assert load_invoice(app, invoice_id).status.value == "draft"


def test_failed_issue_leaves_no_gap(app, make_user):
    world = make_world(app, make_user)
    biller = SimpleNamespace(id=world.biller.id)
    _set_setting(app, world.biller, "invoice_number_pattern", "A-{seq}")
    first, second = _drafts(app, world, 2)
    with app.app_context(), db.transaction():
        # An invoice from an older pattern already has the number A-1, so the first attempt must fail.
        db.session.add(Invoice(kind=InvoiceKind.INVOICE, client_id=world.client.id, currency="EUR", number="A-1"))
    with pytest.raises(UserError) as caught:
        issue(app, biller, first)
    assert "'A-1' is already used" in caught.value.message
    _set_setting(app, biller, "invoice_number_pattern", "B-{seq}")
    assert issue(app, biller, first) == "B-1"
    assert issue(app, biller, second) == "B-2"


def test_issue_refuses_empty_draft(app, make_user):
    world = make_world(app, make_user)
    invoice_id, _ = create_draft(app, world.biller, world.client)
    with pytest.raises(UserError) as caught:
        issue(app, SimpleNamespace(id=world.biller.id), invoice_id)
    assert "the draft has no lines" in caught.value.message


def test_issue_refuses_reopened_work(app, make_user):
    world = make_world(app, make_user)
    entry = add_entry(app, world.worker, world.project, 3600)
    invoice_id, _ = create_draft(app, world.biller, world.client)
    with app.app_context(), db.transaction():
        db.session.get(TimeEntry, entry).status = EntryStatus.SUBMITTED
    with pytest.raises(ConflictError) as caught:
        issue(app, SimpleNamespace(id=world.biller.id), invoice_id)
    assert "1 time entries and 0 expenses of this draft are no longer approved" in caught.value.message


def test_issue_twice_is_illegal(app, make_user):
    world = make_world(app, make_user)
    [invoice_id] = _drafts(app, world, 1)
    issue(app, world.biller, invoice_id)
    with pytest.raises(IllegalInvoiceTransition) as caught:
        issue(app, world.biller, invoice_id)
    assert caught.value.message == "cannot issue an invoice that is issued"


def _issue_in_threads(app, user_id: int, invoice_ids: list[int]) -> tuple[list[str], list[Exception]]:
    """Issue each invoice in its own thread and session, all released at the same moment."""
    barrier = threading.Barrier(len(invoice_ids))
    numbers: list[str] = []
    errors: list[Exception] = []

    def work(invoice_id: int) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                with db.transaction():
                    numbers.append(issue_invoice(db.session.get(User, user_id), invoice_id).number)
            except Exception as exc:  # collected and asserted on by the test
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(invoice_id,)) for invoice_id in invoice_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return numbers, errors


def test_concurrent_issuing_is_gapless(app, make_user):
    world = make_world(app, make_user)
    ids = _drafts(app, world, THREADS)
    numbers, errors = _issue_in_threads(app, world.biller.id, ids)
    year = _year(app, world.biller)
    assert errors == []
    assert sorted(numbers) == [f"{year}-{n:05d}" for n in range(1, THREADS + 1)]
    with app.app_context():
        stored = sorted(db.session.scalars(select(Invoice.number).where(Invoice.id.in_(ids))))
        assert stored == sorted(numbers)
        assert db.session.get(NumberSequence, f"invoice-{year}").next_value == THREADS + 1


def test_concurrent_issuing_of_one_draft_numbers_it_once(app, make_user):
    world = make_world(app, make_user)
    [invoice_id] = _drafts(app, world, 1)
    numbers, errors = _issue_in_threads(app, world.biller.id, [invoice_id] * 4)
    year = _year(app, world.biller)
    assert numbers == [f"{year}-00001"]
    assert [type(error) for error in errors] == [IllegalInvoiceTransition] * 3
    with app.app_context():
        assert db.session.get(NumberSequence, f"invoice-{year}").next_value == 2


def test_void_creates_credit_note_and_frees_work(app, make_user):
    world = make_world(app, make_user)
    vat = make_tax_rate(app, "VAT 19 %", 1900)
    entry = add_entry(app, world.worker, world.project, 6000)
    expense = add_expense(app, world.worker, world.project, 2380, 380)
    invoice_id, _ = create_draft(app, world.biller, world.client, tax_rate_ids=[vat], discount="10")
    number = issue(app, world.biller, invoice_id)
    with acting_as(app, world.biller):
        result = void_invoice(db.session.get(User, world.biller.id), invoice_id)
        credit_id = result.credit_note.id
        assert result.freed == {"time_entries_freed": 1, "expenses_freed": 1}
    invoice = load_invoice(app, invoice_id)
    credit = load_invoice(app, credit_id)
    year = _year(app, world.biller)
    assert invoice.status.value == "void"
    assert credit.kind is InvoiceKind.CREDIT_NOTE
    assert credit.number == f"CN-{year}-00001"
    assert credit.status.value == "issued"
    assert credit.credited_invoice_id == invoice_id
    assert credit.notes.startswith(f"Cancels invoice {number}")
    assert [line.amount_minor for line in credit.lines] == [-line.amount_minor for line in invoice.lines]
    assert [line.quantity for line in credit.lines] == [-line.quantity for line in invoice.lines]
    assert [[tax.name for tax in line.taxes] for line in credit.lines] == [["VAT 19 %"], ["VAT 19 %"]]
    for column in ("subtotal_minor", "discount_minor", "tax_minor", "total_minor"):
        assert getattr(credit, column) == -getattr(invoice, column)
    assert entry_invoice_ids(app, [entry]) == [None]
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.in_(["invoice.void", "credit_note.create"])).order_by(AuditEvent.id)))
        assert actions == ["credit_note.create", "invoice.void"]
        from app.models import Expense

        assert db.session.get(Expense, expense).invoice_id is None
    again_id, _ = create_draft(app, world.biller, world.client)
    assert entry_invoice_ids(app, [entry]) == [again_id]


def test_void_refuses_draft_and_credit_note(app, make_user):
    world = make_world(app, make_user)
    [invoice_id] = _drafts(app, world, 1)
    biller = SimpleNamespace(id=world.biller.id)
    with pytest.raises(IllegalInvoiceTransition) as caught:
        with acting_as(app, biller):
            void_invoice(db.session.get(User, biller.id), invoice_id)
    assert "delete the draft instead" in caught.value.message
    issue(app, biller, invoice_id)
    with acting_as(app, biller):
        credit_id = void_invoice(db.session.get(User, biller.id), invoice_id).credit_note.id
    with pytest.raises(IllegalInvoiceTransition) as caught:
        with acting_as(app, biller):
            void_invoice(db.session.get(User, biller.id), credit_id)
    assert caught.value.message == "cannot void a credit note that is issued"


def test_issue_date_back_dates_invoice(app, make_user):
    world = make_world(app, make_user)
    first, second = _drafts(app, world, 2)
    today = local_today(load_user(app, world.biller))
    with acting_as(app, world.biller) as session:
        invoice = issue_invoice(session.get(User, world.biller.id), first, issue_date=today - timedelta(days=40))
        assert invoice.due_date == today - timedelta(days=40) + timedelta(days=14)
    with acting_as(app, world.biller) as session:
        with pytest.raises(UserError, match="is before the newest invoice"):
            issue_invoice(session.get(User, world.biller.id), second, issue_date=today - timedelta(days=41))
    with acting_as(app, world.biller) as session:
        with pytest.raises(UserError, match="is in the future"):
            issue_invoice(session.get(User, world.biller.id), second, issue_date=today + timedelta(days=1))
    assert load_invoice(app, second).status.value == "draft"


def test_issue_date_form_rejects_bad_text(app, client, make_user):
    from tests.conftest import csrf_token, sign_in

    world = make_world(app, make_user)
    [invoice_id] = _drafts(app, world, 1)
    sign_in(client, world.biller.login)
    token = csrf_token(client, f"/invoices/{invoice_id}")
    response = client.post(f"/invoices/{invoice_id}/issue", data={"csrf_token": token, "issue_date": "31.03.2026"})
    assert response.status_code == 400
    assert "issue_date: &#39;31.03.2026&#39; is not a date" in response.get_data(as_text=True)
    assert load_invoice(app, invoice_id).status.value == "draft"


def load_user(app, user):
    with app.app_context():
        return db.session.get(User, user.id)


def test_issue_date_before_period_end_rejected(app, make_user):
    world = make_world(app, make_user)
    [invoice_id] = _drafts(app, world, 1)
    with acting_as(app, world.biller) as session:
        with pytest.raises(UserError, match="before the end of the billed period"):
            issue_invoice(session.get(User, world.biller.id), invoice_id, issue_date=date(2026, 2, 28))
    assert load_invoice(app, invoice_id).status.value == "draft"
