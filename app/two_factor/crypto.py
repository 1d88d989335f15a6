"""Encryption of TOTP secrets and hashing of recovery codes under the two_factor.key file.

Two sub-keys are derived from the key file with HKDF-SHA256, one per purpose, so the
same bytes never serve as both an AES key and an HMAC key.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from app.errors import UserError

log = logging.getLogger(__name__)

NONCE_BYTES = 12
SECRET_PURPOSE = b"trackerbox totp secret"
RECOVERY_PURPOSE = b"trackerbox recovery code"


class SecretUnreadable(UserError):
    """A stored TOTP secret that the current two_factor.key cannot decrypt."""

    status_code = 500


def _derive(purpose: bytes) -> bytes:
    master = current_app.extensions["trackerbox_keys"]["two_factor"]
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def _associated_data(user_id: int) -> bytes:
    # Binds the ciphertext to its row: a secret copied to another user does not decrypt.
    return f"user {user_id}".encode("ascii")


def encrypt_secret(user_id: int, secret: str) -> str:
    """Encrypt a base32 TOTP secret with AES-256-GCM; return nonce and ciphertext as URL-safe base64."""
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(_derive(SECRET_PURPOSE)).encrypt(nonce, secret.encode("ascii"), _associated_data(user_id))
    return base64.urlsafe_b64encode(nonce + ciphertext).decode("ascii")


def decrypt_secret(user_id: int, stored: str) -> str:
    """Decrypt what ``encrypt_secret`` made; raise SecretUnreadable when the key or the row does not match."""
    try:
        raw = base64.urlsafe_b64decode(stored.encode("ascii"))
        plain = AESGCM(_derive(SECRET_PURPOSE)).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                                        _associated_data(user_id))
    except (InvalidTag, ValueError, binascii.Error):
        log.error("TOTP secret of user %s could not be decrypted with the current two_factor.key", user_id)
        raise SecretUnreadable(
            "the second factor of this account cannot be read, because the server's two_factor.key is not the "
            "key it was stored with; restore that key file from the backup, or ask an administrator to reset "
            "this person's second factor"
        ) from None
    return plain.decode("ascii")


def hash_recovery_code(normalized_code: str) -> str:
    """Return the HMAC-SHA256 (hex) of a normalised recovery code."""
    return hmac.new(_derive(RECOVERY_PURPOSE), normalized_code.encode("ascii"), hashlib.sha256).hexdigest()
