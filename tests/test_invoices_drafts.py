"""Building drafts from approved work: grouping, rates, expenses, fixed fees and reservation."""
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app import db
from app.errors import UserError
from app.models import AuditEvent, BillingMethod, EntryStatus, Expense, ExpenseStatus, Project, TimeEntry, User
from tests.conftest import acting_as
from tests.factories import make_client, make_project
from tests.invoice_builders import (
    add_entry, add_expense, create_draft, entry_invoice_ids, load_invoice, make_tax_rate, make_world,
)


def _lines(app, invoice_id):
    invoice = load_invoice(app, invoice_id)
    return [(line.kind.value, line.description, line.quantity, line.unit_price_minor, line.amount_minor)
            for line in invoice.lines]


@pytest.fixture
def two_people(app, make_user):
    """Wanda at the project rate of 100.00 and Xavier at a member rate of 120.00."""
    world = make_world(app, make_user)
    xavier = make_user("xavier", "Worker", name="Xavier Expert")
    with app.app_context(), db.transaction():
        project = db.session.get(Project, world.project.id)
        from app.models import ProjectMember

        project.members.append(ProjectMember(user_id=xavier.id, hourly_rate_minor=12000))
    entries = [
        add_entry(app, world.worker, world.project, 5400, date(2026, 3, 10)),
        add_entry(app, world.worker, world.project, 1800, date(2026, 3, 11), notes="code review"),
        add_entry(app, world.worker, world.project, 3600, date(2026, 3, 12), task="Design"),
        add_entry(app, xavier, world.project, 7200, date(2026, 3, 10)),
    ]
    return world, entries


@pytest.mark.parametrize(("grouping", "expected"), [
    ("task", [
        ("time", "ACME-1 Project ACME-1: Design", Decimal("1"), 10000, 10000),
        ("time", "ACME-1 Project ACME-1: Development", Decimal("2"), 10000, 20000),
        ("time", "ACME-1 Project ACME-1: Development", Decimal("2"), 12000, 24000),
    ]),
    ("person", [
        ("time", "ACME-1 Project ACME-1: Wanda Worker", Decimal("3"), 10000, 30000),
        ("time", "ACME-1 Project ACME-1: Xavier Expert", Decimal("2"), 12000, 24000),
    ]),
    ("entry", [
        ("time", "2026-03-10 Wanda Worker, ACME-1 Project ACME-1: Development", Decimal("1.5"), 10000, 15000),
        ("time", "2026-03-10 Xavier Expert, ACME-1 Project ACME-1: Development", Decimal("2"), 12000, 24000),
        ("time", "2026-03-11 Wanda Worker, ACME-1 Project ACME-1: Development (code review)", Decimal("0.5"), 10000,
         5000),
        ("time", "2026-03-12 Wanda Worker, ACME-1 Project ACME-1: Design", Decimal("1"), 10000, 10000),
    ]),
])
def test_draft_grouping_modes(app, two_people, grouping, expected):
    world, entries = two_people
    invoice_id, warnings = create_draft(app, world.biller, world.client, grouping=grouping)
    assert warnings == []
    assert _lines(app, invoice_id) == expected
    invoice = load_invoice(app, invoice_id)
    assert invoice.total_minor == 54000
    assert invoice.status.value == "draft"
    assert invoice.number is None
    assert entry_invoice_ids(app, entries) == [invoice_id] * 4


def test_draft_skips_ineligible_work(app, make_user):
    """Unapproved, non-billable, out-of-period and non-billable-project work stays out."""
    world = make_world(app, make_user)
    billed = add_entry(app, world.worker, world.project, 3600)
    skipped = [
        add_entry(app, world.worker, world.project, 3600, status=EntryStatus.SUBMITTED),
        add_entry(app, world.worker, world.project, 3600, billable=False),
        add_entry(app, world.worker, world.project, 3600, date(2026, 4, 1)),
        add_entry(app, world.worker, world.project, 3600, date(2026, 2, 28)),
    ]
    internal = make_project(app, world.client, "INT", members=[world.worker],
                            billing_method=BillingMethod.NON_BILLABLE)
    skipped.append(add_entry(app, world.worker, internal, 3600, task=None))
    invoice_id, _ = create_draft(app, world.biller, world.client)
    assert entry_invoice_ids(app, [billed]) == [invoice_id]
    assert entry_invoice_ids(app, skipped) == [None] * 5
    assert load_invoice(app, invoice_id).total_minor == 10000


def test_expenses_billed_net_with_draft_taxes(app, make_user):
    world = make_world(app, make_user)
    vat = make_tax_rate(app, "VAT 19 %", 1900)
    add_expense(app, world.worker, world.project, 11900, 1900)                # 100.00 net
    add_expense(app, world.worker, world.project, 5950, 950)                  # 50.00 net
    add_expense(app, world.worker, world.project, 3000, 0, category="Meals")  # no tax inside
    foreign = add_expense(app, world.worker, world.project, 5000, currency="USD")
    not_billable = add_expense(app, world.worker, world.project, 5000, billable=False)
    open_expense = add_expense(app, world.worker, world.project, 5000, status=ExpenseStatus.SUBMITTED)
    invoice_id, warnings = create_draft(app, world.biller, world.client, tax_rate_ids=[vat])
    lines = _lines(app, invoice_id)
    assert lines == [
        ("expense", "ACME-1 Project ACME-1: Meals (1 expense)", Decimal("1"), 3000, 3000),
        ("expense", "ACME-1 Project ACME-1: Travel (2 expenses)", Decimal("1"), 15000, 15000),
    ]
    invoice = load_invoice(app, invoice_id)
    assert [tax.name for line in invoice.lines for tax in line.taxes] == ["VAT 19 %", "VAT 19 %"]
    assert invoice.tax_minor == 3420
    assert invoice.total_minor == 21420
    assert warnings == ["1 expenses in a currency other than EUR were left out; add them as manual lines "
                        "converted to the invoice currency"]
    with app.app_context():
        left = db.session.scalars(select(Expense.invoice_id).where(Expense.id.in_([foreign, not_billable, open_expense])))
        assert list(left) == [None, None, None]


def test_fixed_fee_billed_once_per_project(app, make_user):
    world = make_world(app, make_user, billing_method=BillingMethod.FIXED_FEE, fixed_fee_minor=500000)
    first = add_entry(app, world.worker, world.project, 7200, date(2026, 3, 3))
    first_id, warnings = create_draft(app, world.biller, world.client)
    assert warnings == []
    assert _lines(app, first_id) == [
        ("fixed_fee", "ACME-1 Project ACME-1: fixed fee (2:00 h of work)", Decimal("1"), 500000, 500000),
    ]
    later = add_entry(app, world.worker, world.project, 3600, date(2026, 4, 3))
    second_id, warnings = create_draft(app, world.biller, world.client, period=(date(2026, 4, 1), date(2026, 4, 30)))
    assert _lines(app, second_id) == []
    assert warnings == ["the fixed fee of ACME-1 is already on another invoice; its 1 time entries in this period "
                        "are attached to this draft without a charge"]
    assert entry_invoice_ids(app, [first, later]) == [first_id, second_id]


def test_fixed_fee_project_without_fee_leaves_work_out(app, make_user):
    world = make_world(app, make_user, billing_method=BillingMethod.FIXED_FEE)
    entry = add_entry(app, world.worker, world.project, 3600)
    invoice_id, warnings = create_draft(app, world.biller, world.client)
    assert _lines(app, invoice_id) == []
    assert "ACME-1 is a fixed-fee project without a fee" in warnings[0]
    assert entry_invoice_ids(app, [entry]) == [None]


def test_entries_without_rate_are_left_out_with_warning(app, make_user):
    world = make_world(app, make_user, rate_minor=None)
    entry = add_entry(app, world.worker, world.project, 3600)
    invoice_id, warnings = create_draft(app, world.biller, world.client)
    assert _lines(app, invoice_id) == []
    assert warnings == ["1 time entries were left out because no hourly rate in EUR is set for Wanda Worker on "
                        "ACME-1; set a member, task or project rate and create the invoice again"]
    assert entry_invoice_ids(app, [entry]) == [None]


def test_person_rate_in_other_currency_is_not_used(app, make_user):
    world = make_world(app, make_user, currency="JPY", rate_minor=None)
    with app.app_context(), db.transaction():
        worker = db.session.get(User, world.worker.id)
        worker.default_rate_minor, worker.currency = 9000, "EUR"
    add_entry(app, world.worker, world.project, 3600)
    invoice_id, warnings = create_draft(app, world.biller, world.client)
    assert _lines(app, invoice_id) == []
    assert "no hourly rate in JPY" in warnings[0]


def test_second_draft_cannot_take_reserved_entries(app, make_user):
    world = make_world(app, make_user)
    entry = add_entry(app, world.worker, world.project, 3600)
    first_id, _ = create_draft(app, world.biller, world.client)
    second_id, _ = create_draft(app, world.biller, world.client)
    assert len(_lines(app, first_id)) == 1
    assert _lines(app, second_id) == []
    assert entry_invoice_ids(app, [entry]) == [first_id]


def test_deleting_draft_frees_entries(app, make_user):
    from app.invoices.services import delete_draft

    world = make_world(app, make_user)
    entry = add_entry(app, world.worker, world.project, 3600)
    expense = add_expense(app, world.worker, world.project, 1000)
    first_id, _ = create_draft(app, world.biller, world.client)
    with acting_as(app, world.biller):
        delete_draft(db.session.get(User, world.biller.id), first_id)
    assert entry_invoice_ids(app, [entry]) == [None]
    with app.app_context():
        assert db.session.scalar(select(Expense.invoice_id).where(Expense.id == expense)) is None
        deleted = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invoice.delete"))
        assert deleted.details["time_entries_freed"] == 1
        assert deleted.details["expenses_freed"] == 1
    again_id, _ = create_draft(app, world.biller, world.client)
    assert entry_invoice_ids(app, [entry]) == [again_id]


def test_draft_creation_is_audited(app, make_user):
    world = make_world(app, make_user)
    add_entry(app, world.worker, world.project, 3600)
    invoice_id, _ = create_draft(app, world.biller, world.client)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invoice.create"))
        assert event.object_id == str(invoice_id)
        assert event.details["after"]["status"] == "draft"
        assert event.details["after"]["total_minor"] == 10000
        assert event.login == "anna"


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"grouping": "month"}, "grouping", "'month' is not a grouping"),
    ({"period": (date(2026, 3, 31), date(2026, 3, 1))}, "period_end", "2026-03-01 is before the start 2026-03-31"),
    ({"discount": "120"}, "discount", "'120' is more than 100 %"),
    ({"tax_rate_ids": [999]}, "tax_rates", "tax rate 999 does not exist or is no longer active"),
])
def test_draft_bad_input_saves_nothing(app, make_user, fields, field, message):
    world = make_world(app, make_user)
    entry = add_entry(app, world.worker, world.project, 3600)
    with pytest.raises(UserError) as caught:
        create_draft(app, world.biller, world.client, **fields)
    assert caught.value.field == field
    assert message in caught.value.message
    assert entry_invoice_ids(app, [entry]) == [None]
    with app.app_context():
        assert db.session.scalar(select(TimeEntry.invoice_id).where(TimeEntry.id == entry)) is None


def test_inactive_tax_rate_is_refused(app, make_user):
    world = make_world(app, make_user)
    old = make_tax_rate(app, "Old VAT 16 %", 1600, active=False)
    with pytest.raises(UserError) as caught:
        create_draft(app, world.biller, world.client, tax_rate_ids=[old])
    assert "no longer active" in caught.value.message


def test_client_outside_scope_is_not_found(app, make_user):
    from werkzeug.exceptions import NotFound

    world = make_world(app, make_user)
    carl = make_user("carl", "Client Manager")
    other = make_client(app, "Other Ltd", managers=[carl])
    # A failed transaction expires the builders' objects, so the test keeps plain ids.
    carl, other = SimpleNamespace(id=carl.id), SimpleNamespace(id=other.id)
    with pytest.raises(NotFound):
        create_draft(app, carl, world.client)
    invoice_id, _ = create_draft(app, carl, other)
    assert load_invoice(app, invoice_id).client_id == other.id


def test_concurrent_drafts_take_each_entry_once(app, make_user):
    import threading

    from app.invoices.drafts import create_draft_invoice

    world = make_world(app, make_user)
    entries = [add_entry(app, world.worker, world.project, 3600, date(2026, 3, day)) for day in range(1, 6)]
    biller_id, client_id = world.biller.id, world.client.id
    barrier = threading.Barrier(4)
    created: list[int] = []
    errors: list[Exception] = []

    def work() -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                with db.transaction():
                    result = create_draft_invoice(db.session.get(User, biller_id), client_id=client_id,
                                                  period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
                                                  grouping="entry", tax_rate_ids=[])
                    created.append(result.invoice.id)
            except Exception as exc:  # collected and asserted on by the test
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(created) == 4
    line_counts = sorted(len(load_invoice(app, invoice_id).lines) for invoice_id in created)
    assert line_counts == [0, 0, 0, 5]
    owners = set(entry_invoice_ids(app, entries))
    assert len(owners) == 1
