"""A real nginx on loopback ports in a temporary prefix, in front of a live TrackerBox, and small TLS clients."""
from __future__ import annotations

import http.client
import signal
import socket
import ssl
import subprocess
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.browser import _free_port

NGINX = "/usr/sbin/nginx"
START_TIMEOUT = 10.0

WRAPPER = """\
daemon off;
master_process on;
user root;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/site.conf;
}}
"""


class Nginx:
    def __init__(self, prefix: Path, site: str, https_port: int, http_port: int):
        self.prefix = prefix
        self.https_port = https_port
        self.http_port = http_port
        prefix.mkdir(parents=True, exist_ok=True)
        (prefix / "site.conf").write_text(site, encoding="utf-8")
        (prefix / "nginx.conf").write_text(WRAPPER.format(prefix=prefix), encoding="utf-8")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if not Path(NGINX).exists():
            pytest.fail(f"{NGINX} is missing; install Debian's nginx-light package (.ci/run does)")
        self.process = subprocess.Popen([NGINX, "-c", str(self.prefix / "nginx.conf"), "-p", str(self.prefix)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"nginx exited: {self.process.stderr.read().decode()} {self.error_log()}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"nginx did not listen on {self.https_port} within {START_TIMEOUT} s: {self.error_log()}")

    def reload(self, site: str | None = None) -> None:
        """Reload the configuration (and certificate files) as `nginx -s reload` would."""
        if site is not None:
            (self.prefix / "site.conf").write_text(site, encoding="utf-8")
        check = subprocess.run([NGINX, "-t", "-q", "-c", str(self.prefix / "nginx.conf"), "-p", str(self.prefix)],
                               capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        log_size = (self.prefix / "error.log").stat().st_size
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            # The master logs this line once the new workers run with the new configuration.
            if "start worker process" in self.error_log()[log_size:]:
                time.sleep(0.3)
                return
            time.sleep(0.1)
        raise AssertionError(f"nginx did not reload within {START_TIMEOUT} s: {self.error_log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process.stderr.close()

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def running_nginx(prefix: Path, site_for_ports):
    """Start nginx with ``site_for_ports(https_port, http_port)``; yields the Nginx."""
    https_port, http_port = _free_port(), _free_port()
    server = Nginx(prefix, site_for_ports(https_port, http_port), https_port, http_port)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def tls_context(ca_file: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca_file))
    return context


def https_request(port: int, ca_file: Path, method: str, path: str, *, body: bytes | None = None,
                  headers: dict | None = None, source: str = "127.0.0.1"):
    """Send one request over TLS from the loopback address ``source``; returns (status, headers, body).

    The server certificate must name the IP address 127.0.0.1.
    """
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=tls_context(ca_file), timeout=15,
                                             source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


# --- a company PKI for the import tests: root CA, intermediate CA, server certificate ---

def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Company"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str, issuer_key=None, issuer_cert=None, *, days: int = 3650, not_after=None):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer_cert.subject if issuer_cert else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return key, cert


def make_leaf(names: list[x509.GeneralName], issuer_key, issuer_cert, *, not_before=None, not_after=None):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("tracker"))
        .issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=200))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    return key, cert


def write_pem(path: Path, *items) -> Path:
    data = b""
    for item in items:
        if isinstance(item, x509.Certificate):
            data += item.public_bytes(serialization.Encoding.PEM)
        else:
            data += item.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    path.write_bytes(data)
    return path
