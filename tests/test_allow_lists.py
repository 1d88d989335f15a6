"""IP allow-lists: parsing, the company/profile/user rule, request and sign-in checks, lock-out guard."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from app import db
from app.errors import UserError
from app.models import AllowedNetwork, AuditEvent, SecurityProfile, User, UserSession
from app.security import allow_lists
from app.security.allow_lists import COMPANY, Scope
from app.security.client import parse_proxy_networks
from tests.conftest import csrf_token, sign_in


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def profile_id(name: str) -> int:
    return db.session.scalar(select(SecurityProfile.id).where(SecurityProfile.name == name))


def set_lists(app, *, company=(), profiles=None, users=None) -> None:
    """Write the lists directly: ``profiles`` maps a profile name, ``users`` a login, to ranges."""
    with app.app_context(), db.transaction():
        for network in company:
            db.session.add(AllowedNetwork(network=network))
        for name, networks in (profiles or {}).items():
            for network in networks:
                db.session.add(AllowedNetwork(profile_id=profile_id(name), network=network))
        for login, networks in (users or {}).items():
            user_id = db.session.scalar(select(User.id).where(User.login == login))
            for network in networks:
                db.session.add(AllowedNetwork(user_id=user_id, network=network))


def client_from(app, address: str, **headers):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    for name, value in headers.items():
        client.environ_base["HTTP_" + name.upper()] = value
    return client


@pytest.mark.parametrize(
    ("text_in", "expected"),
    [
        ("192.0.2.0/24", ["192.0.2.0/24"]),
        ("192.0.2.7", ["192.0.2.7/32"]),
        ("2001:DB8::/32", ["2001:db8::/32"]),
        ("2001:db8::5", ["2001:db8::5/128"]),
        ("10.0.0.0/8, 10.0.0.0/8;\n192.168.0.0/16", ["10.0.0.0/8", "192.168.0.0/16"]),
        ("  \n ", []),
    ],
)
def test_parse_networks_accepts(text_in, expected):
    assert allow_lists.parse_networks(text_in) == expected


@pytest.mark.parametrize(
    ("text_in", "message"),
    [
        ("192.0.2.300", "'192.0.2.300' is not an IPv4 or IPv6 address or CIDR range"),
        ("192.0.2.0/33", "'192.0.2.0/33' is not an IPv4 or IPv6 address or CIDR range"),
        ("office", "'office' is not an IPv4 or IPv6 address or CIDR range"),
        ("192.0.2.5/24", "has bits set after the prefix length; write the range as 192.0.2.0/24"),
        ("2001:db8::1/32", "write the range as 2001:db8::/32"),
        (" ".join(f"10.0.{i}.0/24" for i in range(101)), "one list holds at most 100"),
    ],
)
def test_parse_networks_rejects(text_in, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(".", r"\.")):
        allow_lists.parse_networks(text_in)


OFFICE = "192.0.2.0/24"
CLIENT_SITE = "198.51.100.0/24"
OFFICE_V6 = "2001:db8:1::/48"


@pytest.mark.parametrize(
    ("lists", "login", "address", "allowed"),
    [
        ({}, "ada", "203.0.113.9", True),
        ({"company": [OFFICE, CLIENT_SITE]}, "wanda", "198.51.100.4", True),
        ({"company": [OFFICE, CLIENT_SITE]}, "wanda", "203.0.113.9", False),
        # Administrators only from the office, project managers from office and client sites.
        ({"company": [OFFICE, CLIENT_SITE], "profiles": {"Administrator": [OFFICE]}}, "ada", "192.0.2.10", True),
        ({"company": [OFFICE, CLIENT_SITE], "profiles": {"Administrator": [OFFICE]}}, "ada", "198.51.100.4", False),
        ({"company": [OFFICE, CLIENT_SITE], "profiles": {"Administrator": [OFFICE]}}, "pam", "198.51.100.4", True),
        ({"profiles": {"Administrator": [OFFICE]}}, "wanda", "203.0.113.9", True),
        ({"users": {"wanda": [OFFICE_V6]}}, "wanda", "2001:db8:1::77", True),
        ({"users": {"wanda": [OFFICE_V6]}}, "wanda", "2001:db8:2::77", False),
        ({"users": {"wanda": [OFFICE_V6]}}, "wanda", "192.0.2.10", False),
        ({"users": {"wanda": [OFFICE_V6]}}, "pam", "203.0.113.9", True),
        ({"company": [OFFICE, OFFICE_V6], "users": {"wanda": ["192.0.2.128/25"]}}, "wanda", "192.0.2.200", True),
        ({"company": [OFFICE, OFFICE_V6], "users": {"wanda": ["192.0.2.128/25"]}}, "wanda", "192.0.2.10", False),
        ({"company": [OFFICE]}, "wanda", "", False),
        # No company list: administrators from the office, project managers also from client sites, others anywhere.
        ({"profiles": {"Administrator": [OFFICE], "Project Manager": [OFFICE, CLIENT_SITE]}}, "ada", "198.51.100.4",
         False),
        ({"profiles": {"Administrator": [OFFICE], "Project Manager": [OFFICE, CLIENT_SITE]}}, "pam", "198.51.100.4",
         True),
        ({"profiles": {"Administrator": [OFFICE], "Project Manager": [OFFICE, CLIENT_SITE]}}, "wanda", "203.0.113.9",
         True),
    ],
)
def test_refusal_matrix(app, make_user, lists, login, address, allowed):
    make_user("ada", "Administrator")
    make_user("pam", "Project Manager")
    make_user("wanda", "Worker")
    set_lists(app, **lists)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login == login))
        assert (allow_lists.refusal(user, address) is None) is allowed


def test_request_outside_company_list_refused(app, make_user):
    make_user("wanda")
    client = client_from(app, "203.0.113.9")
    sign_in(client, "wanda")
    assert client.get("/").status_code == 200
    set_lists(app, company=[OFFICE])
    response = client.get("/")
    assert response.status_code == 403
    assert "Access from address 203.0.113.9 is not allowed for your account: the company list" in text(response)
    (refusal,) = events(app, "auth.address_refused")
    assert refusal.outcome == "failure"
    assert refusal.details["address"] == "203.0.113.9"
    assert refusal.ip == "203.0.113.9"
    with app.app_context():
        assert db.session.scalars(select(UserSession).where(UserSession.user_id.is_not(None))).all() == []
    assert client.get("/").status_code == 302


def test_sign_in_outside_list_refused(app, make_user):
    make_user("wanda")
    set_lists(app, users={"wanda": [OFFICE]})
    outside = client_from(app, "203.0.113.9")
    response = sign_in(outside, "wanda")
    assert response.status_code == 403
    assert "the user's own list does not contain it" in text(response)
    assert outside.get("/").status_code == 302
    (refusal,) = events(app, "auth.login_refused")
    assert refusal.outcome == "failure"
    inside = client_from(app, "192.0.2.44")
    assert sign_in(inside, "wanda").status_code == 302
    assert inside.get("/").status_code == 200


def test_ipv6_client_checked_against_profile_list(app, make_user):
    make_user("ada", "Administrator")
    set_lists(app, profiles={"Administrator": [OFFICE_V6]})
    assert sign_in(client_from(app, "2001:db8:1::9"), "ada").status_code == 302
    assert sign_in(client_from(app, "2001:db8:9::9"), "ada").status_code == 403


def test_spoofed_forwarded_for_from_direct_client_ignored(app, make_user):
    make_user("wanda")
    set_lists(app, company=[OFFICE])
    client = client_from(app, "203.0.113.9", x_forwarded_for="192.0.2.10")
    assert sign_in(client, "wanda").status_code == 403
    assert events(app, "auth.login_refused")[0].details["address"] == "203.0.113.9"


def test_trusted_proxy_forwarded_for_is_used(app, make_user):
    app.extensions["trackerbox_trusted_proxies"] = parse_proxy_networks("127.0.0.1")
    make_user("wanda")
    set_lists(app, company=[OFFICE])
    from_office = client_from(app, "127.0.0.1", x_forwarded_for="192.0.2.10")
    assert sign_in(from_office, "wanda").status_code == 302
    assert from_office.get("/").status_code == 200
    from_elsewhere = client_from(app, "127.0.0.1", x_forwarded_for="192.0.2.10, 203.0.113.9")
    assert sign_in(from_elsewhere, "wanda").status_code == 403


def test_admin_company_list_lockout_needs_confirmation(app, make_user):
    make_user("ada", "Administrator")
    admin = client_from(app, "203.0.113.9")
    sign_in(admin, "ada")
    token = csrf_token(admin, "/admin/allow-lists")
    response = admin.post("/admin/allow-lists/company", data={"csrf_token": token, "company-networks": OFFICE})
    assert response.status_code == 400
    assert "the company list no longer contains your current address 203.0.113.9" in text(response)
    with app.app_context():
        assert allow_lists.networks_of(COMPANY) == []
    response = admin.post("/admin/allow-lists/company", data={
        "csrf_token": token, "company-networks": OFFICE, "company-confirm_lockout": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert allow_lists.networks_of(COMPANY) == [OFFICE]
    (change,) = events(app, "allow_list.change")
    assert change.details == {"before": {"networks": []}, "after": {"networks": [OFFICE]},
                              "confirmed_lockout": True}
    assert admin.get("/admin/").status_code == 403


def test_admin_profile_list_saved_without_lockout(app, make_user):
    make_user("ada", "Administrator")
    admin = client_from(app, "192.0.2.10")
    sign_in(admin, "ada")
    worker_profile = 2
    token = csrf_token(admin, "/admin/allow-lists")
    response = admin.post(f"/admin/allow-lists/profiles/{worker_profile}", data={
        "csrf_token": token, f"profile-{worker_profile}-networks": f"{CLIENT_SITE}\n{OFFICE_V6}"})
    assert response.status_code == 302
    with app.app_context():
        assert allow_lists.networks_of(Scope(profile_id=worker_profile)) == [CLIENT_SITE, OFFICE_V6]
    page = text(admin.get("/admin/allow-lists"))
    assert f"{CLIENT_SITE}\n{OFFICE_V6}" in page
    response = admin.post(f"/admin/allow-lists/profiles/{worker_profile}", data={
        "csrf_token": token, f"profile-{worker_profile}-networks": "not-a-range"})
    assert response.status_code == 400
    assert "'not-a-range' is not an IPv4 or IPv6 address or CIDR range" in text(response)


def test_allow_list_pages_need_permissions(app, make_user):
    make_user("wanda")
    worker = client_from(app, "192.0.2.10")
    sign_in(worker, "wanda")
    token = csrf_token(worker)
    assert worker.get("/admin/allow-lists").status_code == 403
    assert worker.post("/admin/allow-lists/company", data={"csrf_token": token, "company-networks": OFFICE}
                       ).status_code == 403
    assert worker.post("/admin/allow-lists/profiles/1", data={"csrf_token": token, "profile-1-networks": OFFICE}
                       ).status_code == 403
    with app.app_context():
        assert db.session.scalars(select(AllowedNetwork)).all() == []


def test_own_allow_list_refuses_lockout_then_saves(app, make_user):
    make_user("wanda")
    client = client_from(app, "192.0.2.10")
    sign_in(client, "wanda")
    token = csrf_token(client, "/account/allow-list")
    response = client.post("/account/allow-list", data={"csrf_token": token, "networks": CLIENT_SITE})
    assert response.status_code == 400
    assert "the user's own list no longer contains your current address 192.0.2.10" in text(response)
    response = client.post("/account/allow-list", data={"csrf_token": token, "networks": f"{OFFICE}, {CLIENT_SITE}"})
    assert response.status_code == 302
    assert client.get("/account/allow-list").status_code == 200
    (change,) = events(app, "allow_list.change")
    assert change.object_type == "user"
    assert change.details["after"] == {"networks": [OFFICE, CLIENT_SITE]}
    assert change.details["confirmed_lockout"] is False


def test_admin_clears_own_list_that_shut_the_person_out(app, make_user):
    wanda = make_user("wanda")
    make_user("ada", "Administrator")
    set_lists(app, users={"wanda": [CLIENT_SITE]})
    locked = client_from(app, "192.0.2.10")
    assert sign_in(locked, "wanda").status_code == 403
    admin = client_from(app, "192.0.2.20")
    sign_in(admin, "ada")
    page = text(admin.get(f"/admin/users/{wanda.id}/edit"))
    assert f"may sign in only from {CLIENT_SITE}" in page
    response = admin.post(f"/admin/users/{wanda.id}/allow-list/clear",
                          data={"csrf_token": csrf_token(admin, f"/admin/users/{wanda.id}/edit")})
    assert response.status_code == 302
    assert sign_in(locked, "wanda").status_code == 302
    (change,) = events(app, "allow_list.change")
    assert change.details["before"] == {"networks": [CLIENT_SITE]}
    assert change.details["reason"] == "cleared by an administrator"


def test_worker_cannot_clear_someone_elses_list(app, make_user):
    wanda = make_user("wanda")
    make_user("walter")
    set_lists(app, users={"wanda": [CLIENT_SITE]})
    other = client_from(app, "192.0.2.20")
    sign_in(other, "walter")
    response = other.post(f"/admin/users/{wanda.id}/allow-list/clear", data={"csrf_token": csrf_token(other)})
    assert response.status_code == 403
    with app.app_context():
        assert allow_lists.networks_of(Scope(user_id=wanda.id)) == [CLIENT_SITE]


@pytest.mark.parametrize("arguments", [["--company"], ["--profile", "administrator"], ["--user", "WANDA"]])
def test_cli_clears_any_list(app, make_user, monkeypatch, arguments):
    from click.testing import CliRunner

    from app.cli import cli
    from app.commands import context

    make_user("wanda")
    set_lists(app, company=[OFFICE], profiles={"Administrator": [OFFICE]}, users={"wanda": [OFFICE]})
    monkeypatch.setattr(context, "_app", app)
    shown = CliRunner().invoke(cli, ["allow-list", "show", *arguments])
    assert shown.exit_code == 0, shown.output
    assert OFFICE in shown.output
    cleared = CliRunner().invoke(cli, ["allow-list", "clear", *arguments])
    assert cleared.exit_code == 0, cleared.output
    assert f"removed {OFFICE}" in cleared.output
    again = CliRunner().invoke(cli, ["allow-list", "clear", *arguments])
    assert "already empty" in again.output
    assert [e.details["reason"] for e in events(app, "allow_list.change")] == ["cleared on the server command line"]


@pytest.mark.parametrize(("arguments", "message"), [
    ([], "name exactly one list"),
    (["--company", "--user", "wanda"], "name exactly one list"),
    (["--profile", "Nobody"], "no security profile named 'Nobody'"),
    (["--user", "ghost"], "no user with login 'ghost'"),
])
def test_cli_clear_bad_arguments(app, monkeypatch, arguments, message):
    from click.testing import CliRunner

    from app.cli import cli
    from app.commands import context

    monkeypatch.setattr(context, "_app", app)
    result = CliRunner().invoke(cli, ["allow-list", "clear", *arguments])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
