"""One backup run: write the archive once, copy it to each target, read it back and verify it.

The archive is spooled once to ``<data_dir>/backup-spool`` so every target receives the
same snapshot. Per target the steps are: free-space check, upload under a temporary name,
rename, read back and decrypt against the manifest (``verify_archive``), and only then a
``.verified.json`` sidecar next to the archive. Retention runs on a target only after a
verified success there. A failure on one target is recorded and reported, and the run
goes on with the next target.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from app.config import Settings
from backup.retention import (
    SIDECAR_SUFFIX, ArchiveEntry, archive_name, parse_archive_name, plan_retention,
)
from backup.target_config import TargetConfig
from backup.targets import PARTIAL_SUFFIX, TRANSPORT_ERRORS, TargetError, Transport, open_target

log = logging.getLogger(__name__)

# Room left free on a target beyond the archive itself, so a backup never fills it to the last byte.
FREE_SPACE_MARGIN_BYTES = 16 * 1024 * 1024
SPOOL_DIR_NAME = "backup-spool"
# Called with (phase, bytes done, bytes in all), like the archive writer's own progress.
Progress = Callable[[str, int, int], None] | None


@dataclass
class TargetResult:
    target: str
    ok: bool
    message: str
    archive: str | None = None
    size_bytes: int | None = None
    pruned: int = 0


class _HashingReader(io.RawIOBase):
    """Pass reads through while hashing them, so the read-back bytes can be compared."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        self.digest.update(data)
        self.size += len(data)
        return len(data)

    def drain(self) -> None:
        while self.read(1024 * 1024):
            pass


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _phase(progress: Progress, phase: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(phase, done, total)


def _byte_counter(progress: Progress, phase: str, total: int) -> Callable[[int], None] | None:
    if progress is None:
        return None
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        progress(phase, done, total)

    return advance


def write_spool(settings: Settings, created_at: datetime, progress: Progress = None) -> Path:
    """Write a new encrypted archive into the spool directory and return its path."""
    from backup.archive import write_archive

    spool = settings.data_dir / SPOOL_DIR_NAME
    spool.mkdir(parents=True, exist_ok=True, mode=0o700)
    for leftover in spool.iterdir():
        leftover.unlink()
    final = spool / archive_name(created_at)
    partial = spool / (final.name + PARTIAL_SUFFIX)
    with partial.open("wb") as out:
        write_archive(settings, out, progress=_phase(progress, "writing the archive"))
        out.flush()
        os.fsync(out.fileno())
    partial.rename(final)
    return final


def verify_on_target(transport: Transport, name: str, expected_sha256: str, identity, size: int,
                     progress: Progress = None) -> int:
    """Read ``name`` back from the target, decrypt and check it; return its size in bytes."""
    from backup.archive import verify_archive

    phase = f"{transport.config.name}: verifying"
    with transport.open_read(name) as stream:
        reader = _HashingReader(stream)
        verify_archive(reader, identity, progress=_phase(progress, phase), total=size)
        reader.drain()
    if reader.digest.hexdigest() != expected_sha256:
        raise TargetError(f"target {transport.config.name}: {name} read back differs from the archive written")
    return reader.size


def send_to_target(config: TargetConfig, spool_file: Path, sha256: str, identity, progress: Progress = None
                   ) -> TargetResult:
    """Copy, verify and record one archive on one target; never raise for a target fault."""
    from backup.errors import BackupError

    name = spool_file.name
    size = spool_file.stat().st_size
    try:
        with open_target(config) as transport:
            free = transport.free_bytes()
            if free is not None and free < size + FREE_SPACE_MARGIN_BYTES:
                raise TargetError(f"target {config.name} is full: {free // 2**20} MiB free, the archive needs "
                                  f"{(size + FREE_SPACE_MARGIN_BYTES) // 2**20} MiB; free space or lower retention")
            with spool_file.open("rb") as source:
                transport.put(source, name, _byte_counter(progress, f"{config.name}: copying", size))
            try:
                read_size = verify_on_target(transport, name, sha256, identity, size, progress)
            except BackupError as exc:
                raise TargetError(f"target {config.name}: verification of {name} failed: {exc}") from exc
            record = {"archive": name, "size_bytes": read_size, "sha256": sha256,
                      "verified_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            transport.write_text(name + SIDECAR_SUFFIX, json.dumps(record, indent=1) + "\n")
            log.info("archive %s verified on target %s (%s bytes)", name, config.name, read_size)
            try:
                pruned = prune_transport(transport, config)
            except TRANSPORT_ERRORS as exc:
                # The archive is verified all the same; old archives stay until the next run.
                log.error("retention on target %s failed after %s was verified: %s", config.name, name, exc)
                return TargetResult(config.name, True, f"verified {name}; retention failed: {exc}", name, size)
    except TRANSPORT_ERRORS as exc:
        message = str(exc) if isinstance(exc, TargetError) else f"target {config.name}: {exc}"
        log.error("backup to target %s failed: %s", config.name, message)
        return TargetResult(config.name, False, message, name, size)
    return TargetResult(config.name, True, f"verified {name}", name, size, len(pruned))


def list_archives(transport: Transport) -> list[ArchiveEntry]:
    """Return the complete archives on a target, each marked verified when its sidecar is valid."""
    names = set(transport.list_names())
    entries = []
    for name in sorted(names):
        created_at = parse_archive_name(name)
        if created_at is None:
            continue
        verified = False
        if name + SIDECAR_SUFFIX in names:
            try:
                record = json.loads(transport.read_text(name + SIDECAR_SUFFIX) or "{}")
            except ValueError:
                record = None
            verified = isinstance(record, dict) and record.get("archive") == name
        entries.append(ArchiveEntry(name, created_at, verified))
    return entries


def prune_transport(transport: Transport, config: TargetConfig) -> list[ArchiveEntry]:
    """Apply the target's retention and remove leftovers of interrupted runs; return what was deleted."""
    entries = list_archives(transport)
    if not any(entry.verified for entry in entries):
        return []
    _kept, deleted = plan_retention(entries, config)
    for entry in deleted:
        transport.remove(entry.name + SIDECAR_SUFFIX)
        transport.remove(entry.name)
        log.info("archive %s removed from target %s by retention", entry.name, config.name)
    archive_names = {entry.name for entry in entries} - {entry.name for entry in deleted}
    for name in transport.list_names():
        leftover = name.endswith(PARTIAL_SUFFIX) and name.startswith("trackerbox-")
        orphan = name.endswith(SIDECAR_SUFFIX) and name[: -len(SIDECAR_SUFFIX)] not in archive_names
        if leftover or orphan:
            transport.remove(name)
            log.info("leftover %s removed from target %s", name, config.name)
    return deleted


def run_backup(settings: Settings, targets: list[TargetConfig], identity, progress: Progress = None,
               created_at: datetime | None = None) -> list[TargetResult]:
    """Write one archive and send it to every target in ``targets``; return one result per target."""
    from backup.errors import BackupError

    created_at = created_at or datetime.now(timezone.utc)
    try:
        spool_file = write_spool(settings, created_at, progress)
    except (BackupError, OSError) as exc:
        reason = f"writing the archive failed: {exc}"
        log.error("backup run failed before any target was written: %s", reason)
        return [TargetResult(config.name, False, f"target {config.name}: {reason}") for config in targets]
    try:
        sha256 = _sha256_of(spool_file)
        return [send_to_target(config, spool_file, sha256, identity, progress) for config in targets]
    finally:
        spool_file.unlink(missing_ok=True)
