"""The rendered nginx site checked with real TLS clients: testssl.sh, openssl s_client and curl."""
from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess

import pytest
from cryptography import x509

from app.security.client import parse_proxy_networks
from appliance.proxy import render_site
from certs import store
from certs.checks import check_import
from certs.names import parse_server_names
from tests.browser import live_server
from tests.nginx_harness import make_ca, make_leaf, running_nginx, write_pem
from tests.test_proxy_nginx import SERVER_NAMES, install_local_certificate, site_options

pytestmark = pytest.mark.sqlite_only

TESTSSL = "/usr/bin/testssl"
OPENSSL = "/usr/bin/openssl"
CURL = "/usr/bin/curl"
# testssl.sh with protocols, cipher categories and headers took about 25 s here; the
# bound leaves room for a slower machine.
TESTSSL_TIMEOUT = 240


def require(program: str) -> None:
    if not shutil.which(program):
        pytest.fail(f"{program} is missing; .ci/run installs it (Debian packages testssl.sh, openssl, curl)")


@pytest.fixture
def proxy(app, tmp_path):
    app.extensions["trackerbox_trusted_proxies"] = parse_proxy_networks("127.0.0.1")
    tls_dir = tmp_path / "tls"
    ca_file = install_local_certificate(tls_dir)
    with live_server(app) as base_url:
        upstream = base_url.removeprefix("http://")
        with running_nginx(tmp_path / "nginx", lambda https, plain: render_site(
                site_options(tls_dir, upstream, app.config["MAX_CONTENT_LENGTH"], https, plain))) as nginx:
            yield nginx, tls_dir, ca_file


def run_testssl(tmp_path, port: int, *checks: str) -> dict[str, str]:
    require(TESTSSL)
    report = tmp_path / f"testssl-{port}-{len(list(tmp_path.glob('testssl-*')))}.json"
    result = subprocess.run(
        [TESTSSL, *checks, "--fast", "--warnings", "off", "--quiet", "--color", "0", "--connect-timeout", "5",
         "--openssl-timeout", "5", "--jsonfile", str(report), f"https://127.0.0.1:{port}/login"],
        capture_output=True, text=True, timeout=TESTSSL_TIMEOUT)
    assert report.exists(), f"testssl wrote no report (exit {result.returncode}): {result.stdout[-2000:]}"
    return {item["id"]: item["finding"] for item in json.loads(report.read_text())}


def s_client(port: int, *options: str) -> subprocess.CompletedProcess:
    require(OPENSSL)
    return subprocess.run([OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
                           *options], input="", capture_output=True, text=True, timeout=20)


def handshake_done(result: subprocess.CompletedProcess) -> bool:
    return result.returncode == 0 and "Cipher is (NONE)" not in result.stdout and "New, " in result.stdout


def test_testssl_finds_only_tls12_tls13_and_strong_ciphers(proxy, tmp_path):
    nginx, _, _ = proxy
    findings = run_testssl(tmp_path, nginx.https_port, "-p", "-s", "-h")
    for protocol in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert findings[protocol] == "not offered", protocol
    assert findings["TLS1_2"] == "offered"
    assert findings["TLS1_3"].startswith("offered")
    for category in ("cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
                     "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"):
        assert findings[category] == "not offered", category
    assert findings["cipherlist_STRONG"] == "offered"
    assert findings["HSTS"] == "not offered"


@pytest.mark.parametrize(("option", "accepted"), [("-tls1", False), ("-tls1_1", False), ("-tls1_2", True),
                                                  ("-tls1_3", True)])
def test_s_client_protocol_versions(proxy, option, accepted):
    nginx, _, _ = proxy
    # SECLEVEL=0 lets this client offer the old versions, so only the server can refuse them.
    result = s_client(nginx.https_port, option, "-cipher", "DEFAULT:@SECLEVEL=0")
    assert "no protocols available" not in result.stderr
    assert handshake_done(result) is accepted, result.stdout[-1500:] + result.stderr[-1500:]


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "AES128-GCM-SHA256"])
def test_s_client_weak_tls12_cipher_refused(proxy, cipher):
    nginx, _, _ = proxy
    result = s_client(nginx.https_port, "-tls1_2", "-cipher", f"{cipher}:@SECLEVEL=0")
    assert not handshake_done(result)


def test_curl_http_redirect_and_no_hsts_with_local_ca(proxy):
    nginx, _, ca_file = proxy
    require(CURL)
    plain = subprocess.run([CURL, "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                            "-H", "Host: localhost", f"http://127.0.0.1:{nginx.http_port}/login"],
                           capture_output=True, text=True, timeout=20)
    secure = subprocess.run([CURL, "-sS", "-D", "-", "-o", "/dev/null", "--cacert", str(ca_file),
                             f"https://127.0.0.1:{nginx.https_port}/login"], capture_output=True, text=True, timeout=20)
    assert plain.stdout == f"308 https://localhost:{nginx.https_port}/login"
    assert secure.returncode == 0, secure.stderr
    assert "content-security-policy:" in secure.stdout.lower()
    assert "strict-transport-security" not in secure.stdout.lower()


def test_testssl_finds_hsts_after_import(proxy, tmp_path):
    nginx, tls_dir, _ = proxy
    root_key, root = make_ca("Example Root CA")
    leaf_key, leaf = make_leaf([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
                               root_key, root)
    checked = check_import(write_pem(tmp_path / "c.crt", leaf), write_pem(tmp_path / "c.key", leaf_key),
                           write_pem(tmp_path / "chain.pem", root), parse_server_names(SERVER_NAMES))
    store.install_server_certificate(tls_dir, checked.served_chain, checked.key, store.SOURCE_IMPORTED)
    nginx.reload()

    findings = run_testssl(tmp_path, nginx.https_port, "-h")

    assert findings["HSTS_time"].startswith("365 days"), findings
