"""Uploaded import files waiting between the preview and the confirmed import.

Each file lives in ``<upload_dir>/imports-pending`` under the uploader's user id and a
random token, next to a small JSON file with the original name and the SHA-256 of the
content. Only the uploader can name it again, because the path contains their id. It is
deleted after a successful import, on cancel, and after PENDING_MAX_AGE_SECONDS.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import time
from pathlib import Path

from flask import current_app

from app.errors import UserError
from app.models import User

log = logging.getLogger(__name__)

PENDING_SUBDIR = "imports-pending"
PENDING_MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[0-9a-f]{32}")


def _folder() -> Path:
    folder = current_app.config["TRACKERBOX"].upload_dir / PENDING_SUBDIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _paths(user: User, token: str) -> tuple[Path, Path]:
    if not _TOKEN.fullmatch(token or ""):
        raise UserError("the upload reference is invalid; upload the file again", field="file")
    folder = _folder()
    return folder / f"{user.id}-{token}.csv", folder / f"{user.id}-{token}.json"


def clean_filename(name: str) -> str:
    """Keep the last part of an uploaded file's name, without control characters, for display."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip()
    return base[:200] or "upload.csv"


def save_upload(user: User, data: bytes, filename: str) -> str:
    """Store ``data`` for ``user`` and return the token that names it."""
    remove_stale_uploads()
    token = secrets.token_hex(16)
    data_path, meta_path = _paths(user, token)
    data_path.write_bytes(data)
    data_path.chmod(0o600)
    meta_path.write_text(json.dumps({"filename": clean_filename(filename),
                                     "sha256": hashlib.sha256(data).hexdigest()}), encoding="utf-8")
    return token


def load_upload(user: User, token: str) -> tuple[bytes, str]:
    """Return the bytes and original name of a pending upload; raise UserError when it is gone or changed."""
    data_path, meta_path = _paths(user, token)
    try:
        data = data_path.read_bytes()
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError("the uploaded file is no longer available (it is removed after an import, on cancel and "
                        "after one day); upload it again", field="file") from None
    if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        raise UserError("the uploaded file changed on the server since the preview; upload it again", field="file")
    return data, str(meta.get("filename") or "upload.csv")


def delete_upload(user: User, token: str) -> None:
    for path in _paths(user, token):
        path.unlink(missing_ok=True)


def remove_stale_uploads(max_age_seconds: int = PENDING_MAX_AGE_SECONDS) -> int:
    """Delete pending uploads older than ``max_age_seconds``; return how many files were removed."""
    cutoff = time.time() - max_age_seconds
    removed = 0
    for path in _folder().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError as exc:
            log.warning("stale import upload %s could not be removed: %s", path.name, exc)
    return removed
