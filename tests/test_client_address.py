"""The client address: the TCP peer, or the trusted proxy's X-Forwarded-For, never a client's own header."""
from __future__ import annotations

import pytest

from app.config import ConfigError, load_settings
from app.security.client import parse_proxy_networks, resolve_client_address

TRUSTED = parse_proxy_networks("127.0.0.1, ::1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("192.0.2.7", None, "192.0.2.7"),
        ("192.0.2.7", "10.9.9.9", "192.0.2.7"),  # not from the proxy: the header is ignored
        ("127.0.0.1", "198.51.100.4", "198.51.100.4"),
        ("127.0.0.1", "10.9.9.9, 198.51.100.4", "198.51.100.4"),  # only the hop the proxy added
        ("::1", "2001:db8::5", "2001:db8::5"),
        ("::ffff:192.0.2.9", None, "192.0.2.9"),
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
        ("", "198.51.100.4", ""),
    ],
)
def test_resolve_client_address_cases(peer, forwarded, expected):
    assert resolve_client_address(peer, forwarded, TRUSTED) == expected


def test_resolve_client_address_without_trusted_proxy_ignores_header():
    assert resolve_client_address("127.0.0.1", "198.51.100.4", ()) == "127.0.0.1"


def test_load_settings_rejects_bad_trusted_proxy(tmp_path):
    with pytest.raises(ConfigError, match="trusted_proxy = 'nginx'"):
        load_settings({"TRACKERBOX_DATA_DIR": str(tmp_path), "TRACKERBOX_TRUSTED_PROXY": "nginx"})


def test_audit_record_uses_client_address_not_spoofed_header(app, client, make_user):
    from sqlalchemy import select

    from app import db
    from app.models import AuditEvent

    from tests.conftest import csrf_token

    make_user("ann", "Worker")
    token = csrf_token(client, "/login")
    client.post("/login", data={"login": "ann", "password": "wrong password here", "csrf_token": token},
                headers={"X-Forwarded-For": "203.0.113.66"}, environ_base={"REMOTE_ADDR": "192.0.2.10"})
    with app.app_context():
        ips = set(db.session.scalars(select(AuditEvent.ip).where(AuditEvent.action == "auth.login_failed")))
    assert ips == {"192.0.2.10"}
