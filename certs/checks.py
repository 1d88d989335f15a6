"""Checks on a company certificate before it replaces nginx's certificate."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from app.errors import UserError
from certs.names import Address, certificate_names, name_is_covered
from certs.pem import PrivateKey, load_certificates, load_private_key

MAX_CHAIN_LENGTH = 8


@dataclass
class CheckedCertificate:
    key: PrivateKey
    leaf: x509.Certificate
    intermediates: list[x509.Certificate]
    root: x509.Certificate

    @property
    def served_chain(self) -> list[x509.Certificate]:
        """What nginx sends: the leaf and the intermediates; browsers bring their own root."""
        return [self.leaf, *self.intermediates]


def describe(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or "(empty subject)"


def _public_bytes(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _check_dates(cert: x509.Certificate, now: datetime, label: str) -> None:
    if cert.not_valid_after_utc <= now:
        raise UserError(f"{label} {describe(cert)} expired on {cert.not_valid_after_utc:%Y-%m-%d}; "
                        "ask your CA for a renewed certificate")
    if cert.not_valid_before_utc > now:
        raise UserError(f"{label} {describe(cert)} is valid only from {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC; "
                        "check the server clock or wait until then")


def build_chain(leaf: x509.Certificate, pool: list[x509.Certificate]) -> tuple[list[x509.Certificate], x509.Certificate]:
    """Follow issuers from ``leaf`` through ``pool`` to a self-signed root; return (intermediates, root)."""
    if leaf.subject == leaf.issuer and _issued_by(leaf, leaf):
        raise UserError(f"the certificate {describe(leaf)} is self-signed, so browsers will not trust it; "
                        "import a certificate issued by your company CA, or use `trackerbox cert create`")
    intermediates: list[x509.Certificate] = []
    current = leaf
    for _ in range(MAX_CHAIN_LENGTH):
        issuer = next((c for c in pool if c.subject == current.issuer and _issued_by(current, c)), None)
        if issuer is None:
            raise UserError(
                f"incomplete chain: no certificate of the issuer {current.issuer.rfc4514_string()} "
                f"(which signed {describe(current)}) in the given files; pass the intermediate and root "
                "certificates of your CA with --chain")
        if issuer.subject == issuer.issuer and _issued_by(issuer, issuer):
            return intermediates, issuer
        intermediates.append(issuer)
        current = issuer
    raise UserError(f"the chain above {describe(leaf)} is longer than {MAX_CHAIN_LENGTH} certificates; "
                    "pass only the chain of this certificate with --chain")


def check_import(cert_path: Path, key_path: Path, chain_path: Path | None, names: list[str | Address],
                 now: datetime | None = None) -> CheckedCertificate:
    """Load and check a company certificate: key match, complete chain, server names and dates."""
    now = now or datetime.now(timezone.utc)
    given = load_certificates(cert_path)
    leaf = given[0]
    key = load_private_key(key_path)
    if _public_bytes(key.public_key()) != _public_bytes(leaf.public_key()):
        raise UserError(f"the key in {key_path} does not belong to the certificate in {cert_path} "
                        f"({describe(leaf)}); pass the key that was made with its certificate request")
    pool = given[1:] + (load_certificates(chain_path, "chain") if chain_path else [])
    intermediates, root = build_chain(leaf, pool)
    _check_dates(leaf, now, "the certificate")
    for cert in [*intermediates, root]:
        _check_dates(cert, now, "the chain certificate")
    covered = certificate_names(leaf)
    missing = [str(name) for name in names if not name_is_covered(name, covered)]
    if missing:
        listed = ", ".join(str(name) for name in covered) or "none"
        raise UserError(f"the certificate does not cover the server name(s) {', '.join(missing)} "
                        f"(its names: {listed}); ask for a certificate with these names, or pass the names "
                        "the office really uses with --name")
    return CheckedCertificate(key=key, leaf=leaf, intermediates=intermediates, root=root)
