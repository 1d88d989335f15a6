"""The local certificate authority and the server certificates it signs (ECDSA P-256).

The authority's certificate carries name constraints: it can only vouch for the server
names it was made for. An office PC that trusts it therefore trusts nothing else signed
with its key, even if that key leaked from the box.
"""
from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.errors import UserError
from certs.names import Address, general_name

# Browsers reject server certificates valid for longer than 398 days; 397 leaves a day of margin.
MAX_SERVER_DAYS = 397
CA_DAYS = 3650
# Allows for a server clock a little behind the office PCs' clocks.
BACKDATE = timedelta(minutes=5)


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TrackerBox"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
    ])


def _constraints(names: list[str | Address]) -> x509.NameConstraints:
    permitted: list[x509.GeneralName] = []
    for name in names:
        if isinstance(name, str):
            permitted.append(x509.DNSName(name))
        else:
            permitted.append(x509.IPAddress(ipaddress.ip_network(name)))
    excluded: list[x509.GeneralName] = []
    if not any(not isinstance(name, str) for name in names):
        # Without any permitted IP range, IP addresses would be unconstrained; exclude them all.
        excluded = [x509.IPAddress(ipaddress.ip_network("0.0.0.0/0")), x509.IPAddress(ipaddress.ip_network("::/0"))]
    return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=excluded or None)


def create_authority(names: list[str | Address], now: datetime | None = None) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """Make a new local CA key and self-signed certificate limited to ``names``."""
    now = now or datetime.now(timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(f"TrackerBox local CA for {names[0]}")
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(_constraints(names), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def authority_permits(ca_cert: x509.Certificate, names: list[str | Address]) -> list[str | Address]:
    """Return the names in ``names`` that the CA's name constraints do not allow."""
    try:
        constraints = ca_cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return []
    permitted = constraints.permitted_subtrees or []
    refused = []
    for name in names:
        if isinstance(name, str):
            allowed = any(isinstance(p, x509.DNSName) and (name == p.value or name.endswith("." + p.value))
                          for p in permitted)
        else:
            allowed = any(isinstance(p, x509.IPAddress) and name in p.value for p in permitted)
        if not allowed:
            refused.append(name)
    return refused


def issue_server_certificate(ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate,
                             names: list[str | Address], days: int = MAX_SERVER_DAYS,
                             now: datetime | None = None) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """Make a server key and a certificate for ``names`` signed by the local CA."""
    if not 1 <= days <= MAX_SERVER_DAYS:
        raise UserError(f"--days {days} is outside 1..{MAX_SERVER_DAYS}; browsers reject longer server certificates")
    if not names:
        raise UserError("no server name given; pass --name with the host name or IP address the office uses")
    now = now or datetime.now(timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    not_after = min(now + timedelta(days=days), ca_cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(str(names[0])))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([general_name(name) for name in names]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert
