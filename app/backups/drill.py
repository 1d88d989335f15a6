"""The monthly restore drill: load the newest verified archive into a scratch database and compare.

The drill never touches the live database, uploads or keys. It copies the newest
verified archive of the first target that has one, decrypts and checks every member
against the manifest, loads the database dump into a scratch SQLite file (migrated to
the current schema), and compares each table's row count with the manifest.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from app.config import Settings
from backup.runs import list_archives
from backup.target_config import TargetConfig
from backup.targets import TRANSPORT_ERRORS, open_target

log = logging.getLogger(__name__)


class DrillError(Exception):
    """The restore drill failed; the message names the archive and what did not match."""


def _fetch_newest(targets: list[TargetConfig], folder: Path) -> tuple[str, str, Path]:
    """Copy the newest verified archive of the first target that has one; return (target, name, path)."""
    reasons = []
    for config in targets:
        try:
            with open_target(config) as transport:
                verified = [entry for entry in list_archives(transport) if entry.verified]
                if not verified:
                    reasons.append(f"{config.name}: no verified archive")
                    continue
                newest = max(verified, key=lambda entry: entry.created_at)
                local = folder / newest.name
                with transport.open_read(newest.name) as source, local.open("wb") as sink:
                    shutil.copyfileobj(source, sink, 1024 * 1024)
                return config.name, newest.name, local
        except TRANSPORT_ERRORS as exc:
            reasons.append(str(exc))
    raise DrillError("no verified archive to drill with: " + "; ".join(reasons or ["no target is configured"]))


def run_drill(settings: Settings, targets: list[TargetConfig], identity) -> str:
    """Restore the newest verified archive into a scratch database; return a one-line report."""
    from backup.errors import BackupError
    from backup.reader import read_archive
    # restore_archive swaps the result into the live box; the drill only loads a scratch database.
    from backup.restore import build_database

    scratch = Path(tempfile.mkdtemp(prefix=".drill-", dir=settings.data_dir))
    try:
        target, name, local = _fetch_newest(targets, scratch)
        staging = scratch / "unpacked"
        staging.mkdir()
        try:
            with local.open("rb") as stream:
                manifest = read_archive(stream, identity, extract_to=staging)
            counts = build_database(f"sqlite:///{scratch / 'drill.db'}", staging / "database", manifest, None)
        except BackupError as exc:
            raise DrillError(f"restore drill of {name} from {target} failed: {exc}") from exc
        if counts != manifest.row_counts:
            differing = sorted(t for t in set(counts) | set(manifest.row_counts)
                               if counts.get(t) != manifest.row_counts.get(t))
            raise DrillError(f"restore drill of {name} from {target}: row counts differ from the manifest "
                             f"in {', '.join(differing)}")
        report = (f"restore drill of {name} from {target} passed: {len(manifest.members)} members match their "
                  f"checksums, {sum(counts.values())} rows in {len(counts)} tables match the manifest")
        log.info("%s", report)
        return report
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
