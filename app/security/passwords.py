"""Password hashing: HMAC-SHA256 pre-hash, then bcrypt.

bcrypt reads at most 72 bytes and the installed bcrypt (5.0) raises on longer input.
So the password is first reduced with HMAC-SHA256 under a key kept outside the database
and base64-encoded to 44 bytes, and long passwords are never truncated.

Before hashing, the password is brought to Unicode normalization form NFKC, as NIST SP
800-63B advises, so that the same characters typed on two keyboards (a composed "é" or
"e" plus a combining accent) give the same hash. Nothing else is changed: case, spaces
and every other character count.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata

import bcrypt

ONE_TIME_PASSWORD_GROUPS = 4
ONE_TIME_PASSWORD_GROUP_LENGTH = 5
# Letters and digits that cannot be mistaken for one another when read aloud or copied
# from paper: no 0/O, 1/l/I or 5/S. 29 symbols, so 20 of them give about 97 bits.
ONE_TIME_PASSWORD_ALPHABET = "abcdefghjkmnpqrtuvwxyz2346789"


def _prehash(password: str, key: bytes) -> bytes:
    digest = hmac.new(key, password.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest)


def normalize(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str, key: bytes, rounds: int = 12) -> str:
    return bcrypt.hashpw(_prehash(normalize(password), key), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, stored_hash: str, key: bytes) -> bool:
    """Return True when ``password`` matches ``stored_hash``.

    Hashes made before NFKC normalization was introduced hold the password as typed, so
    a password that normalization changes is also compared in its original form.
    """
    candidates = dict.fromkeys([normalize(password), password])
    try:
        return any(bcrypt.checkpw(_prehash(candidate, key), stored_hash.encode("ascii")) for candidate in candidates)
    except ValueError:
        return False


def hash_rounds(stored_hash: str) -> int:
    """Return the cost factor of a stored bcrypt hash ("$2b$12$..." gives 12)."""
    try:
        return int(stored_hash.split("$")[2])
    except (IndexError, ValueError):
        return 0


def needs_rehash(stored_hash: str, rounds: int) -> bool:
    """Return True when a stored hash uses a lower cost than ``rounds`` and should be replaced."""
    return hash_rounds(stored_hash) < rounds


_dummy_hashes: dict[tuple[bytes, int], str] = {}


def dummy_hash(key: bytes, rounds: int) -> str:
    """Return a hash of a random password to compare against when a login does not exist.

    It is made once per key and cost, so that an unknown login costs one bcrypt check,
    the same as a known one, and not a hash and a check.
    """
    cache_key = (key, rounds)
    if cache_key not in _dummy_hashes:
        _dummy_hashes[cache_key] = hash_password(secrets.token_urlsafe(16), key, rounds)
    return _dummy_hashes[cache_key]


def generate_one_time_password() -> str:
    """Make a random password to hand over once, such as ``k7rmx-9qtbe-hw3pa-2nfcz`` (about 97 bits)."""
    groups = (
        "".join(secrets.choice(ONE_TIME_PASSWORD_ALPHABET) for _ in range(ONE_TIME_PASSWORD_GROUP_LENGTH))
        for _ in range(ONE_TIME_PASSWORD_GROUPS)
    )
    return "-".join(groups)
