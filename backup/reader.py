"""Decrypting and checking archives, optionally extracting them into a staging folder.

Decryption runs in a worker thread that writes plaintext into a pipe. The calling
thread reads the tar from the pipe, hashes every member and compares the results with
the manifest at the end. Nothing outside ``extract_to`` is ever written.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import threading
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import pyrage

from app import __version__ as TRACKERBOX_VERSION
from backup.errors import BackupError
from backup.pipes import make_pipe
from backup.manifest import FORMAT_VERSION, HEADER_NAME, MANIFEST_NAME, ROOT, Manifest, version_tuple

CHUNK = 1024 * 1024
AGE_MAGIC = b"age-encryption.org/v1"
Progress = Callable[[int, int], None]


class _Decryptor(threading.Thread):
    """Runs pyrage.decrypt_io into a pipe and keeps its error."""

    def __init__(self, source: BinaryIO, identity):
        super().__init__(name="backup-decrypt", daemon=True)
        self.source = source
        self.identity = identity
        self.error: Exception | None = None
        self.read_fd, self.write_fd = make_pipe()

    def run(self) -> None:
        try:
            with os.fdopen(self.write_fd, "wb", buffering=CHUNK) as sink:
                pyrage.decrypt_io(self.source, sink, [self.identity])
        except (pyrage.DecryptError, OSError, ValueError) as exc:
            self.error = exc


def verify_archive(stream: BinaryIO, identity, *, progress: Progress | None = None, total: int = 0,
                   check_header: Callable[[dict], None] | None = None) -> Manifest:
    """Decrypt the archive, check every member's SHA-256 and size, and return the manifest.

    Raises BackupError for a damaged or truncated file, the wrong identity, an archive
    from a newer TrackerBox, or members that do not match the manifest.
    """
    return read_archive(stream, identity, progress=progress, total=total, check_header=check_header)


def read_manifest(stream: BinaryIO, identity) -> Manifest:
    """Return the manifest of a fully checked archive (same checks as verify_archive)."""
    return verify_archive(stream, identity)


def read_archive(stream: BinaryIO, identity, *, extract_to: Path | None = None, progress: Progress | None = None,
                 total: int = 0, check_header: Callable[[dict], None] | None = None) -> Manifest:
    """Check the archive as verify_archive does and write each member under ``extract_to``."""
    _check_age_header(stream)
    decryptor = _Decryptor(stream, identity)
    decryptor.start()
    reader = os.fdopen(decryptor.read_fd, "rb", buffering=CHUNK)
    try:
        manifest, seen = _walk(reader, extract_to, progress, total, check_header or check_compatible)
    except BackupError:
        # Our own finding: stop reading, and ignore the broken pipe the decryptor then gets.
        _abandon(reader, decryptor)
        raise
    except (tarfile.TarError, OSError, UnicodeDecodeError) as exc:
        # Most often the plaintext ended early because decryption failed: report that cause.
        error = _drain(reader, decryptor)
        if error is not None:
            raise _decrypt_failure(error) from None
        raise BackupError(f"the archive's content is not a valid TrackerBox tar ({exc}); it is damaged") from None
    except BaseException:
        _abandon(reader, decryptor)
        raise
    error = _drain(reader, decryptor)
    if error is not None:
        raise _decrypt_failure(error)
    _compare(manifest, seen)
    return manifest


def _check_age_header(stream: BinaryIO) -> None:
    """Reject a file that is not in the age format before starting the decryptor (seekable streams only)."""
    if not stream.seekable():
        return
    start = stream.tell()
    head = stream.read(len(AGE_MAGIC))
    stream.seek(start)
    if head != AGE_MAGIC and not head.startswith(b"-----BEGIN"):
        raise BackupError("the file is not an age-encrypted archive (it does not start with "
                          f"{AGE_MAGIC.decode()}); choose a TrackerBox backup file")


def _abandon(reader, decryptor: _Decryptor) -> None:
    reader.close()
    decryptor.join()


def _drain(reader, decryptor: _Decryptor) -> Exception | None:
    """Read the plaintext to its end so the decryptor finishes, then return its error."""
    try:
        while reader.read(CHUNK):
            pass
    finally:
        reader.close()
    decryptor.join()
    return decryptor.error


def _decrypt_failure(error: Exception) -> BackupError:
    text = str(error)
    if "No matching keys" in text or "no matching" in text.lower():
        return BackupError("this identity cannot decrypt the archive: it was encrypted to another box's key, "
                           "or its header is damaged; use the identity from the recovery sheet of the box that "
                           "made it, or another copy of the backup")
    if "Header is invalid" in text or "header" in text.lower() and "invalid" in text.lower():
        return BackupError("the file is not an age-encrypted TrackerBox archive, or its header is damaged")
    return BackupError(f"the archive is damaged or truncated and cannot be decrypted ({text}); "
                       "use another copy of this backup")


def check_compatible(header: dict) -> None:
    """Raise BackupError when the archive comes from a newer TrackerBox than this one."""
    if int(header.get("format", 0)) > FORMAT_VERSION:
        raise BackupError(f"the archive uses format {header.get('format')}, newer than this TrackerBox "
                          f"({TRACKERBOX_VERSION}, format {FORMAT_VERSION}) reads; upgrade TrackerBox first")
    made_by = str(header.get("trackerbox_version", ""))
    if version_tuple(made_by) > version_tuple(TRACKERBOX_VERSION):
        raise BackupError(f"the archive was made by TrackerBox {made_by}, newer than this one "
                          f"({TRACKERBOX_VERSION}); upgrade TrackerBox to {made_by} or later, then restore")
    revision = header.get("alembic_revision")
    if revision and not _known_revision(revision):
        raise BackupError(f"the archive's database schema revision {revision} is unknown to TrackerBox "
                          f"{TRACKERBOX_VERSION}, so it comes from a newer version; upgrade TrackerBox first")


def _known_revision(revision: str) -> bool:
    from alembic.util import CommandError
    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0] != ROOT:
        raise BackupError(f"the archive contains the unexpected path {name!r}; it was not made by TrackerBox")
    return path


def _walk(reader, extract_to: Path | None, progress, total: int, check_header) -> tuple[Manifest, dict]:
    seen: dict[str, dict] = {}
    manifest: Manifest | None = None
    done = 0
    with tarfile.open(fileobj=reader, mode="r|") as tar:
        for index, member in enumerate(tar):
            path = _safe_name(member.name)
            if member.isdir():
                continue
            if not member.isfile():
                raise BackupError(f"the archive member {member.name!r} is not a regular file; it is damaged")
            if manifest is not None:
                raise BackupError(f"the archive has the member {member.name!r} after its manifest; it is damaged")
            if index == 0 and member.name != HEADER_NAME:
                raise BackupError("the archive does not start with backup.json; it was not made by TrackerBox")
            handle = tar.extractfile(member)
            if member.name == MANIFEST_NAME:
                manifest = Manifest.from_json(handle.read(), MANIFEST_NAME)
                continue
            digest, size, data = _copy_member(handle, path, extract_to, keep=member.name == HEADER_NAME)
            seen[member.name] = {"sha256": digest, "size": size}
            if member.name == HEADER_NAME:
                check_header(_parse_header(data))
            done += size
            if progress is not None:
                progress(done, max(total, done))
    if manifest is None:
        raise BackupError("the archive has no manifest: it is truncated or was interrupted while written; "
                          "use another copy of this backup")
    return manifest, seen


def _parse_header(data: bytes) -> dict:
    try:
        header = json.loads(data)
    except ValueError:
        raise BackupError("backup.json in the archive is not valid JSON; the archive is damaged") from None
    if not isinstance(header, dict):
        raise BackupError("backup.json in the archive is not a JSON object; the archive is damaged")
    return header


def _copy_member(handle, path: PurePosixPath, extract_to: Path | None, *, keep: bool) -> tuple[str, int, bytes]:
    digest = hashlib.sha256()
    size = 0
    kept = io.BytesIO()
    target = None
    if extract_to is not None:
        destination = extract_to.joinpath(*path.parts[1:])
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = open(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
    try:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if keep:
                kept.write(chunk)
            if target is not None:
                target.write(chunk)
    finally:
        if target is not None:
            target.close()
    return digest.hexdigest(), size, kept.getvalue()


def _compare(manifest: Manifest, seen: dict[str, dict]) -> None:
    for name, expected in manifest.members.items():
        actual = seen.get(name)
        if actual is None:
            raise BackupError(f"the archive lacks {name}, which its manifest lists; it is damaged")
        if actual["size"] != expected.get("size") or actual["sha256"] != expected.get("sha256"):
            raise BackupError(f"{name} in the archive does not match its SHA-256 or size in the manifest; "
                              "the archive is damaged, use another copy")
    extra = sorted(set(seen) - set(manifest.members))
    if extra:
        raise BackupError(f"the archive has files its manifest does not list ({extra[0]}); it is damaged")
