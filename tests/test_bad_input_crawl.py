"""Every route, fed bad ids, bad query arguments and garbage forms, returns no 500."""
from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token, sign_in
from tests.factories import make_client, make_project

BAD_QUERY = {
    "page": "-3", "week": "2026-W99", "date": "2026-02-30", "start": "yesterday", "end": "31/31/2031",
    "status": "bogus", "client_id": "99999999999999", "project_id": "abc", "user_id": "-1", "q": "' OR 1=1 --",
    "grouping": "nonsense", "format": "exe", "next": "//evil.example",
}
GARBAGE_VALUES = ["", "abc", "-1", "1e309", "99999999999999999999", "2026-13-45", "1.234", "\u202e\u0000x", "x" * 5000]
FIELD_NAMES = [
    "name", "code", "login", "email", "currency", "amount", "tax", "tax_minor", "quantity", "distance", "date",
    "work_date", "expense_date", "start", "end", "duration", "notes", "project_id", "task_id", "client_id",
    "category_id", "user_id", "rate", "hourly_rate", "budget_hours", "budget_amount", "payment_terms_days",
    "timezone", "locale", "comment", "reason", "period_start", "period_end", "grouping", "discount",
    "description", "unit_price", "tax_rate_ids", "method", "reference", "payment_date", "locked_until",
    "title", "week", "profiles", "pattern", "invoice_number_pattern", "value", "rate_percent",
]


def _urls(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for value in ("1", "2147483647"):
            url = re.sub(r"<(?:int:)?[^>]+>", value, rule.rule)
            yield rule, url


@pytest.fixture
def admin_client(app, client, make_user):
    admin = make_user("ada", "Administrator")
    customer = make_client(app, managers=[admin])
    make_project(app, customer, manager=admin, members=[admin])
    sign_in(client, "ada")
    return client


def test_get_routes_survive_bad_ids_and_queries(app, admin_client):
    failures = []
    for rule, url in _urls(app):
        if "GET" not in rule.methods:
            continue
        for query in ({}, BAD_QUERY):
            response = admin_client.get(url, query_string=query)
            if response.status_code >= 500:
                failures.append(f"GET {url} {query and 'bad query'} -> {response.status_code}")
    assert failures == []


@pytest.mark.parametrize("garbage", GARBAGE_VALUES[:5])
def test_post_routes_survive_garbage_forms(app, admin_client, garbage):
    token = csrf_token(admin_client)
    failures = []
    for rule, url in _urls(app):
        if "POST" not in rule.methods or rule.endpoint == "auth.logout":
            continue
        form = {name: garbage for name in FIELD_NAMES}
        form["csrf_token"] = token
        response = admin_client.post(url, data=form)
        if response.status_code >= 500:
            failures.append(f"POST {url} with {garbage[:20]!r} -> {response.status_code}")
    assert failures == []


def test_post_routes_survive_odd_characters(app, admin_client):
    token = csrf_token(admin_client)
    failures = []
    for rule, url in _urls(app):
        if "POST" not in rule.methods or rule.endpoint == "auth.logout":
            continue
        for garbage in GARBAGE_VALUES[5:]:
            form = {name: garbage for name in FIELD_NAMES} | {"csrf_token": token}
            response = admin_client.post(url, data=form)
            if response.status_code >= 500:
                failures.append(f"POST {url} with {garbage[:20]!r} -> {response.status_code}")
    assert failures == []


def test_control_characters_rejected_with_field_name(app, admin_client):
    token = csrf_token(admin_client, "/clients/new")
    response = admin_client.post("/clients/new", data={"csrf_token": token, "name": "Acme\x00Evil", "currency": "EUR"})
    assert response.status_code == 400
    assert "name: the value contains a control character" in response.get_data(as_text=True)
    response = admin_client.get("/invoices/", query_string={"client": "1\x07"})
    assert response.status_code == 400
