"""The box's backup key pair: an age X25519 identity and the recipient derived from it.

Archives are encrypted to the recipient (the public key), so making a backup needs no
secret. Reading one needs the identity, which ``trackerbox backup init`` writes once,
owner-only, and prints on a recovery sheet. The box's own identity file stays plain, so
that unattended runs can read back and verify every archive they write; the copy on the
recovery sheet may be protected with a passphrase (age scrypt encryption), which the
stock ``age -d -i FILE`` asks for itself. Identity files given on the command line may
be either kind.
"""
from __future__ import annotations

import base64
import os
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyrage
from pyrage import x25519

from app.config import Settings
from backup.errors import BackupError

IDENTITY_FILE_NAME = "backup_identity.txt"
RECIPIENT_FILE_NAME = "backup_recipient.txt"
ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = "-----END AGE ENCRYPTED FILE-----"
SECRET_KEY_PREFIX = "AGE-SECRET-KEY-1"
MIN_PASSPHRASE_LENGTH = 12


@dataclass(frozen=True)
class RecoverySheet:
    """The page an administrator keeps on paper or offline, to read backups later."""

    identity_path: Path
    recipient: str
    # The identity for the sheet: plain, or passphrase-encrypted in age's ASCII armor.
    identity_text: str
    passphrase_protected: bool

    def render(self) -> str:
        """Return the sheet as text to print or store offline."""
        lines = [
            "TrackerBox backup recovery sheet",
            "=" * 32,
            "",
            "Without the identity below no TrackerBox backup can ever be read, by anyone.",
            "Print this sheet or store it offline, away from the box and its backups.",
            "",
            f"Public key (recipient): {self.recipient}",
            f"Identity file on the box: {self.identity_path}",
            "",
            "Identity file (save these lines as identity.txt to recover):",
            "",
            self.identity_text.rstrip("\n"),
            "",
        ]
        if self.passphrase_protected:
            lines.append("The identity above is encrypted with the passphrase you chose, which is not on this sheet.")
            lines.append("Without that passphrase this sheet cannot open any backup.")
            lines.append("")
        lines.append("Recover without TrackerBox:  age -d -i identity.txt ARCHIVE.tar.age | tar x")
        return "\n".join(lines) + "\n"


def identity_path(settings: Settings) -> Path:
    return settings.backup_identity_file or settings.data_dir / IDENTITY_FILE_NAME


def recipient_path(settings: Settings) -> Path:
    return identity_path(settings).with_name(RECIPIENT_FILE_NAME)


def init_identity(settings: Settings, passphrase: str | None = None) -> RecoverySheet:
    """Create the box's identity and recipient files and return the recovery sheet.

    Raises BackupError when an identity exists already, because replacing it would make
    every archive written so far unreadable with the new one.
    """
    path = identity_path(settings)
    if path.exists():
        raise BackupError(
            f"a backup identity exists already at {path}; archives made so far are encrypted to it. "
            "Keep it; to start over, move it away first (older archives then need the old file)"
        )
    if passphrase is not None and len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise BackupError(f"the passphrase has {len(passphrase)} characters; use at least {MIN_PASSPHRASE_LENGTH}")

    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"# TrackerBox backup identity, created {created}\n# public key: {recipient}\n{identity}\n"
    sheet_text = text
    if passphrase is not None:
        sheet_text = armor(pyrage.passphrase.encrypt(text.encode("ascii"), passphrase))

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_new(path, text, 0o600)
    recipient_file = recipient_path(settings)
    recipient_file.unlink(missing_ok=True)
    _write_new(recipient_file, recipient + "\n", 0o644)
    return RecoverySheet(path, recipient, sheet_text, passphrase is not None)


def load_recipient(settings: Settings) -> str:
    """Return the box's age recipient (``age1...``) that archives are encrypted to."""
    path = recipient_path(settings)
    try:
        recipient = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise BackupError(f"no backup key is set up ({path} is missing); run `trackerbox backup init`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError(f"cannot read the backup recipient file {path}: {exc}") from None
    try:
        x25519.Recipient.from_str(recipient)
    except pyrage.RecipientError:
        raise BackupError(f"{path} does not hold an age public key (age1...); restore it from the recovery sheet") from None
    return recipient


def load_identity(settings: Settings, passphrase: str | None = None) -> x25519.Identity:
    """Read the box's own identity file, which must be readable by its owner only."""
    path = identity_path(settings)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise BackupError(f"no backup identity at {path}; run `trackerbox backup init`, or pass the identity "
                          "file from the recovery sheet") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise BackupError(f"{path} is readable by other users (mode {stat.S_IMODE(mode):o}); run chmod 600 {path}")
    return read_identity_file(path, passphrase)


def read_identity_file(path: Path, passphrase: str | None = None) -> x25519.Identity:
    """Parse an age identity file, plain or passphrase-encrypted (binary or armored)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"cannot read the identity file {path}: {exc.strerror}") from None
    if is_passphrase_protected(raw):
        raw = _decrypt_identity(raw, path, passphrase)
    return parse_identity(raw.decode("ascii", "replace"), path)


def is_passphrase_protected(raw: bytes) -> bool:
    return raw.lstrip().startswith((ARMOR_BEGIN.encode(), b"age-encryption.org/"))


def _decrypt_identity(raw: bytes, path: Path, passphrase: str | None) -> bytes:
    if passphrase is None:
        raise BackupError(f"the identity file {path} is protected by a passphrase; give the passphrase")
    data = dearmor(raw) if raw.lstrip().startswith(ARMOR_BEGIN.encode()) else raw
    try:
        return pyrage.passphrase.decrypt(data, passphrase)
    except pyrage.DecryptError:
        raise BackupError(f"the passphrase does not open the identity file {path}; check it and try again") from None


def parse_identity(text: str, origin: Path | str) -> x25519.Identity:
    """Return the identity on the first ``AGE-SECRET-KEY-1`` line of an identity file's text."""
    for line in text.splitlines():
        if line.strip().upper().startswith(SECRET_KEY_PREFIX):
            try:
                return x25519.Identity.from_str(line.strip())
            except pyrage.IdentityError:
                break
    raise BackupError(f"{origin} holds no valid age identity (a line starting {SECRET_KEY_PREFIX}); "
                      "use the identity file from the recovery sheet")


def armor(data: bytes) -> str:
    """Encode ``data`` in age's ASCII armor (PEM-style, 64 base64 characters a line)."""
    encoded = base64.b64encode(data).decode("ascii")
    lines = [encoded[i:i + 64] for i in range(0, len(encoded), 64)]
    return "\n".join([ARMOR_BEGIN, *lines, ARMOR_END]) + "\n"


def dearmor(raw: bytes) -> bytes:
    lines = [line.strip() for line in raw.decode("ascii", "replace").strip().splitlines()]
    if len(lines) < 2 or lines[0] != ARMOR_BEGIN or lines[-1] != ARMOR_END:
        raise BackupError("the armored identity is incomplete; copy every line from BEGIN to END")
    try:
        return base64.b64decode("".join(lines[1:-1]), validate=True)
    except ValueError:
        raise BackupError("the armored identity contains characters that are not base64; copy it again") from None


def _write_new(path: Path, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
