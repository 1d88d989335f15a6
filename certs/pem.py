"""Reading and writing PEM files with messages that name the file and the fix."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.errors import UserError

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _read_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{what} file {path} not found; check the path") from None
    except OSError as exc:
        raise UserError(f"cannot read the {what} file {path}: {exc.strerror or exc}") from None


def load_certificates(path: Path, what: str = "certificate") -> list[x509.Certificate]:
    """Load every certificate in a PEM file, in file order; at least one must be there."""
    data = _read_bytes(path, what)
    if b"-----BEGIN CERTIFICATE-----" not in data:
        hint = " (it looks like a private key)" if b"PRIVATE KEY-----" in data else ""
        raise UserError(f"{what} file {path} is not a PEM certificate{hint}; it must contain "
                        "'-----BEGIN CERTIFICATE-----' (convert DER with: openssl x509 -inform der -in FILE -out FILE.pem)")
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise UserError(f"{what} file {path} has a damaged PEM certificate ({exc}); export it again") from None


def load_private_key(path: Path) -> PrivateKey:
    """Load an unencrypted RSA or ECDSA private key from a PEM file."""
    data = _read_bytes(path, "key")
    if b"PRIVATE KEY-----" not in data:
        raise UserError(f"key file {path} is not a PEM private key; it must contain '-----BEGIN ... PRIVATE KEY-----'")
    if b"ENCRYPTED" in data:
        raise UserError(f"key file {path} is encrypted with a passphrase, which nginx cannot read at start; "
                        "write an unencrypted copy with: openssl pkey -in KEY -out KEY.plain")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        # The message of cryptography's exception never contains key material.
        raise UserError(f"key file {path} could not be read as a private key ({exc})") from None
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise UserError(f"key file {path} holds a {type(key).__name__}; use an RSA or ECDSA key")
    return key


def certificate_pem(certificates: list[x509.Certificate]) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certificates)


def private_key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` with ``data`` in one rename; the file has ``mode`` from its first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
