"""Audit trail filters, the CSV export (itself audited), record fields and redaction of secrets."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app import db
from app.audit.service import record
from app.models import AuditEvent
from tests.conftest import acting_as, csrf_token, sign_in


def _events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _export(client, **filters):
    return client.post("/audit/export", data={**filters, "csrf_token": csrf_token(client, "/audit/")})


def _rows(response) -> list[dict]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def admin(client, make_user):
    user = make_user("ada", "Administrator")
    sign_in(client, "ada")
    return user


def test_audit_export_admin_gets_all_and_is_audited(app, client, admin, make_user):
    make_user("bob", "Worker")
    response = _export(client)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="trackerbox-audit.csv"'
    rows = _rows(response)
    assert [row["action"] for row in rows] == ["user.create", "auth.login", "user.create"]
    assert rows[2]["login"] == ""
    assert rows[1]["login"] == "ada"
    assert rows[1]["profiles"] == "Administrator"
    [export] = _events(app, "audit.export")
    assert export.details == {"rows": 3, "scope": "all"}
    assert export.login == "ada"


def test_audit_export_worker_gets_own_only(app, client, make_user):
    make_user("ada", "Administrator")
    make_user("wanda", "Worker")
    sign_in(client, "ada", "wrong password here")
    sign_in(client, "wanda")
    rows = _rows(_export(client))
    assert {row["login"] for row in rows} == {"wanda"}
    [export] = _events(app, "audit.export")
    assert export.details["scope"] == "own"


def test_audit_export_escapes_formulas(app, client, admin):
    with acting_as(app, admin):
        record("client.update", object_type="client", object_id="=HYPERLINK(1)",
               details={"after": {"name": "=cmd|' /C calc'!A0"}})
    rows = _rows(_export(client, action="client."))
    assert len(rows) == 1
    assert rows[0]["object_id"] == "'=HYPERLINK(1)"
    assert rows[0]["details"].startswith("{")
    assert rows[0]["id"].isdigit()


@pytest.mark.parametrize(("filters", "expected"), [
    ({"login": "BOB"}, ["auth.login_failed"]),
    ({"action": "auth.login"}, ["auth.login", "auth.login_failed"]),
    ({"outcome": "failure"}, ["auth.login_failed"]),
    ({"object_type": "user", "object_id": "2"}, ["auth.login_failed", "user.create"]),
    ({"ip": "127.0.0.1", "action": "auth."}, ["auth.login", "auth.login_failed"]),
    ({"ip": "192.0.2.1"}, []),
    ({"since": "2000-01-01", "until": "2000-12-31"}, []),
])
def test_audit_filters_select_records(app, client, make_user, filters, expected):
    make_user("ada", "Administrator")
    make_user("bob", "Worker")
    sign_in(client, "bob", "wrong password here")
    sign_in(client, "ada")
    rows = _rows(_export(client, **filters))
    assert sorted(row["action"] for row in rows) == expected


@pytest.mark.parametrize(("filters", "message"), [
    ({"since": "31.12.2026"}, "since: '31.12.2026' is not a date"),
    ({"ip": "300.1.1.1"}, "ip: '300.1.1.1' is not an IP address"),
    ({"outcome": "maybe"}, "outcome: 'maybe' is not one of success, failure"),
    ({"since": "2026-03-02", "until": "2026-03-01"}, "until: 2026-03-01 is before the start date 2026-03-02"),
])
def test_audit_filters_reject_bad_values(app, client, admin, filters, message):
    page = client.get("/audit/", query_string=filters)
    assert page.status_code == 400
    assert message in page.get_data(as_text=True).replace("&#39;", "'")
    export = _export(client, **filters)
    assert export.status_code == 400
    assert _events(app, "audit.export") == []


def test_audit_record_fields_from_request(app, client, make_user):
    make_user("ada", "Administrator")
    client.get("/login")
    sign_in(client, "ada")
    [login] = _events(app, "auth.login")
    assert login.login == "ada"
    assert login.profiles == "Administrator"
    assert login.ip == "127.0.0.1"
    assert login.user_agent.startswith("Werkzeug")
    assert len(login.request_id) == 36
    assert login.outcome == "success"
    assert login.created_at.tzinfo is not None


def test_audit_details_redact_secrets(app, admin):
    with acting_as(app, admin):
        event = record("test.secret", details={
            "new_password": "hunter2", "totp_secret": "JBSWY3DP", "reset_token": "abc", "nested": {"api_key": "k1"},
            "must_change_password": True, "name": "visible"})
        details = event.details
    assert details["new_password"] == "[redacted]"
    assert details["totp_secret"] == "[redacted]"
    assert details["reset_token"] == "[redacted]"
    assert details["nested"]["api_key"] == "[redacted]"
    assert details["must_change_password"] is True
    assert details["name"] == "visible"


def test_audit_settings_change_recorded(app, client, admin):
    from tests.test_admin_settings import VALID_SETTINGS

    form = {**VALID_SETTINGS, "company_name": "Renamed Ltd"}
    response = client.post("/admin/settings", data={**form, "csrf_token": csrf_token(client, "/admin/settings")})
    assert response.status_code == 302
    [event] = [e for e in _events(app, "settings.change") if e.object_id == "company_name"]
    assert event.details["after"] == {"company_name": "Renamed Ltd"}
