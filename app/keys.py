"""Key files kept in the key folder (``key_dir``, by default the data directory), each readable by its owner only."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from app.config import ConfigError, Settings, write_secret_key

PASSWORD_KEY_FILE = "password_hmac.key"
AUDIT_KEY_FILE = "audit_chain.key"
# Encrypts TOTP secrets and keys the recovery code hashes.
TWO_FACTOR_KEY_FILE = "two_factor.key"


def _write_random_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")


def ensure_keys(settings: Settings) -> list[str]:
    """Create whichever of the secret, password, audit and two-factor keys is missing; return the names made."""
    created = []
    if not settings.secret_key:
        settings.secret_key = write_secret_key(settings.secret_key_path)
        created.append(settings.secret_key_path.name)
    for name in (PASSWORD_KEY_FILE, AUDIT_KEY_FILE, TWO_FACTOR_KEY_FILE):
        path = settings.keys_path / name
        if not path.exists():
            _write_random_key(path)
            created.append(name)
    return created


def read_key(settings: Settings, name: str) -> bytes:
    path = settings.keys_path / name
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ConfigError(f"key file {path} is missing; run `trackerbox setup` to create it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read key file {path}: {exc}") from None
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ConfigError(f"key file {path} does not hold a hex key; restore it from the backup") from None


def add_keys_of_newer_version(settings: Settings) -> list[str]:
    """On a box that already has its password key, create key files a later version added.

    Only the two-factor key qualifies: nothing was encrypted under it before it existed.
    A missing password or audit key is never replaced here: a new password key would lock
    everyone out, and a new audit key would break the chain. That stays an error naming
    the file.
    """
    if not (settings.keys_path / PASSWORD_KEY_FILE).exists():
        return []
    path = settings.keys_path / TWO_FACTOR_KEY_FILE
    if path.exists():
        return []
    _write_random_key(path)
    return [TWO_FACTOR_KEY_FILE]
