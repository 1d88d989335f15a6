"""Company settings page: saving, validation of every field and number patterns."""
import html
from datetime import date

import pytest
from sqlalchemy import select

from app import company, db
from app.admin.settings_services import check_number_pattern, next_number_example
from app.errors import UserError
from app.models import AuditEvent, NumberSequence
from tests.conftest import csrf_token, sign_in

VALID_SETTINGS = {
    "company_name": "Initech GmbH",
    "company_address": "Am Markt 3\r\n04109 Leipzig",
    "company_tax_id": "DE123456789",
    "company_email": "billing@initech.example",
    "company_bank_details": "IBAN DE02 1203 0000 0000 2020 51\r\nBIC BYLADEM1001",
    "default_currency": "eur",
    "allow_overlapping_entries": "y",
    "invoice_number_pattern": "INV-{year}-{seq:04d}",
    "credit_note_number_pattern": "CN-{seq}",
    "session_idle_minutes": "30",
    "session_absolute_minutes": "720",
    "public_session_idle_minutes": "5",
    "public_session_absolute_minutes": "60",
    "public_networks": "",
}


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def settings(app):
    with app.app_context():
        return company.get_all()


def events(app):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.change")))


@pytest.fixture
def admin(client, make_user):
    user = make_user("ada", "Administrator")
    sign_in(client, "ada")
    return user


def test_settings_page_shows_defaults_and_example(client, admin):
    page = text(client.get("/admin/settings"))
    assert 'value="Our Company"' in page
    assert f"the next invoice gets number <strong>{date.today().year}-00001</strong>" in page
    assert f"the next credit note gets number <strong>CN-{date.today().year}-00001</strong>" in page


def test_settings_save_each_change_audited(client, admin, app):
    response = post(client, "/admin/settings", VALID_SETTINGS)
    assert response.status_code == 302
    saved = settings(app)
    assert saved["company_name"] == "Initech GmbH"
    assert saved["company_address"] == "Am Markt 3\n04109 Leipzig"
    assert saved["default_currency"] == "EUR"
    assert saved["allow_overlapping_entries"] is True
    assert saved["invoice_number_pattern"] == "INV-{year}-{seq:04d}"
    changes = {e.object_id: e.details for e in events(app)}
    assert changes["company_name"] == {"before": {"company_name": "Our Company"},
                                       "after": {"company_name": "Initech GmbH"}}
    assert changes["allow_overlapping_entries"]["after"] == {"allow_overlapping_entries": True}
    assert "company_tax_id" in changes
    page = text(client.get("/admin/settings"))
    assert f"<strong>INV-{date.today().year}-0001</strong>" in page


def test_settings_unchecked_box_turns_off(client, admin, app):
    post(client, "/admin/settings", VALID_SETTINGS)
    data = dict(VALID_SETTINGS)
    del data["allow_overlapping_entries"]
    post(client, "/admin/settings", data)
    assert settings(app)["allow_overlapping_entries"] is False


def test_settings_unchanged_writes_no_event(client, admin, app):
    post(client, "/admin/settings", VALID_SETTINGS)
    before = len(events(app))
    response = post(client, "/admin/settings", VALID_SETTINGS)
    assert response.status_code == 302
    assert len(events(app)) == before
    assert "Nothing changed." in client.get("/admin/settings").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("company_name", "", "company_name: a value is required"),
        ("company_email", "billing(at)initech", "company_email: 'billing(at)initech' is not a valid e-mail address"),
        ("default_currency", "ABC", "default_currency: currency 'ABC' is not an ISO 4217 code"),
        ("company_tax_id", "D" * 61, "the maximum is 60"),
        ("invoice_number_pattern", "INV-{year}", "invoice_number_pattern: 'INV-{year}' must contain {seq} exactly once"),
        ("invoice_number_pattern", "{seq}-{seq}", "must contain {seq} exactly once"),
        ("invoice_number_pattern", "{seq}-{month}", "contains {month}, but only {seq} and {year} are allowed"),
        ("invoice_number_pattern", "{seq.__class__}", "contains {seq.__class__}, but only {seq} and {year}"),
        ("invoice_number_pattern", "{seq!r}", "only {seq} and {year} are allowed"),
        ("invoice_number_pattern", "{seq:>10}", "has the format '>10' for {seq}, which is not a digit width"),
        ("invoice_number_pattern", "{seq:05d", "has a { or } without its partner"),
        ("invoice_number_pattern", "INV}{seq}", "has a { or } without its partner"),
        ("credit_note_number_pattern", "CN<{seq}>", "contains characters other than letters, digits"),
        ("credit_note_number_pattern", "", "must contain {seq} exactly once"),
        ("credit_note_number_pattern", "A" * 35 + "{seq}", "can give numbers longer than 40 characters"),
    ],
)
def test_settings_bad_input(client, admin, app, field, value, expected):
    response = post(client, "/admin/settings", {**VALID_SETTINGS, field: value})
    assert response.status_code == 400
    assert expected in text(response)
    assert settings(app)["company_name"] == "Our Company"
    assert events(app) == []


@pytest.mark.parametrize("pattern", ["{seq}", "{year}-{seq:05d}", "INV/{year}/{seq:6d}", "#{seq:d}", "{year:d}.{seq}",
                                     "R {seq:03}"])
def test_number_pattern_accepted(pattern):
    assert check_number_pattern(pattern, field="invoice_number_pattern") == pattern


def test_number_pattern_message_names_field():
    with pytest.raises(UserError) as caught:
        check_number_pattern("{day}-{seq}", field="credit_note_number_pattern")
    assert caught.value.field == "credit_note_number_pattern"
    assert caught.value.message.startswith("credit_note_number_pattern: '{day}-{seq}'")
    assert "for example {year}-{seq:05d}" in caught.value.message


def test_next_number_uses_sequence(app):
    with app.app_context(), db.transaction():
        db.session.add(NumberSequence(name="invoice-2026", next_value=42))
        db.session.add(NumberSequence(name="credit_note", next_value=7))
    with app.app_context():
        today = date(2026, 5, 1)
        assert next_number_example("invoice_number_pattern", "{year}-{seq:05d}", today) == "2026-00042"
        assert next_number_example("invoice_number_pattern", "{year}-{seq:05d}", date(2027, 1, 1)) == "2027-00001"
        assert next_number_example("credit_note_number_pattern", "CN-{seq}", today) == "CN-7"


def test_settings_needs_permission(client, make_user):
    make_user("pia", "Project Manager")
    sign_in(client, "pia")
    assert client.get("/admin/settings").status_code == 403
    assert post(client, "/admin/settings", VALID_SETTINGS).status_code == 403


def test_default_currency_prefills_new_forms(client, admin, app):
    post(client, "/admin/settings", {**VALID_SETTINGS, "default_currency": "CHF"})
    assert 'value="CHF"' in client.get("/clients/new").get_data(as_text=True)
    assert 'value="CHF"' in client.get("/admin/users/new").get_data(as_text=True)
