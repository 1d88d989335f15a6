"""`trackerbox cert create|import|status`: the local CA, company certificate checks and the TLS state."""
from __future__ import annotations

import ipaddress
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from certs import store
from certs.names import name_is_covered, parse_server_names
from tests.cli_fixture import trackerbox  # noqa: F401  (a fixture, used by name)
from tests.nginx_harness import make_ca, make_leaf, write_pem

NAMES = ["tracker.office.test", "192.0.2.10"]
SANS = [x509.DNSName("tracker.office.test"), x509.IPAddress(ipaddress.ip_address("192.0.2.10"))]


@pytest.fixture
def tls_dir(tmp_path):
    return tmp_path / "tls"


def create(trackerbox, tls_dir, *extra: str):
    return trackerbox("cert", "create", "--name", ",".join(NAMES), "--tls-dir", str(tls_dir), "--no-reload", *extra)


@pytest.fixture
def company(tmp_path):
    """A company PKI: root CA, issuing CA, and a server certificate for NAMES."""
    root_key, root = make_ca("Example Root CA")
    issuing_key, issuing = make_ca("Example Issuing CA", root_key, root)
    leaf_key, leaf = make_leaf(SANS, issuing_key, issuing)
    return {
        "root": root, "root_key": root_key, "issuing": issuing, "issuing_key": issuing_key, "leaf": leaf,
        "cert": write_pem(tmp_path / "company.crt", leaf),
        "key": write_pem(tmp_path / "company.key", leaf_key),
        "chain": write_pem(tmp_path / "chain.pem", issuing, root),
    }


def import_(trackerbox, tls_dir, cert, key, chain=None, names=NAMES):
    args = ["cert", "import", str(cert), str(key), "--tls-dir", str(tls_dir), "--no-reload",
            "--name", ",".join(names)]
    if chain:
        args += ["--chain", str(chain)]
    return trackerbox(*args)


def served(tls_dir) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates((tls_dir / store.SERVER_CERT).read_bytes())


def test_cert_create_makes_ecdsa_certificate_for_names(trackerbox, tls_dir):
    code, out, err = create(trackerbox, tls_dir)
    assert code == 0, err
    cert = served(tls_dir)[0]
    ca = x509.load_pem_x509_certificate((tls_dir / store.CA_CERT).read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.public_key().curve.name == "secp256r1"
    assert san.get_values_for_type(x509.DNSName) == ["tracker.office.test"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("192.0.2.10")]
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= timedelta(days=397, minutes=5)
    assert cert.issuer == ca.subject
    cert.verify_directly_issued_by(ca)
    assert str(tls_dir / store.CA_CERT) in out


def test_cert_create_writes_keys_owner_only(trackerbox, tls_dir):
    create(trackerbox, tls_dir)
    assert stat.S_IMODE((tls_dir / store.SERVER_KEY).stat().st_mode) == 0o600
    assert stat.S_IMODE((tls_dir / store.CA_KEY).stat().st_mode) == 0o600
    key = serialization.load_pem_private_key((tls_dir / store.SERVER_KEY).read_bytes(), None)
    assert key.public_key().public_numbers() == served(tls_dir)[0].public_key().public_numbers()


def test_cert_create_keeps_hsts_off(trackerbox, tls_dir):
    create(trackerbox, tls_dir)
    assert "add_header" not in (tls_dir / store.HSTS_INCLUDE).read_text()
    assert store.hsts_enabled(tls_dir) is False


def test_cert_create_reuses_ca(trackerbox, tls_dir):
    create(trackerbox, tls_dir)
    first_ca = (tls_dir / store.CA_CERT).read_bytes()
    first_server = (tls_dir / store.SERVER_CERT).read_bytes()
    code, out, _ = create(trackerbox, tls_dir)
    assert code == 0
    assert "Using the local CA" in out
    assert (tls_dir / store.CA_CERT).read_bytes() == first_ca
    assert (tls_dir / store.SERVER_CERT).read_bytes() != first_server


def test_cert_create_ca_constraints_refuse_other_name(trackerbox, tls_dir):
    create(trackerbox, tls_dir)
    code, _, err = trackerbox("cert", "create", "--name", "other.example.test", "--tls-dir", str(tls_dir), "--no-reload")
    assert code == 2
    assert "not other.example.test" in err
    assert "--new-ca" in err
    code, _, err = trackerbox("cert", "create", "--name", "other.example.test", "--tls-dir", str(tls_dir),
                              "--no-reload", "--new-ca")
    assert code == 0, err


def test_cert_ca_name_constraints_limit_names(trackerbox, tls_dir):
    create(trackerbox, tls_dir)
    ca = x509.load_pem_x509_certificate((tls_dir / store.CA_CERT).read_bytes())
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert set(constraints.value.permitted_subtrees) == {
        x509.DNSName("tracker.office.test"), x509.IPAddress(ipaddress.ip_network("192.0.2.10/32"))}


@pytest.mark.parametrize(("days", "message"), [("398", "outside 1..397"), ("0", "outside 1..397")])
def test_cert_create_rejects_bad_days(trackerbox, tls_dir, days, message):
    code, _, err = create(trackerbox, tls_dir, "--days", days)
    assert code == 2
    assert message in err


def test_cert_create_rejects_bad_name(trackerbox, tls_dir):
    code, _, err = trackerbox("cert", "create", "--name", "bad name!", "--tls-dir", str(tls_dir), "--no-reload")
    assert code == 2
    assert "server name 'bad name!' is not a host name or IP address" in err


def test_cert_import_installs_chain_and_turns_hsts_on(trackerbox, tls_dir, company):
    code, out, err = import_(trackerbox, tls_dir, company["cert"], company["key"], company["chain"])
    assert code == 0, err
    chain = served(tls_dir)
    assert chain == [company["leaf"], company["issuing"]]
    assert stat.S_IMODE((tls_dir / store.SERVER_KEY).stat().st_mode) == 0o600
    assert store.hsts_enabled(tls_dir) is True
    assert f'max-age={store.HSTS_MAX_AGE}' in (tls_dir / store.HSTS_INCLUDE).read_text()
    assert "PRIVATE KEY" not in out + err


def test_cert_import_takes_intermediate_from_cert_file(trackerbox, tls_dir, company, tmp_path):
    bundle = write_pem(tmp_path / "bundle.crt", company["leaf"], company["issuing"])
    root_only = write_pem(tmp_path / "root.pem", company["root"])
    code, _, err = import_(trackerbox, tls_dir, bundle, company["key"], root_only)
    assert code == 0, err
    assert served(tls_dir) == [company["leaf"], company["issuing"]]


def test_cert_hsts_off_when_served_file_replaced(trackerbox, tls_dir, company):
    import_(trackerbox, tls_dir, company["cert"], company["key"], company["chain"])
    (tls_dir / store.SERVER_CERT).write_bytes(company["root"].public_bytes(serialization.Encoding.PEM))
    assert store.write_hsts_include(tls_dir) is False


def test_cert_create_will_not_replace_imported(trackerbox, tls_dir, company):
    import_(trackerbox, tls_dir, company["cert"], company["key"], company["chain"])
    code, _, err = create(trackerbox, tls_dir)
    assert code == 2
    assert "--replace-imported" in err
    assert served(tls_dir)[0] == company["leaf"]


def _other_key(tmp_path):
    return write_pem(tmp_path / "other.key", ec.generate_private_key(ec.SECP256R1()))


def _expired(company, tmp_path):
    now = datetime.now(timezone.utc)
    key, cert = make_leaf(SANS, company["issuing_key"], company["issuing"], not_before=now - timedelta(days=400),
                          not_after=now - timedelta(days=2))
    return write_pem(tmp_path / "expired.crt", cert), write_pem(tmp_path / "expired.key", key), company["chain"]


def _wrong_names(company, tmp_path):
    key, cert = make_leaf([x509.DNSName("www.example.test")], company["issuing_key"], company["issuing"])
    return write_pem(tmp_path / "names.crt", cert), write_pem(tmp_path / "names.key", key), company["chain"]


def _self_signed(company, tmp_path):
    key, cert = make_ca("tracker.office.test")
    return write_pem(tmp_path / "self.crt", cert), write_pem(tmp_path / "self.key", key), None


def _encrypted_key(company, tmp_path):
    key = serialization.load_pem_private_key(company["key"].read_bytes(), None)
    path = tmp_path / "encrypted.key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(b"passphrase")))
    return company["cert"], path, company["chain"]


def _not_pem(company, tmp_path):
    path = tmp_path / "certificate.der"
    path.write_bytes(company["leaf"].public_bytes(serialization.Encoding.DER))
    return path, company["key"], company["chain"]


@pytest.mark.parametrize(("case", "message"), [
    (lambda c, t: (c["cert"], _other_key(t), c["chain"]), "does not belong to the certificate"),
    (_expired, "expired on"),
    (lambda c, t: (c["cert"], c["key"], write_pem(t / "root-only.pem", c["root"])), "incomplete chain"),
    (lambda c, t: (c["cert"], c["key"], None), "incomplete chain"),
    (_wrong_names, "does not cover the server name(s) tracker.office.test, 192.0.2.10"),
    (_not_pem, "is not a PEM certificate"),
    (lambda c, t: (c["key"], c["key"], c["chain"]), "(it looks like a private key)"),
    (lambda c, t: (c["cert"], c["cert"], c["chain"]), "is not a PEM private key"),
    (_encrypted_key, "is encrypted with a passphrase"),
    (_self_signed, "is self-signed"),
    (lambda c, t: (t / "missing.crt", c["key"], c["chain"]), "not found"),
], ids=["key-mismatch", "expired", "no-intermediate", "no-chain", "names", "der", "key-as-cert", "cert-as-key",
        "encrypted-key", "self-signed", "missing-file"])
def test_cert_import_rejects_bad_input(trackerbox, tls_dir, company, tmp_path, case, message):
    create(trackerbox, tls_dir)
    before = (tls_dir / store.SERVER_CERT).read_bytes()
    cert, key, chain = case(company, tmp_path)
    code, out, err = import_(trackerbox, tls_dir, cert, key, chain)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert (tls_dir / store.SERVER_CERT).read_bytes() == before
    assert store.hsts_enabled(tls_dir) is False


def test_cert_status_reports_days_left(trackerbox, tls_dir):
    create(trackerbox, tls_dir)
    code, out, _ = trackerbox("cert", "status", "--tls-dir", str(tls_dir))
    assert code == 0
    assert "Names:     tracker.office.test, 192.0.2.10" in out
    assert "Source:    local-ca" in out
    assert "Days left: 396" in out or "Days left: 397" in out


def test_cert_status_fails_under_30_days(trackerbox, tls_dir, company, tmp_path):
    key, cert = make_leaf(SANS, company["issuing_key"], company["issuing"],
                          not_after=datetime.now(timezone.utc) + timedelta(days=10, hours=1))
    import_(trackerbox, tls_dir, write_pem(tmp_path / "short.crt", cert), write_pem(tmp_path / "short.key", key),
            company["chain"])
    code, out, _ = trackerbox("cert", "status", "--tls-dir", str(tls_dir))
    assert code == 1
    assert "Days left: 10 (under 30: renew it soon)" in out
    assert "Source:    imported" in out


def test_cert_status_without_certificate_fails(trackerbox, tls_dir):
    code, out, _ = trackerbox("cert", "status", "--tls-dir", str(tls_dir))
    assert code == 1
    assert "No certificate in" in out


@pytest.mark.parametrize(("name", "covered", "expected"), [
    ("a.example.test", ["*.example.test"], True),
    ("a.b.example.test", ["*.example.test"], False),
    ("example.test", ["*.example.test"], False),
    ("192.0.2.10", ["192.0.2.10"], True),
    ("192.0.2.11", ["192.0.2.10"], False),
    ("TRACKER.example.test", ["tracker.example.test"], True),
])
def test_name_is_covered_cases(name, covered, expected):
    parsed = parse_server_names([name])[0]
    assert name_is_covered(parsed, parse_server_names(covered) if "*" not in covered[0] else covered) is expected


def test_nginx_running_reads_pid_file(tmp_path):
    pid_file = tmp_path / "nginx.pid"
    assert store.nginx_running(pid_file) is False
    pid_file.write_text(f"{os.getpid()}\n")
    assert store.nginx_running(pid_file) is True
    pid_file.write_text("not a pid\n")
    assert store.nginx_running(pid_file) is False
