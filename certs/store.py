"""The TLS directory that nginx reads, and the state file that records where its certificate came from.

Layout of the directory (setting ``tls_dir``, default ``<data_dir>/tls``):

- ``server.crt`` / ``server.key``: what nginx serves (the certificate followed by any
  intermediates; the key with mode 0600)
- ``ca.crt`` / ``ca.key``: the local certificate authority made by ``cert create``
- ``certificate.json``: the source of ``server.crt`` (``local-ca`` or ``imported``) and its
  SHA-256 fingerprint
- ``hsts.conf``: included by the nginx site; it sends Strict-Transport-Security only while
  ``certificate.json`` says ``imported`` and its fingerprint matches ``server.crt``
"""
from __future__ import annotations

import json
import logging
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from app.errors import UserError
from app.processes import process_is_running
from certs.names import certificate_names
from certs.pem import certificate_pem, load_certificates, private_key_pem, write_atomically

log = logging.getLogger(__name__)

SERVER_CERT = "server.crt"
SERVER_KEY = "server.key"
CA_CERT = "ca.crt"
CA_KEY = "ca.key"
STATE_FILE = "certificate.json"
HSTS_INCLUDE = "hsts.conf"
SOURCE_LOCAL_CA = "local-ca"
SOURCE_IMPORTED = "imported"
# One year, without includeSubDomains or preload: the box decides for its own host name only.
HSTS_MAX_AGE = 31536000
WARN_DAYS = 30
NGINX = "/usr/sbin/nginx"
NGINX_PID_FILE = Path("/run/nginx.pid")


@dataclass
class CertificateStatus:
    subject: str
    issuer: str
    names: list[str]
    not_after: datetime
    days_left: int
    source: str

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def needs_renewal(self) -> bool:
        return self.days_left < WARN_DAYS


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def read_state(tls_dir: Path) -> dict:
    try:
        return json.loads((tls_dir / STATE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("TLS state file %s is unreadable: %s", tls_dir / STATE_FILE, exc)
        return {}


def hsts_enabled(tls_dir: Path) -> bool:
    """True when the served certificate is an imported one, which browsers trust without a local CA."""
    state = read_state(tls_dir)
    if state.get("source") != SOURCE_IMPORTED:
        return False
    try:
        served = load_certificates(tls_dir / SERVER_CERT)[0]
    except UserError:
        return False
    return fingerprint(served) == state.get("sha256")


def hsts_include_text(enabled: bool) -> str:
    if enabled:
        return ("# Written by trackerbox cert import: the certificate is trusted by browsers.\n"
                f'add_header Strict-Transport-Security "max-age={HSTS_MAX_AGE}" always;\n')
    return ("# Written by trackerbox: no Strict-Transport-Security while the certificate comes from the\n"
            "# local CA, so a browser without that CA can still be let through once by its user.\n")


def write_hsts_include(tls_dir: Path) -> bool:
    """Write hsts.conf to match the state file; return whether HSTS is on."""
    enabled = hsts_enabled(tls_dir)
    write_atomically(tls_dir / HSTS_INCLUDE, hsts_include_text(enabled).encode(), 0o644)
    return enabled


def install_server_certificate(tls_dir: Path, chain: list[x509.Certificate], key, source: str) -> None:
    """Write the served certificate, its key (0600), the state file and hsts.conf."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(tls_dir / SERVER_KEY, private_key_pem(key), 0o600)
    write_atomically(tls_dir / SERVER_CERT, certificate_pem(chain), 0o644)
    state = {
        "source": source,
        "sha256": fingerprint(chain[0]),
        "not_after": chain[0].not_valid_after_utc.isoformat(),
        "installed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    write_atomically(tls_dir / STATE_FILE, (json.dumps(state, indent=2) + "\n").encode(), 0o644)
    write_hsts_include(tls_dir)
    log.info("server certificate %s installed in %s from %s", state["sha256"][:16], tls_dir, source)


def certificate_status(tls_dir: Path, now: datetime | None = None) -> CertificateStatus | None:
    """Describe the served certificate, or None when there is none yet."""
    path = tls_dir / SERVER_CERT
    if not path.exists():
        return None
    cert = load_certificates(path)[0]
    now = now or datetime.now(timezone.utc)
    state = read_state(tls_dir)
    source = state.get("source", "unknown") if state.get("sha256") == fingerprint(cert) else "unknown"
    return CertificateStatus(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        names=[str(name) for name in certificate_names(cert)],
        not_after=cert.not_valid_after_utc,
        days_left=(cert.not_valid_after_utc - now).days,
        source=source,
    )


def nginx_running(pid_file: Path = NGINX_PID_FILE) -> bool:
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return False
    return process_is_running(pid)


def reload_nginx() -> str:
    """Test nginx's configuration and reload it when it runs; return what was done."""
    if not nginx_running():
        return "nginx is not running; it reads the new certificate when it starts"
    nginx = shutil.which("nginx") or NGINX
    test = subprocess.run([nginx, "-t", "-q"], capture_output=True, text=True, timeout=30)
    if test.returncode != 0:
        raise UserError(f"nginx rejected its configuration with the new certificate, so it was not reloaded: "
                        f"{test.stderr.strip()}; fix the problem and run `nginx -t`, then `systemctl reload nginx`")
    reload = subprocess.run([nginx, "-s", "reload"], capture_output=True, text=True, timeout=30)
    if reload.returncode != 0:
        raise UserError(f"nginx reload failed: {reload.stderr.strip()}; run `systemctl reload nginx`")
    return "nginx reloaded"
