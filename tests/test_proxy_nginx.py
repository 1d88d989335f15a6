"""The rendered nginx site in front of a live TrackerBox: real nginx and waitress on loopback ports."""
from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy import select

from app import db
from app.models import AuditEvent
from app.security.client import parse_proxy_networks
from appliance.proxy import STATIC_DIR, SiteOptions, render_site
from certs import authority, store
from certs.checks import check_import
from certs.names import parse_server_names
from certs.pem import certificate_pem, write_atomically
from tests.browser import live_server
from tests.nginx_harness import https_request, make_ca, make_leaf, running_nginx, write_pem

pytestmark = pytest.mark.sqlite_only

SERVER_NAMES = ["localhost", "127.0.0.1"]


@dataclass
class Proxied:
    nginx: object
    ca_file: Path
    tls_dir: Path
    max_body_bytes: int

    def get(self, path: str, **kwargs):
        return https_request(self.nginx.https_port, self.ca_file, "GET", path, **kwargs)


def site_options(tls_dir: Path, upstream: str, max_body_bytes: int, https_port: int, http_port: int) -> SiteOptions:
    return SiteOptions(cert=tls_dir / store.SERVER_CERT, key=tls_dir / store.SERVER_KEY,
                       hsts_include=tls_dir / store.HSTS_INCLUDE, max_body_bytes=max_body_bytes,
                       server_names=["localhost"], upstream=upstream, https_port=https_port, http_port=http_port,
                       listen_addresses=["127.0.0.1"])


def install_local_certificate(tls_dir: Path) -> Path:
    names = parse_server_names(SERVER_NAMES)
    ca_key, ca_cert = authority.create_authority(names)
    key, cert = authority.issue_server_certificate(ca_key, ca_cert, names)
    store.install_server_certificate(tls_dir, [cert], key, store.SOURCE_LOCAL_CA)
    ca_file = tls_dir / store.CA_CERT
    write_atomically(ca_file, certificate_pem([ca_cert]), 0o644)
    return ca_file


@pytest.fixture
def proxied(app, tmp_path):
    app.extensions["trackerbox_trusted_proxies"] = parse_proxy_networks("127.0.0.1")
    tls_dir = tmp_path / "tls"
    ca_file = install_local_certificate(tls_dir)
    max_body = app.config["MAX_CONTENT_LENGTH"]
    with live_server(app) as base_url:
        upstream = base_url.removeprefix("http://")
        with running_nginx(tmp_path / "nginx", lambda https, plain: render_site(
                site_options(tls_dir, upstream, max_body, https, plain))) as nginx:
            yield Proxied(nginx, ca_file, tls_dir, max_body)


def session_cookie(headers) -> str:
    cookie = headers.get("Set-Cookie", "")
    match = re.search(r"(__Host-trackerbox_session=[^;]+)", cookie)
    assert match, f"no session cookie in {cookie!r}"
    return match.group(1)


def test_proxy_replaces_forged_forwarded_for(proxied, app):
    status, headers, body = proxied.get("/login", source="127.0.0.2")
    assert status == 200
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1).decode()
    form = f"login=ann&password=wrong+password+here&csrf_token={token}".encode()
    status, _, _ = https_request(
        proxied.nginx.https_port, proxied.ca_file, "POST", "/login", body=form, source="127.0.0.2",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": session_cookie(headers),
                 "X-Forwarded-For": "203.0.113.66"})
    assert status == 401  # the sign-in failed, so the audit trail has a record
    with app.app_context():
        addresses = set(db.session.scalars(select(AuditEvent.ip).where(AuditEvent.action == "auth.login_failed")))
    assert addresses == {"127.0.0.2"}


def test_proxy_keeps_application_security_headers(proxied, app):
    status, headers, _ = proxied.get("/login")
    direct = app.test_client().get("/login")
    assert status == 200
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert headers.get(name) == direct.headers.get(name), name
    assert headers.get_all("Content-Security-Policy") == [direct.headers["Content-Security-Policy"]]


def test_proxy_sends_no_hsts_with_local_ca(proxied):
    _, headers, _ = proxied.get("/login")
    assert "Strict-Transport-Security" not in headers


def test_proxy_http_redirects_permanently_to_https(proxied):
    connection = http.client.HTTPConnection("127.0.0.1", proxied.nginx.http_port, timeout=10)
    try:
        connection.request("GET", "/timesheets/?week=2026-01-05", headers={"Host": "localhost"})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 308
    assert response.headers["Location"] == f"https://localhost:{proxied.nginx.https_port}/timesheets/?week=2026-01-05"


def test_proxy_serves_static_files_itself(proxied):
    css = next(path for path in sorted((STATIC_DIR / "css").iterdir()) if path.suffix == ".css")
    status, headers, body = proxied.get(f"/static/css/{css.name}")
    assert status == 200
    assert body == css.read_bytes()
    # nginx's own headers: the application would add its CSP, nginx adds the expiry.
    assert headers["Cache-Control"] == "max-age=3600"
    assert "Content-Security-Policy" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_proxy_rejects_oversized_upload_with_413(proxied):
    context = ssl.create_default_context(cafile=str(proxied.ca_file))
    with socket.create_connection(("127.0.0.1", proxied.nginx.https_port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            # Only the headers: nginx answers as soon as it reads the declared length.
            tls.sendall((f"POST /imports/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
                         f"Content-Length: {proxied.max_body_bytes + 1}\r\n\r\n").encode())
            reply = tls.recv(4096).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413")
    assert "Request Entity Too Large" in reply


def test_proxy_passes_body_under_limit(proxied):
    # A body under the limit reaches the application, which rejects it for the missing CSRF token.
    body = b"x" * 2048
    status, headers, _ = https_request(proxied.nginx.https_port, proxied.ca_file, "POST", "/login", body=body,
                                       headers={"Content-Type": "application/octet-stream"})
    assert status == 400
    assert "Content-Security-Policy" in headers


def test_proxy_sends_hsts_after_company_certificate_import(proxied, tmp_path):
    root_key, root = make_ca("Example Root CA")
    intermediate_key, intermediate = make_ca("Example Issuing CA", root_key, root)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    leaf_key, leaf = make_leaf(names, intermediate_key, intermediate)
    checked = check_import(write_pem(tmp_path / "company.crt", leaf), write_pem(tmp_path / "company.key", leaf_key),
                           write_pem(tmp_path / "chain.pem", intermediate, root), parse_server_names(SERVER_NAMES))
    store.install_server_certificate(proxied.tls_dir, checked.served_chain, checked.key, store.SOURCE_IMPORTED)
    proxied.nginx.reload()
    root_file = write_pem(tmp_path / "root.pem", root)

    status, headers, _ = https_request(proxied.nginx.https_port, root_file, "GET", "/login")
    static_status, static_headers, _ = https_request(proxied.nginx.https_port, root_file, "GET", "/static/css/trackerbox.css")

    assert status == 200
    assert headers["Strict-Transport-Security"] == f"max-age={store.HSTS_MAX_AGE}"
    assert static_headers["Strict-Transport-Security"] == f"max-age={store.HSTS_MAX_AGE}"
