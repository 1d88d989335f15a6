"""Expense list, scoping of lookups by id, and the category administration page."""
from datetime import date

import pytest
from sqlalchemy import select

from app import db
from app.expenses.services import visible_expenses_query
from app.models import AuditEvent, Expense, ExpenseCategory, ExpenseStatus, User
from tests.conftest import csrf_token, sign_in
from tests.expense_builders import make_expense
from tests.factories import count_queries, make_client, make_project


@pytest.fixture
def people(app, make_user):
    wanda = make_user("wanda", "Worker")
    otto = make_user("otto", "Worker")
    petra = make_user("petra", "Project Manager")
    alice = make_user("alice", "Account Manager")
    customer = make_client(app)
    alpha = make_project(app, customer, "ALPHA", manager=petra, members=[wanda, otto])
    beta = make_project(app, customer, "BETA", members=[wanda, otto])
    return {"wanda": wanda, "otto": otto, "petra": petra, "alice": alice, "alpha": alpha, "beta": beta}


def _visible_ids(app, login):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login == login))
        return sorted(db.session.scalars(visible_expenses_query(user).with_only_columns(Expense.id)))


def test_visible_expenses_query_scopes(app, people):
    wanda_alpha = make_expense(app, people["wanda"], people["alpha"])
    wanda_beta = make_expense(app, people["wanda"], people["beta"])
    otto_alpha = make_expense(app, people["otto"], people["alpha"])
    otto_beta = make_expense(app, people["otto"], people["beta"])
    petra_own = make_expense(app, people["petra"], people["alpha"])
    assert _visible_ids(app, "wanda") == [wanda_alpha, wanda_beta]
    assert _visible_ids(app, "otto") == [otto_alpha, otto_beta]
    assert _visible_ids(app, "petra") == sorted([wanda_alpha, otto_alpha, petra_own])
    assert _visible_ids(app, "alice") == sorted([wanda_alpha, wanda_beta, otto_alpha, otto_beta, petra_own])


@pytest.mark.parametrize("path", ["/expenses/{id}", "/expenses/{id}/edit", "/expenses/{id}/receipt"])
def test_changed_id_gives_not_found(app, client, people, path):
    foreign = make_expense(app, people["otto"], people["beta"])
    sign_in(client, "wanda")
    assert client.get(path.format(id=foreign)).status_code == 404
    assert client.get(path.format(id=foreign + 1000)).status_code == 404


def test_changed_id_cannot_delete(app, client, people):
    foreign = make_expense(app, people["otto"], people["beta"])
    sign_in(client, "wanda")
    response = client.post(f"/expenses/{foreign}/delete", data={"csrf_token": csrf_token(client, "/expenses/")})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Expense, foreign) is not None


def test_edit_cannot_move_to_foreign_project(app, client, people, make_user):
    outside = make_project(app, make_client(app, "Outside Ltd"), "OUT")
    expense_id = make_expense(app, people["wanda"], people["alpha"])
    sign_in(client, "wanda")
    response = client.post(f"/expenses/{expense_id}/edit", data={
        "csrf_token": csrf_token(client, "/expenses/"), "expense_date": "2026-01-05",
        "project_id": str(outside.id), "category_id": "1", "amount": "3",
    })
    assert response.status_code == 400
    assert "Choose one of your projects." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Expense, expense_id).project_id == people["alpha"].id


def test_list_shows_own_expenses_only(app, client, people):
    make_expense(app, people["wanda"], people["alpha"], notes="mine", amount_minor=1234)
    make_expense(app, people["otto"], people["alpha"], amount_minor=9999)
    sign_in(client, "wanda")
    page = client.get("/expenses/").get_data(as_text=True)
    assert "€12.34" in page
    assert "€99.99" not in page


def test_list_empty_state(app, client, people):
    sign_in(client, "wanda")
    assert "No expenses match." in client.get("/expenses/").get_data(as_text=True)


def test_list_filters(app, client, people):
    make_expense(app, people["wanda"], people["alpha"], expense_date=date(2026, 1, 3), amount_minor=101)
    make_expense(app, people["wanda"], people["beta"], expense_date=date(2026, 1, 10), amount_minor=202)
    make_expense(app, people["wanda"], people["alpha"], expense_date=date(2026, 2, 1), amount_minor=303,
                 status=ExpenseStatus.SUBMITTED)
    sign_in(client, "wanda")

    def amounts(query):
        response = client.get("/expenses/", query_string=query)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        return [value for value in ("€1.01", "€2.02", "€3.03") if value in text]

    assert amounts({}) == ["€1.01", "€2.02", "€3.03"]
    assert amounts({"date_from": "2026-01-05", "date_to": "2026-01-31"}) == ["€2.02"]
    assert amounts({"project": str(people["alpha"].id)}) == ["€1.01", "€3.03"]
    assert amounts({"status": "submitted"}) == ["€3.03"]
    assert amounts({"status": "open", "project": str(people["alpha"].id)}) == ["€1.01"]


@pytest.mark.parametrize("query", [
    {"date_from": "2026-02-30"}, {"date_from": "2026-03-01", "date_to": "2026-02-01"}, {"status": "bogus"},
    {"project": "abc"}, {"project": "99999999999999"},
])
def test_list_bad_filter_is_400(app, client, people, query):
    sign_in(client, "wanda")
    response = client.get("/expenses/", query_string=query)
    assert response.status_code == 400
    assert "has-error" in response.get_data(as_text=True)


def test_list_total_per_currency(app, client, people):
    make_expense(app, people["wanda"], people["alpha"], amount_minor=1000)
    make_expense(app, people["wanda"], people["alpha"], amount_minor=550)
    make_expense(app, people["wanda"], people["alpha"], amount_minor=700, currency="USD")
    sign_in(client, "wanda")
    page = client.get("/expenses/").get_data(as_text=True)
    assert "<strong>€15.50</strong>" in page
    assert "<strong>$7.00</strong>" in page


def test_list_paginated(app, client, people):
    with app.app_context(), db.transaction():
        for day in range(1, 56):
            db.session.add(Expense(user_id=people["wanda"].id, project_id=people["alpha"].id, category_id=1,
                                   expense_date=date(2026, 1, 1 + day % 28), amount_minor=day, currency="EUR"))
    sign_in(client, "wanda")
    first = client.get("/expenses/").get_data(as_text=True)
    assert "Page 1 of 2 (55 in all)" in first
    second = client.get("/expenses/?page=2").get_data(as_text=True)
    assert second.count("<tr>") == 5 + 1


def test_list_query_count_constant(app, client, people):
    sign_in(client, "alice")
    for _ in range(3):
        make_expense(app, people["wanda"], people["alpha"])
    with count_queries(app) as few:
        client.get("/expenses/")
    with app.app_context(), db.transaction():
        for number in range(40):
            owner = people["wanda"] if number % 2 else people["otto"]
            project = people["alpha"] if number % 3 else people["beta"]
            db.session.add(Expense(user_id=owner.id, project_id=project.id, category_id=1 + number % 5,
                                   expense_date=date(2026, 1, 5), amount_minor=number + 1, currency="EUR"))
    with count_queries(app) as many:
        page = client.get("/expenses/").get_data(as_text=True)
    assert "Wanda" in page
    assert "Otto" in page
    assert many.count == few.count


def test_new_form_offers_only_loggable_projects(app, client, people):
    make_project(app, make_client(app, "Elsewhere"), "HIDDEN")
    sign_in(client, "wanda")
    page = client.get("/expenses/new").get_data(as_text=True)
    assert "ALPHA" in page
    assert "HIDDEN" not in page
    assert 'data-unit="km"' in page


def test_categories_page_needs_settings_permission(app, client, people):
    sign_in(client, "wanda")
    assert client.get("/expenses/categories/").status_code == 403
    assert client.get("/expenses/categories/new").status_code == 403


@pytest.fixture
def admin_client(app, client, make_user):
    make_user("ada", "Administrator", locale="de")
    sign_in(client, "ada")
    return client


def test_category_created_with_locale_rate(app, admin_client):
    response = admin_client.post("/expenses/categories/new", data={
        "csrf_token": csrf_token(admin_client, "/expenses/categories/new"), "name": "Motorbike",
        "unit": "km", "unit_rate": "0,42", "currency": "eur", "active": "y",
    })
    assert response.status_code == 302
    with app.app_context():
        category = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.name == "Motorbike"))
        assert (category.unit, category.unit_rate_minor, category.currency, category.active) == ("km", 42, "EUR", True)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "expense_category.create"))
        assert event.details["after"]["unit_rate_minor"] == 42
    page = admin_client.get("/expenses/categories/").get_data(as_text=True)
    assert "Motorbike" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "meals"}, "A category called &#39;meals&#39; exists already"),
        ({"name": ""}, "Enter a name."),
        ({"unit": "km"}, "Give both a unit and a rate per unit"),
        ({"unit_rate": "0,30"}, "Give both a unit and a rate per unit"),
        ({"unit": "km", "unit_rate": "0"}, "is not more than zero"),
        ({"unit": "km", "unit_rate": "1.234"}, "is ambiguous"),
        ({"currency": "EURO"}, "is not an ISO 4217 code"),
    ],
)
def test_category_bad_input_rejected(app, admin_client, fields, message):
    data = {"csrf_token": csrf_token(admin_client, "/expenses/categories/new"), "name": "Parking", "unit": "",
            "unit_rate": "", "currency": "EUR"}
    data.update(fields)
    response = admin_client.post("/expenses/categories/new", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.name == "Parking")) is None


def test_category_edit_deactivates_and_audits(app, admin_client):
    with app.app_context():
        mileage = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.name == "Mileage"))
    page = admin_client.get(f"/expenses/categories/{mileage.id}/edit").get_data(as_text=True)
    assert 'value="0,30"' in page
    response = admin_client.post(f"/expenses/categories/{mileage.id}/edit", data={
        "csrf_token": csrf_token(admin_client, "/expenses/categories/"), "name": "Mileage", "unit": "km",
        "unit_rate": "0,35", "currency": "EUR",
    })
    assert response.status_code == 302
    with app.app_context():
        category = db.session.get(ExpenseCategory, mileage.id)
        assert (category.unit_rate_minor, category.active) == (35, False)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "expense_category.update"))
        assert event.details["before"] == {"name": "Mileage", "unit": "km", "unit_rate_minor": 30, "currency": "EUR",
                                           "active": True}
        assert event.details["after"]["active"] is False
