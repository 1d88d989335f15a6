"""Rules of recording an expense: amounts in the person's locale, tax, currency, mileage, closed periods."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import company, db
from app.errors import UserError
from app.expenses import services
from app.expenses.services import ExpenseInput, compute_unit_amount
from app.models import AuditEvent, Expense, ExpenseStatus, User
from tests.conftest import acting_as, csrf_token, sign_in
from tests.expense_builders import category_id, load_expense, make_category, make_expense
from tests.factories import make_client, make_project


@pytest.fixture
def setup(app, make_user):
    def build(locale="en", profile="Worker", client_currency="EUR"):
        worker = make_user("wanda", profile, locale=locale)
        customer = make_client(app, currency=client_currency)
        project = make_project(app, customer, members=[worker])
        return worker, project

    return build


def _input(project, category, **fields) -> ExpenseInput:
    values = {"expense_date": date(2026, 2, 10), "project_id": project.id, "category_id": category, "amount": "10.00"}
    values.update(fields)
    return ExpenseInput(**values)


def _create(app, user, data):
    with acting_as(app, user):
        expense = services.create_expense(db.session.get(User, user.id), data)
        return expense.id


@pytest.mark.parametrize(
    ("quantity", "rate_minor", "currency", "expected_minor"),
    [
        ("100", 30, "EUR", 3000),
        ("12.35", 30, "EUR", 371),  # 3.705 rounds half-up to 3.71
        ("1.5", 33, "EUR", 50),  # 0.495 rounds half-up to 0.50
        ("0.05", 30, "EUR", 2),  # 0.015 rounds half-up to 0.02
        ("0.01", 30, "EUR", 0),  # 0.003 rounds down to zero
        ("2.5", 37, "JPY", 93),  # 92.5 yen, no minor unit, rounds half-up to 93
        ("10.25", 150, "BHD", 1538),  # 1.5375 dinar rounds half-up to 1.538
    ],
)
def test_mileage_amount_table(quantity, rate_minor, currency, expected_minor):
    assert compute_unit_amount(Decimal(quantity), rate_minor, currency) == expected_minor


@pytest.mark.parametrize(
    ("locale", "distance", "expected_quantity", "expected_minor"),
    [
        ("en", "12.35", Decimal("12.35"), 371),
        ("de", "12,35", Decimal("12.35"), 371),
        ("en", "1,000.5", Decimal("1000.50"), 30015),
        ("de", "1.000,5", Decimal("1000.50"), 30015),
    ],
)
def test_mileage_expense_computes_amount(app, setup, locale, distance, expected_quantity, expected_minor):
    worker, project = setup(locale=locale)
    mileage = category_id(app, "Mileage")
    expense_id = _create(app, worker, _input(project, mileage, amount="999", distance=distance))
    expense = load_expense(app, expense_id)
    assert expense.quantity == expected_quantity
    assert expense.amount_minor == expected_minor
    assert expense.currency == "EUR"


@pytest.mark.parametrize("distance", ["", "0", "-5", "1.234", "abc", "100001", "0.01"])
def test_mileage_distance_rejected(app, setup, distance):
    worker, project = setup()
    with pytest.raises(UserError) as caught:
        _create(app, worker, _input(project, category_id(app, "Mileage"), distance=distance))
    assert caught.value.field in {"distance", "amount"}


def test_mileage_uses_category_currency(app, setup):
    worker, project = setup(client_currency="USD")
    expense_id = _create(app, worker, _input(project, category_id(app, "Mileage"), distance="10", currency="USD"))
    expense = load_expense(app, expense_id)
    assert (expense.amount_minor, expense.currency) == (300, "EUR")


@pytest.mark.parametrize(
    ("locale", "text", "expected_minor"),
    [
        ("en", "12.50", 1250),
        ("en", "12", 1200),
        ("en", "1,234.50", 123450),
        ("en", "1234.5", 123450),
        ("de", "12,50", 1250),
        ("de", "1.234,50", 123450),
        ("de", "1234,5", 123450),
    ],
)
def test_amount_parsed_in_locale(app, setup, locale, text, expected_minor):
    worker, project = setup(locale=locale)
    expense_id = _create(app, worker, _input(project, category_id(app, "Meals"), amount=text))
    assert load_expense(app, expense_id).amount_minor == expected_minor


@pytest.mark.parametrize(
    ("locale", "text", "message_part"),
    [
        ("en", "1,234", "ambiguous"),
        ("de", "1.234", "ambiguous"),
        ("en", "12,50", "not a valid amount"),
        ("de", "12.50", "not a valid amount"),
        ("en", "12.505", "more than 2 decimals"),
        ("en", "-3", "negative"),
        ("en", "0", "not more than zero"),
        ("en", "", "missing"),
        ("en", "12 EUR", "not a valid amount"),
        ("en", "99999999", "largest amount"),
    ],
)
def test_amount_rejected(app, setup, locale, text, message_part):
    worker, project = setup(locale=locale)
    with pytest.raises(UserError) as caught:
        _create(app, worker, _input(project, category_id(app, "Meals"), amount=text))
    assert caught.value.field == "amount"
    assert message_part in caught.value.message


def test_tax_above_amount_rejected(app, setup):
    worker, project = setup()
    with pytest.raises(UserError) as caught:
        _create(app, worker, _input(project, category_id(app, "Meals"), amount="10.00", tax="10.01"))
    assert caught.value.field == "tax"
    assert "€10.01 is more than the amount €10.00" in caught.value.message


def test_tax_equal_to_amount_accepted(app, setup):
    worker, project = setup(locale="de")
    expense_id = _create(app, worker, _input(project, category_id(app, "Meals"), amount="10,00", tax="10"))
    assert load_expense(app, expense_id).tax_minor == 1000


def test_currency_defaults_to_client_currency(app, setup):
    worker, project = setup(client_currency="USD")
    expense_id = _create(app, worker, _input(project, category_id(app, "Meals"), currency=""))
    assert load_expense(app, expense_id).currency == "USD"


def test_currency_given_is_checked(app, setup):
    worker, project = setup()
    expense_id = _create(app, worker, _input(project, category_id(app, "Meals"), currency="chf"))
    assert load_expense(app, expense_id).currency == "CHF"
    with pytest.raises(UserError) as caught:
        _create(app, worker, _input(project, category_id(app, "Meals"), currency="XYZ"))
    assert caught.value.field == "currency"


def test_currency_decimals_follow_iso(app, setup):
    worker, project = setup()
    expense_id = _create(app, worker, _input(project, category_id(app, "Meals"), currency="JPY", amount="1500"))
    assert load_expense(app, expense_id).amount_minor == 1500
    with pytest.raises(UserError) as caught:
        _create(app, worker, _input(project, category_id(app, "Meals"), currency="JPY", amount="15.5"))
    assert "more than 0 decimals" in caught.value.message


def test_project_must_be_loggable(app, setup, make_user):
    worker, _ = setup()
    other = make_project(app, make_client(app, "Other Ltd"), "OTHER")
    with pytest.raises(UserError) as caught:
        _create(app, worker, _input(other, category_id(app, "Meals")))
    assert caught.value.field == "project_id"


def test_inactive_category_rejected_for_new_expense(app, setup):
    worker, project = setup()
    retired = make_category(app, "Phone", active=False)
    with pytest.raises(UserError) as caught:
        _create(app, worker, _input(project, retired))
    assert caught.value.field == "category_id"


def test_inactive_category_kept_on_edit(app, setup):
    worker, project = setup()
    retired = make_category(app, "Phone", active=False)
    expense_id = make_expense(app, worker, project, category="Phone")
    with acting_as(app, worker):
        user = db.session.get(User, worker.id)
        services.update_expense(user, expense_id, _input(project, retired, amount="20"))
    expense = load_expense(app, expense_id)
    assert (expense.category_id, expense.amount_minor) == (retired, 2000)


def test_notes_with_control_characters_rejected(app, setup):
    worker, project = setup()
    with pytest.raises(UserError) as caught:
        _create(app, worker, _input(project, category_id(app, "Meals"), notes="taxi\x00"))
    assert caught.value.field == "notes"


def test_date_far_ahead_rejected(app, setup):
    worker, project = setup()
    with pytest.raises(UserError) as caught:
        _create(app, worker, _input(project, category_id(app, "Meals"), expense_date=date(2099, 1, 1)))
    assert caught.value.field == "expense_date"


def _lock_until(app, user, day: str):
    with acting_as(app, user):
        company.set_value("locked_until", day)


@pytest.mark.parametrize(("day", "allowed"), [(date(2026, 1, 31), False), (date(2026, 1, 1), False),
                                              (date(2026, 2, 1), True)])
def test_locked_period_blocks_new_expense(app, setup, make_user, day, allowed):
    worker, project = setup()
    _lock_until(app, make_user("ada", "Administrator"), "2026-01-31")
    data = _input(project, category_id(app, "Meals"), expense_date=day)
    if allowed:
        assert _create(app, worker, data)
    else:
        with pytest.raises(UserError) as caught:
            _create(app, worker, data)
        assert caught.value.field == "expense_date"
        assert "closed period (up to and including 2026-01-31)" in caught.value.message


def test_locked_period_blocks_edit_and_delete(app, setup, make_user):
    worker, project = setup()
    expense_id = make_expense(app, worker, project, expense_date=date(2026, 1, 20))
    _lock_until(app, make_user("ada", "Administrator"), "2026-01-31")
    with acting_as(app, worker):
        user = db.session.get(User, worker.id)
        with pytest.raises(UserError):
            services.update_expense(user, expense_id, _input(project, category_id(app, "Travel"),
                                                             expense_date=date(2026, 2, 3)))
    with acting_as(app, worker):
        user = db.session.get(User, worker.id)
        with pytest.raises(UserError):
            services.delete_expense(user, expense_id)
    assert load_expense(app, expense_id).expense_date == date(2026, 1, 20)


def test_moving_expense_into_locked_period_rejected(app, setup, make_user):
    worker, project = setup()
    expense_id = make_expense(app, worker, project, expense_date=date(2026, 2, 20))
    _lock_until(app, make_user("ada", "Administrator"), "2026-01-31")
    with acting_as(app, worker):
        user = db.session.get(User, worker.id)
        with pytest.raises(UserError) as caught:
            services.update_expense(user, expense_id, _input(project, category_id(app, "Travel"),
                                                             expense_date=date(2026, 1, 31)))
    assert caught.value.field == "expense_date"


def test_reopen_permission_edits_locked_period(app, setup, make_user):
    manager, project = setup(profile="Project Manager")
    expense_id = make_expense(app, manager, project, expense_date=date(2026, 1, 20))
    _lock_until(app, make_user("ada", "Administrator"), "2026-01-31")
    with acting_as(app, manager):
        user = db.session.get(User, manager.id)
        services.update_expense(user, expense_id, _input(project, category_id(app, "Travel"),
                                                         expense_date=date(2026, 1, 21), amount="5"))
    assert load_expense(app, expense_id).amount_minor == 500


@pytest.mark.parametrize(("status", "editable"), [
    (ExpenseStatus.OPEN, True), (ExpenseStatus.REJECTED, True),
    (ExpenseStatus.SUBMITTED, False), (ExpenseStatus.APPROVED, False),
])
def test_editable_only_open_or_rejected(app, setup, status, editable):
    worker, project = setup()
    expense_id = make_expense(app, worker, project, status=status)
    with acting_as(app, worker):
        user = db.session.get(User, worker.id)
        data = _input(project, category_id(app, "Travel"), amount="42")
        if editable:
            services.update_expense(user, expense_id, data)
        else:
            with pytest.raises(UserError) as caught:
                services.update_expense(user, expense_id, data)
            assert f"this expense is {status.value}" in caught.value.message
    assert (load_expense(app, expense_id).amount_minor == 4200) is editable


def test_expense_changes_are_audited(app, setup):
    worker, project = setup()
    expense_id = _create(app, worker, _input(project, category_id(app, "Meals"), amount="10"))
    with acting_as(app, worker):
        user = db.session.get(User, worker.id)
        services.update_expense(user, expense_id, _input(project, category_id(app, "Meals"), amount="12.5"))
    with acting_as(app, worker):
        services.delete_expense(db.session.get(User, worker.id), expense_id)
    with app.app_context():
        events = list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "expense").order_by(AuditEvent.id)
        ))
        assert [e.action for e in events] == ["expense.create", "expense.update", "expense.delete"]
        assert events[0].details["after"]["amount_minor"] == 1000
        assert events[1].details["before"]["amount_minor"] == 1000
        assert events[1].details["after"]["amount_minor"] == 1250
        assert events[2].details["before"]["amount_minor"] == 1250
        assert {e.object_id for e in events} == {str(expense_id)}
        assert db.session.get(Expense, expense_id) is None


def test_unchanged_save_writes_no_audit_event(app, setup):
    worker, project = setup()
    expense_id = _create(app, worker, _input(project, category_id(app, "Meals"), amount="10"))
    with acting_as(app, worker):
        user = db.session.get(User, worker.id)
        services.update_expense(user, expense_id, _input(project, category_id(app, "Meals"), amount="10.00"))
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "expense")))
        assert actions == ["expense.create"]


def test_form_shows_error_next_to_field(app, client, setup):
    worker, project = setup(locale="de")
    sign_in(client, "wanda")
    response = client.post("/expenses/new", data={
        "csrf_token": csrf_token(client, "/expenses/new"), "expense_date": "2026-02-10",
        "project_id": str(project.id), "category_id": str(category_id(app, "Meals")), "amount": "1.234",
    })
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "&#39;1.234&#39; is ambiguous" in page
    assert "has-error" in page
    with app.app_context():
        assert db.session.scalar(select(Expense.id)) is None


def test_form_rejects_bad_date_text(app, client, setup):
    worker, project = setup()
    sign_in(client, "wanda")
    response = client.post("/expenses/new", data={
        "csrf_token": csrf_token(client, "/expenses/new"), "expense_date": "31.02.2026",
        "project_id": str(project.id), "category_id": str(category_id(app, "Meals")), "amount": "3",
    })
    assert response.status_code == 400
    assert "is not a date; use the form YYYY-MM-DD" in response.get_data(as_text=True)


def test_edit_form_shows_amount_in_locale(app, client, setup):
    worker, project = setup(locale="de")
    expense_id = make_expense(app, worker, project, amount_minor=123450, tax_minor=1999)
    sign_in(client, "wanda")
    page = client.get(f"/expenses/{expense_id}/edit").get_data(as_text=True)
    assert 'value="1234,50"' in page
    assert 'value="19,99"' in page
