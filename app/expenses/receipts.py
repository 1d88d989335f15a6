"""Receipt files: checking uploads, storing them safely and removing them with the transaction.

An upload is accepted only when its first bytes are those of a PDF, PNG or JPEG file.
The file name and the browser's content type are not used for that check. Files live
in ``<upload_dir>/receipts`` under a random name, outside the web root and the static
folder. Each is written to a temporary file first and then renamed, so no reader sees
half a file.

Files follow the database transaction: a file stored in a transaction that rolls back
is deleted at the rollback, and a replaced or deleted receipt is removed only after the
commit. If the process dies between commit and removal, the old file stays behind as
an orphan, and ``remove_orphan_receipts`` (run by ``trackerbox uploads clean``) deletes
such files.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app import db
from app.errors import UserError
from app.models import Expense

log = logging.getLogger(__name__)

RECEIPT_SUBDIR = "receipts"
TEMP_PREFIX = ".upload-"
MAX_DISPLAY_NAME_LENGTH = 120
# Leading bytes of each accepted format, with the content type and extension it is served with.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
CONTENT_TYPES = {content_type: extension for _, content_type, extension in SIGNATURES}
STORED_NAME = re.compile(r"[0-9a-f]{32}\.(?:pdf|png|jpg)")
# Session.info keys: files written in the open transaction, and files to remove after its commit.
_NEW_FILES = "receipts_new_files"
_OLD_FILES = "receipts_old_files"


@dataclass(frozen=True)
class CheckedReceipt:
    """An upload whose content was recognised as an accepted receipt format."""

    data: bytes
    content_type: str
    extension: str
    display_name: str


def max_upload_bytes() -> int:
    return current_app.config["TRACKERBOX"].max_upload_bytes


def receipt_dir() -> Path:
    """Return the receipt folder, creating it (owner-only access) on first use."""
    folder = current_app.config["TRACKERBOX"].upload_dir / RECEIPT_SUBDIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def detect_type(data: bytes) -> tuple[str, str] | None:
    """Return (content type, extension) for the format the leading bytes show, else None."""
    for signature, content_type, extension in SIGNATURES:
        if data.startswith(signature):
            return content_type, extension
    return None


def sanitise_file_name(name: str, extension: str) -> str:
    """Make an uploaded file name safe to show and to send back in a header.

    Folders, control and bidirectional-override characters and anything outside letters,
    digits, spaces and ``.-_()`` are removed or replaced, and the extension is set to the
    one of the detected format, so ``scan.pdf`` holding a PNG is shown as ``scan.png``.
    """
    base = re.split(r"[/\\]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if not unicodedata.category(ch).startswith("C"))
    base = re.sub(r"[^\w .()-]", "_", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[\s_]{2,}", "_", stem).strip(" ._-")
    stem = stem[: MAX_DISPLAY_NAME_LENGTH - len(extension)] or "receipt"
    return stem + extension


def read_upload(upload: FileStorage | None) -> CheckedReceipt | None:
    """Read and check an uploaded receipt, or return None when no file was chosen.

    Raises UserError (field ``receipt``) for an empty file, a file over the upload size
    limit, or content that is not PDF, PNG or JPEG.
    """
    if upload is None:
        return None
    limit = max_upload_bytes()
    data = upload.stream.read(limit + 1)
    if not data and not upload.filename:
        return None
    given_name = upload.filename or "(no name)"
    if not data:
        raise UserError(f"receipt {given_name!r} is empty; choose the scanned or saved receipt file", field="receipt")
    if len(data) > limit:
        raise UserError(
            f"receipt {given_name!r} is larger than the upload limit of {format_size(limit)}; "
            "scan it with a lower resolution or save it as a smaller PDF",
            field="receipt",
        )
    detected = detect_type(data)
    if detected is None:
        raise UserError(
            f"receipt {given_name!r} is not a PDF, PNG or JPEG file (its content is some other format, "
            "whatever its name says); save or scan the receipt as PDF, PNG or JPEG",
            field="receipt",
        )
    content_type, extension = detected
    return CheckedReceipt(data, content_type, extension, sanitise_file_name(upload.filename or "", extension))


def format_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def store_receipt(receipt: CheckedReceipt) -> str:
    """Write the receipt under a new random name and return that name.

    The file is tied to the current transaction: a rollback deletes it again.
    """
    session = db.session()
    # Begin the transaction now, so that a rollback is sure to fire the cleanup hook.
    session.connection()
    folder = receipt_dir()
    name = secrets.token_hex(16) + receipt.extension
    handle, temp_path = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(receipt.data)
            output.flush()
            os.fsync(output.fileno())
        os.chmod(temp_path, 0o600)
        os.replace(temp_path, folder / name)
    except BaseException:
        _unlink(Path(temp_path))
        raise
    session.info.setdefault(_NEW_FILES, []).append(folder / name)
    log.info("receipt %s stored (%s, %d bytes)", name, receipt.content_type, len(receipt.data))
    return name


def remove_after_commit(name: str | None) -> None:
    """Delete the stored receipt ``name`` once the current transaction commits."""
    if name:
        db.session().info.setdefault(_OLD_FILES, []).append(receipt_path(name))


def receipt_path(name: str) -> Path:
    """Return the path of a stored receipt. A name that does not match the generated pattern raises ValueError."""
    if not STORED_NAME.fullmatch(name or ""):
        raise ValueError(f"stored receipt name {name!r} does not match the generated pattern")
    return receipt_dir() / name


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        log.exception("receipt file %s could not be deleted; remove_orphan_receipts can remove it later", path.name)


@event.listens_for(Session, "after_commit")
def _remove_replaced_files(session: Session) -> None:
    session.info.pop(_NEW_FILES, None)
    for path in session.info.pop(_OLD_FILES, []):
        _unlink(path)
        log.info("receipt %s deleted after commit", path.name)


@event.listens_for(Session, "after_rollback")
def _remove_uncommitted_files(session: Session) -> None:
    session.info.pop(_OLD_FILES, None)
    for path in session.info.pop(_NEW_FILES, []):
        _unlink(path)
        log.info("receipt %s deleted because its transaction rolled back", path.name)


def remove_orphan_receipts(min_age_seconds: int = 3600) -> list[str]:
    """Delete receipt files that no expense refers to and return their names.

    Only files older than ``min_age_seconds`` are touched, so a file written by a
    transaction that has not committed yet is left alone.
    """
    folder = receipt_dir()
    referenced = set(db.session.scalars(select(Expense.receipt_name).where(Expense.receipt_name.is_not(None))))
    cutoff = time.time() - min_age_seconds
    removed: list[str] = []
    for path in sorted(folder.iterdir()):
        is_ours = STORED_NAME.fullmatch(path.name) or path.name.startswith(TEMP_PREFIX)
        if not is_ours or path.name in referenced or not path.is_file() or path.stat().st_mtime > cutoff:
            continue
        _unlink(path)
        removed.append(path.name)
    if removed:
        log.warning("%d orphaned receipt file(s) deleted: %s", len(removed), ", ".join(removed))
    return removed
