"""Clients through the web pages: create, edit, archive, client managers, scoping and audit."""
import html

import pytest
from sqlalchemy import select

from app import db
from app.models import AuditEvent, Client, User
from tests.conftest import csrf_token, sign_in
from tests.factories import make_client, make_project

VALID_CLIENT = {
    "name": "Globex AG",
    "address": "Bahnhofstrasse 1\r\n8001 Zürich",
    "contact_name": "Hank Scorpio",
    "contact_email": "hank@globex.example",
    "currency": "chf",
    "payment_terms_days": "14",
    "tax_id": "CHE-123.456.789",
}


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


def text(response) -> str:
    """The page as a reader sees it, with HTML entities such as &#39; decoded."""
    return html.unescape(response.get_data(as_text=True))


def events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def clients_named(app, name):
    with app.app_context():
        return list(db.session.scalars(select(Client).where(Client.name == name)))


@pytest.fixture
def admin_client(client, make_user):
    make_user("ada", "Administrator", name="Ada Admin")
    sign_in(client, "ada")
    return client


def test_client_create_saves_and_audits(admin_client, app):
    response = post(admin_client, "/clients/new", VALID_CLIENT)
    assert response.status_code == 302
    [saved] = clients_named(app, "Globex AG")
    assert saved.currency == "CHF"
    assert saved.payment_terms_days == 14
    assert saved.address == "Bahnhofstrasse 1\n8001 Zürich"
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Client Globex AG created." in page
    assert "Bahnhofstrasse 1\n8001 Zürich" in page
    [event] = events(app, "client.create")
    assert event.details["after"]["name"] == "Globex AG"
    assert event.object_id == str(saved.id)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("name", "", "name: a value is required"),
        ("name", "x" * 201, "the maximum is 200"),
        ("currency", "XYZ", "currency: currency 'XYZ' is not an ISO 4217 code"),
        ("currency", "", "is not an ISO 4217 code"),
        ("payment_terms_days", "366", "payment_terms_days: '366' is not a whole number from 0 to 365"),
        ("payment_terms_days", "-1", "'-1' is not a whole number from 0 to 365"),
        ("payment_terms_days", "ten", "'ten' is not a whole number"),
        ("contact_email", "hank-at-globex", "contact_email: 'hank-at-globex' is not a valid e-mail address"),
        ("tax_id", "T" * 61, "the maximum is 60"),
    ],
)
def test_client_create_bad_input(admin_client, app, field, value, expected):
    response = post(admin_client, "/clients/new", {**VALID_CLIENT, field: value})
    assert response.status_code == 400
    assert expected in text(response)
    assert clients_named(app, VALID_CLIENT["name"]) == []
    assert events(app, "client.create") == []


def test_client_create_reports_every_bad_field(admin_client, app):
    response = post(admin_client, "/clients/new", {**VALID_CLIENT, "currency": "EURO", "payment_terms_days": "x"})
    page = text(response)
    assert response.status_code == 400
    assert "currency 'EURO' is not an ISO 4217 code" in page
    assert "payment_terms_days: 'x'" in page


def test_client_duplicate_name_rejected(admin_client, app):
    make_client(app, "Globex AG")
    response = post(admin_client, "/clients/new", {**VALID_CLIENT, "name": "globex ag"})
    assert response.status_code == 400
    assert "a client named 'globex ag' already exists" in text(response)


def test_client_edit_saves_before_and_after(admin_client, app):
    acme = make_client(app, "Acme GmbH")
    response = post(admin_client, f"/clients/{acme.id}/edit", {**VALID_CLIENT, "name": "Acme AG", "currency": "EUR"})
    assert response.status_code == 302
    [event] = events(app, "client.update")
    assert event.details["before"]["name"] == "Acme GmbH"
    assert event.details["after"]["name"] == "Acme AG"
    assert event.details["after"]["payment_terms_days"] == 14


def test_client_edit_bad_input_saves_nothing(admin_client, app):
    acme = make_client(app, "Acme GmbH")
    response = post(admin_client, f"/clients/{acme.id}/edit",
                    {**VALID_CLIENT, "name": "Renamed", "currency": "EUR", "payment_terms_days": "999"})
    assert response.status_code == 400
    assert clients_named(app, "Acme GmbH") != []
    assert events(app, "client.update") == []


def test_client_currency_locked_once_projects_exist(admin_client, app):
    acme = make_client(app, "Acme GmbH", currency="EUR")
    make_project(app, acme, "ACME-1")
    response = post(admin_client, f"/clients/{acme.id}/edit", {**VALID_CLIENT, "name": "Acme GmbH", "currency": "USD"})
    assert response.status_code == 400
    assert "cannot replace EUR" in text(response)
    assert clients_named(app, "Acme GmbH")[0].currency == "EUR"


def test_client_archive_needs_projects_archived(admin_client, app):
    acme = make_client(app, "Acme GmbH")
    make_project(app, acme, "ACME-1")
    response = post(admin_client, f"/clients/{acme.id}/archive", {})
    assert response.status_code == 409
    assert "still has 1 active project(s) (ACME-1)" in text(response)
    assert clients_named(app, "Acme GmbH")[0].archived is False


def test_client_archive_and_unarchive(admin_client, app):
    acme = make_client(app, "Acme GmbH")
    assert post(admin_client, f"/clients/{acme.id}/archive", {}).status_code == 302
    assert clients_named(app, "Acme GmbH")[0].archived is True
    assert ">Acme GmbH</a>" not in admin_client.get("/clients/").get_data(as_text=True)
    assert ">Acme GmbH</a>" in admin_client.get("/clients/?archived=archived").get_data(as_text=True)
    assert post(admin_client, f"/clients/{acme.id}/archive", {}).status_code == 409
    assert post(admin_client, f"/clients/{acme.id}/unarchive", {}).status_code == 302
    assert [e.details["after"] for e in events(app, "client.archive")] == [{"archived": True}]
    assert [e.details["after"] for e in events(app, "client.unarchive")] == [{"archived": False}]


def test_client_list_filters_by_name(admin_client, app):
    make_client(app, "Acme GmbH")
    make_client(app, "Globex AG")
    page = admin_client.get("/clients/?name=glob").get_data(as_text=True)
    assert "Globex AG" in page
    assert "Acme GmbH" not in page


def test_client_list_paginates(admin_client, app):
    for number in range(55):
        make_client(app, f"Client {number:02d}")
    first = admin_client.get("/clients/").get_data(as_text=True)
    assert "Page 1 of 2 (55 in all)" in first
    assert "Client 49" in first
    assert "Client 50" not in first
    second = admin_client.get("/clients/?page=2").get_data(as_text=True)
    assert "Client 54" in second


def test_client_managers_add_and_remove(admin_client, app, make_user):
    carl = make_user("carl", "Client Manager", name="Carl Client")
    acme = make_client(app, "Acme GmbH")
    assert post(admin_client, f"/clients/{acme.id}/managers", {"user_id": str(carl.id)}).status_code == 302
    assert "Carl Client (carl)" in admin_client.get(f"/clients/{acme.id}").get_data(as_text=True)
    duplicate = post(admin_client, f"/clients/{acme.id}/managers", {"user_id": str(carl.id)})
    assert duplicate.status_code == 400
    assert "already manages" in text(duplicate)
    assert post(admin_client, f"/clients/{acme.id}/managers/{carl.id}/remove", {}).status_code == 302
    [added] = events(app, "client.add_manager")
    assert added.details == {"before": {"managers": []}, "after": {"managers": ["carl"]}}
    [removed] = events(app, "client.remove_manager")
    assert removed.details["after"] == {"managers": []}


def test_client_manager_unknown_user_rejected(admin_client, app):
    acme = make_client(app, "Acme GmbH")
    for value in ("999999", "abc", ""):
        response = post(admin_client, f"/clients/{acme.id}/managers", {"user_id": value})
        assert response.status_code == 400, value
    assert events(app, "client.add_manager") == []


def test_client_manager_sees_only_own_clients(client, app, make_user):
    carl = make_user("carl", "Client Manager")
    own = make_client(app, "Own Ltd", managers=[carl])
    foreign = make_client(app, "Foreign Ltd")
    sign_in(client, "carl")
    listing = client.get("/clients/").get_data(as_text=True)
    assert "Own Ltd" in listing
    assert "Foreign Ltd" not in listing
    assert client.get(f"/clients/{own.id}").status_code == 200
    assert client.get(f"/clients/{foreign.id}").status_code == 404


def test_client_manager_cannot_change_clients(client, app, make_user):
    carl = make_user("carl", "Client Manager")
    own = make_client(app, "Own Ltd", managers=[carl])
    sign_in(client, "carl")
    assert client.get("/clients/new").status_code == 403
    assert post(client, f"/clients/{own.id}/edit", VALID_CLIENT).status_code == 403
    assert post(client, f"/clients/{own.id}/archive", {}).status_code == 403
    assert "New client" not in client.get("/clients/").get_data(as_text=True)


def test_worker_cannot_open_clients(client, app, make_user):
    make_user("wanda", "Worker")
    acme = make_client(app)
    sign_in(client, "wanda")
    assert client.get("/clients/").status_code == 403
    assert client.get(f"/clients/{acme.id}").status_code == 403


def test_client_post_without_csrf_rejected(admin_client, app):
    response = admin_client.post("/clients/new", data=VALID_CLIENT)
    assert response.status_code == 400
    assert clients_named(app, "Globex AG") == []


def test_client_page_lists_projects_and_managers(admin_client, app, make_user):
    carl = make_user("carl", "Client Manager", name="Carl Client")
    acme = make_client(app, "Acme GmbH", managers=[carl])
    make_project(app, acme, "ACME-WEB", name="Website")
    page = admin_client.get(f"/clients/{acme.id}").get_data(as_text=True)
    assert "ACME-WEB" in page
    assert "Website" in page
    assert "Carl Client" in page
    with app.app_context():
        assert db.session.get(User, carl.id) is not None


def test_oversized_ids_and_odd_filters_not_server_errors(admin_client, app):
    for url in ("/clients/99999999999999999999", "/projects/99999999999999999999",
                "/projects/99999999999999999999/tasks/1/edit", "/admin/users/99999999999999999999/edit"):
        assert admin_client.get(url).status_code == 404, url
    assert admin_client.get("/clients/?name=%00acme").status_code == 400
    assert admin_client.get("/admin/users/?q=%00").status_code == 400
    response = post(admin_client, "/clients/new", {**VALID_CLIENT, "name": "Acme\x00GmbH"})
    assert response.status_code == 400
    assert "name: the value contains a control character" in text(response)
