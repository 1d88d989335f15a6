"""Public or shared computer mode: short timeouts, no-store, autocomplete and the clearing sign-out."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from app import company, db
from app.models import AuditEvent, UserSession
from tests.conftest import TEST_PASSWORD, csrf_token

COOKIE = "__Host-trackerbox_session"


def sign_in_public(client, login: str, *, tick: bool = True):
    token = csrf_token(client, "/login?public=1")
    data = {"login": login, "password": TEST_PASSWORD, "csrf_token": token}
    if tick:
        data["public"] = "y"
    return client.post("/login", data=data)


def current_row(app, client) -> UserSession:
    token_hash = hashlib.sha256(client.get_cookie(COOKIE).value.encode()).hexdigest()
    with app.app_context():
        return db.session.scalar(select(UserSession).where(UserSession.token_hash == token_hash))


def set_public_networks(app, networks: list[str]) -> None:
    with app.app_context(), db.transaction():
        company.set_value("public_networks", networks)


def test_public_box_gives_short_timeouts(client, app, make_user):
    make_user("wanda")
    assert sign_in_public(client, "wanda").status_code == 302
    row = current_row(app, client)
    assert row.public is True
    assert row.idle_timeout_seconds == 5 * 60
    assert row.expires_at - row.created_at == timedelta(hours=1)


def test_public_timeouts_follow_settings(client, app, make_user):
    make_user("wanda")
    with app.app_context(), db.transaction():
        company.set_value("public_session_idle_minutes", 2)
        company.set_value("public_session_absolute_minutes", 20)
    sign_in_public(client, "wanda")
    row = current_row(app, client)
    assert row.idle_timeout_seconds == 120
    assert row.expires_at - row.created_at == timedelta(minutes=20)


def test_public_network_forces_public_session(app, make_user):
    make_user("wanda")
    set_public_networks(app, ["192.0.2.0/28"])
    kiosk = app.test_client()
    kiosk.environ_base["REMOTE_ADDR"] = "192.0.2.3"
    page = kiosk.get("/login").get_data(as_text=True)
    assert page.count('autocomplete="off"') == 3
    assert 'autocomplete="current-password"' not in page
    assert kiosk.get("/login").headers["Cache-Control"] == "no-store"
    sign_in_public(kiosk, "wanda", tick=False)
    assert current_row(app, kiosk).public is True
    office = app.test_client()
    office.environ_base["REMOTE_ADDR"] = "192.0.2.30"
    assert 'autocomplete="current-password"' in office.get("/login").get_data(as_text=True)
    sign_in_public(office, "wanda", tick=False)
    assert current_row(app, office).public is False


def test_login_page_autocomplete_modes(client):
    normal = client.get("/login").get_data(as_text=True)
    assert 'autocomplete="username"' in normal
    assert 'autocomplete="current-password"' in normal
    public = client.get("/login?public=1").get_data(as_text=True)
    assert 'autocomplete="current-password"' not in public
    assert public.count('autocomplete="off"') == 3
    assert 'id="open-public-window"' in normal
    assert "js/public-terminal.js" in normal


def test_public_session_pages_are_no_store(client, make_user):
    make_user("wanda")
    sign_in_public(client, "wanda")
    for path in ("/", "/account/sessions", "/no-such-page"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    static = client.get("/static/js/public-terminal.js")
    assert static.headers.get("Cache-Control") != "no-store"
    static.close()


def test_public_sign_out_clears_site_data(client, app, make_user):
    make_user("wanda")
    sign_in_public(client, "wanda")
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 200
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "You are signed out" in page
    assert "js/public-terminal.js" in page
    assert "<script>" not in page
    assert any(h.startswith(f"{COOKIE}=;") for h in response.headers.getlist("Set-Cookie"))
    with app.app_context():
        assert db.session.scalars(select(UserSession)).all() == []
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "session.end"))
        assert event.details["public"] is True
    assert client.get("/").status_code == 302
