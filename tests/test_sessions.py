"""Server-side sessions: cookie, fixation, timeouts, revocation, the session pages and pruning."""
from __future__ import annotations

import hashlib
import html
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import company, db
from app.models import AuditEvent, SecurityProfile, User, UserSession, utcnow
from app.security import sessions
from tests.conftest import TEST_PASSWORD, csrf_token, sign_in

COOKIE = "__Host-trackerbox_session"


def cookie_of(client) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def rows(app, **filters) -> list[UserSession]:
    with app.app_context():
        query = select(UserSession).filter_by(**filters).order_by(UserSession.id)
        return list(db.session.scalars(query))


def row_for(app, client) -> UserSession | None:
    token_hash = hashlib.sha256(cookie_of(client).encode()).hexdigest()
    found = rows(app, token_hash=token_hash)
    return found[0] if found else None


def session_ends(app) -> list[dict]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "session.end")
                                    .order_by(AuditEvent.id))
        return [dict(e.details, actor=e.login) for e in events]


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def change_user(app, login: str, change) -> None:
    with app.app_context(), db.transaction():
        change(db.session.scalar(select(User).where(User.login == login)))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_cookie_attributes_on_sign_in(client, make_user):
    make_user("wanda")
    response = sign_in(client, "wanda")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "="))
    attributes = [part.strip().lower() for part in header.split(";")[1:]]
    assert "secure" in attributes
    assert "httponly" in attributes
    assert "path=/" in attributes
    assert "samesite=lax" in attributes
    assert not any(a.startswith(("domain", "expires", "max-age")) for a in attributes)
    assert len(header.split(";")[0].split("=", 1)[1]) >= 43


def test_cookie_token_stored_only_as_hash(client, make_user, app):
    make_user("wanda")
    sign_in(client, "wanda")
    token = cookie_of(client)
    row = row_for(app, client)
    assert row is not None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.data
    assert row.user_id is not None


def test_no_remember_me_cookie(client, make_user):
    make_user("wanda")
    response = sign_in(client, "wanda")
    assert not any(h.startswith("remember_token") for h in response.headers.getlist("Set-Cookie"))
    assert client.get_cookie("remember_token") is None


def test_sign_in_issues_new_session_id(client, make_user, app):
    make_user("wanda")
    client.get("/login")
    before = cookie_of(client)
    assert before is not None
    assert rows(app)[0].user_id is None
    sign_in(client, "wanda")
    after = cookie_of(client)
    assert after != before
    hashes = {row.token_hash for row in rows(app)}
    assert hashlib.sha256(before.encode()).hexdigest() not in hashes


def test_planted_session_id_does_not_survive_sign_in(app, make_user):
    make_user("wanda")
    attacker = app.test_client()
    attacker.get("/login")
    planted = cookie_of(attacker)
    victim = app.test_client()
    victim.set_cookie(COOKIE, planted)
    sign_in(victim, "wanda")
    assert cookie_of(victim) != planted
    assert signed_in(victim)
    assert not signed_in(attacker)


def test_anonymous_session_is_short_and_minimal(client, app):
    client.get("/login")
    (row,) = rows(app)
    assert row.user_id is None
    assert row.expires_at - row.created_at <= timedelta(hours=1)
    assert set(json.loads(row.data)) == {"csrf_token"}


def test_static_file_creates_no_session(client, app):
    response = client.get("/static/css/trackerbox.css")
    assert response.status_code == 200
    response.close()
    assert rows(app) == []
    assert cookie_of(client) is None


@pytest.mark.parametrize(("column", "reason"), [("idle_expires_at", "idle timeout"),
                                                 ("expires_at", "absolute timeout")])
def test_expired_session_ends_and_is_audited(client, make_user, app, column, reason):
    make_user("wanda")
    sign_in(client, "wanda")
    with app.app_context(), db.transaction():
        db.session.execute(update(UserSession).values({column: utcnow() - timedelta(seconds=1)}))
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert rows(app, user_id=1) == []
    assert session_ends(app)[-1]["reason"] == reason
    assert "Sign in again" in text(client.get("/login"))


def test_request_moves_idle_expiry(client, make_user, app):
    make_user("wanda")
    sign_in(client, "wanda")
    past = utcnow() - timedelta(minutes=5)
    with app.app_context(), db.transaction():
        db.session.execute(update(UserSession).values(last_seen_at=past, idle_expires_at=past + timedelta(minutes=30)))
    assert signed_in(client)
    row = row_for(app, client)
    assert row.last_seen_at > past + timedelta(minutes=4)
    assert row.idle_expires_at > utcnow() + timedelta(minutes=29)


def test_timeouts_come_from_company_settings(client, make_user, app):
    make_user("wanda")
    with app.app_context(), db.transaction():
        company.set_value("session_idle_minutes", 10)
        company.set_value("session_absolute_minutes", 100)
    sign_in(client, "wanda")
    row = row_for(app, client)
    assert row.idle_timeout_seconds == 600
    assert row.expires_at - row.created_at == timedelta(minutes=100)
    assert row.public is False


def test_default_timeouts(client, make_user, app):
    make_user("wanda")
    sign_in(client, "wanda")
    row = row_for(app, client)
    assert row.idle_timeout_seconds == 30 * 60
    assert row.expires_at - row.created_at == timedelta(hours=12)


def test_sign_out_deletes_row_and_audits(client, make_user, app):
    make_user("wanda")
    sign_in(client, "wanda")
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert "Clear-Site-Data" not in response.headers
    assert rows(app, user_id=1) == []
    assert session_ends(app) == [{"user_id": 1, "login": "wanda", "reason": "sign-out", "public": False,
                                  "actor": "wanda"}]
    assert "You are signed out." in text(client.get("/login"))


def test_own_password_change_keeps_current_ends_others(app, make_user):
    make_user("wanda")
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "wanda")
    sign_in(phone, "wanda")
    old_cookie = cookie_of(laptop)
    token = csrf_token(laptop, "/account/password")
    new_password = "another long passphrase 77"
    response = laptop.post("/account/password", data={"csrf_token": token, "current_password": TEST_PASSWORD,
                                                      "new_password": new_password,
                                                      "confirm_password": new_password})
    assert response.status_code == 302
    assert cookie_of(laptop) != old_cookie
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert len(rows(app, user_id=1)) == 1
    assert [e["reason"] for e in session_ends(app)] == ["password changed"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda user: setattr(user, "active", False), "account enabled or disabled"),
        (lambda user: setattr(user, "suspended", True), "account suspended or unsuspended"),
        (lambda user: setattr(user, "password_hash", "x" + user.password_hash), "password changed"),
        (lambda user: user.profiles.append(db.session.scalar(select(SecurityProfile).filter_by(name="Project Manager"))),
         "security profiles changed"),
        (lambda user: user.profiles.clear(), "security profiles changed"),
    ],
    ids=["disabled", "suspended", "password", "profile added", "profiles removed"],
)
def test_account_change_ends_sessions(app, make_user, change, reason):
    make_user("wanda")
    first, second = app.test_client(), app.test_client()
    sign_in(first, "wanda")
    sign_in(second, "wanda")
    change_user(app, "wanda", change)
    assert rows(app, user_id=1) == []
    assert [e["reason"] for e in session_ends(app)] == [reason, reason]
    assert not signed_in(first)
    assert not signed_in(second)


def test_unrelated_change_keeps_sessions(client, app, make_user):
    make_user("wanda")
    sign_in(client, "wanda")
    change_user(app, "wanda", lambda user: setattr(user, "timezone", "Asia/Tokyo"))
    assert signed_in(client)
    assert session_ends(app) == []


def test_changed_stamp_alone_ends_session(client, app, make_user):
    make_user("wanda")
    sign_in(client, "wanda")
    with app.app_context(), db.transaction():
        db.session.execute(update(User).values(security_stamp="changed outside the ORM"))
    assert not signed_in(client)
    assert session_ends(app)[-1]["reason"] == sessions.REASON_STAMP


def test_end_user_sessions_keeps_given_session(app, make_user):
    make_user("wanda")
    first, second = app.test_client(), app.test_client()
    sign_in(first, "wanda")
    sign_in(second, "wanda")
    keep = row_for(app, first).id
    with app.app_context(), db.transaction():
        ended = sessions.end_user_sessions(db.session.get(User, 1), keep_session_id=keep, reason="test reason")
    assert ended == 1
    assert signed_in(first)
    assert not signed_in(second)
    assert session_ends(app)[0]["reason"] == "test reason"


def test_own_sessions_page_lists_and_ends(app, make_user):
    make_user("wanda")
    make_user("bob")
    laptop, phone, other = app.test_client(), app.test_client(), app.test_client()
    sign_in(laptop, "wanda")
    phone.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile"
    sign_in(phone, "wanda")
    sign_in(other, "bob")
    page = text(laptop.get("/account/sessions"))
    assert "Chrome on Android" in page
    assert "this session" in page
    assert page.count("End session") == 2
    phone_id, bob_id = row_for(app, phone).id, row_for(app, other).id
    token = csrf_token(laptop, "/account/sessions")
    assert laptop.post(f"/account/sessions/{bob_id}/end", data={"csrf_token": token}).status_code == 404
    assert laptop.post(f"/account/sessions/{phone_id}/end", data={"csrf_token": token}).status_code == 302
    assert not signed_in(phone)
    assert signed_in(other)
    assert signed_in(laptop)
    assert session_ends(app)[-1]["reason"] == "ended by the user"


def test_ending_own_current_session_signs_out(client, app, make_user):
    make_user("wanda")
    sign_in(client, "wanda")
    current = row_for(app, client).id
    response = client.post(f"/account/sessions/{current}/end", data={"csrf_token": csrf_token(client)})
    assert response.headers["Location"].endswith("/login")
    assert not signed_in(client)


def test_admin_sessions_page_ends_anyones_session(app, make_user):
    make_user("ada", "Administrator")
    make_user("wanda")
    admin, worker = app.test_client(), app.test_client()
    sign_in(admin, "ada")
    sign_in(worker, "wanda")
    assert worker.get("/admin/sessions").status_code == 403
    page = text(admin.get("/admin/sessions"))
    assert "wanda" in page
    assert "ada" in page
    worker_session = row_for(app, worker).id
    response = admin.post(f"/admin/sessions/{worker_session}/end", data={"csrf_token": csrf_token(admin)})
    assert response.status_code == 302
    assert not signed_in(worker)
    assert session_ends(app)[-1] == {"user_id": 2, "login": "wanda", "reason": "ended by an administrator",
                                     "public": False, "actor": "ada"}


def test_worker_cannot_end_sessions_as_admin(app, make_user):
    make_user("ada", "Administrator")
    make_user("wanda")
    admin, worker = app.test_client(), app.test_client()
    sign_in(admin, "ada")
    sign_in(worker, "wanda")
    admin_session = row_for(app, admin).id
    response = worker.post(f"/admin/sessions/{admin_session}/end", data={"csrf_token": csrf_token(worker)})
    assert response.status_code == 403
    assert signed_in(admin)


def test_prune_removes_expired_sessions(app, make_user):
    make_user("wanda")
    visitor, person, active = app.test_client(), app.test_client(), app.test_client()
    visitor.get("/login")
    sign_in(person, "wanda")
    sign_in(active, "wanda")
    active_id = row_for(app, active).id
    with app.app_context(), db.transaction():
        db.session.execute(update(UserSession).where(UserSession.id != active_id)
                           .values(idle_expires_at=utcnow() - timedelta(minutes=1)))
    with app.app_context(), db.transaction():
        assert sessions.prune_expired_sessions() == 2
    assert [row.id for row in rows(app)] == [active_id]
    assert [e["reason"] for e in session_ends(app)] == ["idle timeout"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("session_idle_minutes", "0", "Idle timeout of 0 minutes is outside the allowed range; enter 1 to 1440"),
        ("session_idle_minutes", "ten", "'ten' is not a whole number of minutes"),
        ("session_absolute_minutes", "20000", "outside the allowed range; enter 5 to 10080 minutes"),
        ("public_session_idle_minutes", "61", "enter 1 to 60 minutes"),
        ("public_session_absolute_minutes", "", "'' is not a whole number of minutes"),
        ("session_idle_minutes", "800", "idle timeout of 800 minutes is longer than the maximum session length of 720"),
        ("public_networks", "10.0.0.300/8", "'10.0.0.300/8' is not an IPv4 or IPv6 address or CIDR range"),
    ],
)
def test_settings_reject_bad_session_values(client, app, make_user, field, value, message):
    from tests.test_admin_settings import VALID_SETTINGS

    make_user("ada", "Administrator")
    sign_in(client, "ada")
    response = client.post("/admin/settings", data={**VALID_SETTINGS, field: value,
                                                    "csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert message in text(response)
    with app.app_context():
        assert company.get("session_idle_minutes") == 30


def test_settings_save_session_values(client, app, make_user):
    from tests.test_admin_settings import VALID_SETTINGS

    make_user("ada", "Administrator")
    sign_in(client, "ada")
    response = client.post("/admin/settings", data={
        **VALID_SETTINGS, "session_idle_minutes": "15", "public_session_absolute_minutes": "30",
        "public_networks": "192.0.2.0/28\n2001:db8:1::/48", "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    with app.app_context():
        assert company.get("session_idle_minutes") == 15
        assert company.get("public_session_absolute_minutes") == 30
        assert company.get("public_networks") == ["192.0.2.0/28", "2001:db8:1::/48"]
    assert "192.0.2.0/28\n2001:db8:1::/48" in text(client.get("/admin/settings"))


def test_cli_session_end_and_prune(app, make_user, monkeypatch):
    from click.testing import CliRunner

    from app.cli import cli
    from app.commands import context

    monkeypatch.setattr(context, "_app", app)
    make_user("wanda")
    client, visitor = app.test_client(), app.test_client()
    sign_in(client, "wanda")
    visitor.get("/login")
    result = CliRunner().invoke(cli, ["session", "end", "Wanda"])
    assert result.exit_code == 0, result.output
    assert "Ended 1 session(s) of 'wanda'." in result.output
    assert not signed_in(client)
    assert session_ends(app)[-1]["reason"] == "ended on the server command line"
    with app.app_context(), db.transaction():
        db.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    result = CliRunner().invoke(cli, ["session", "prune"])
    assert result.exit_code == 0, result.output
    assert rows(app) == []
    result = CliRunner().invoke(cli, ["session", "end", "nobody"])
    assert result.exit_code != 0
    assert "no user with login 'nobody'" in result.output
