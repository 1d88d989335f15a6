"""Restoring an archive: check it all, build a new database beside the live one, then swap.

Order of work, so that an interrupted restore leaves the old data as it was:

1. Decrypt and check the whole archive (every checksum and the versions) and the free
   disk space, without writing anything.
2. Set maintenance mode, then decrypt the archive again into a staging folder in the
   data directory, checking it once more.
3. Build a new database: a new SQLite file next to the live one, or a new PostgreSQL
   database on the same server. Create the schema at the archive's revision, load every
   table, compare the row counts, and run the migrations forward to this version's head.
4. Swap: SQLite by an atomic rename over the live file, PostgreSQL by renaming the
   databases in one transaction. Then move the staged uploads (and key files, when the
   archive has them) into place. The old data stays beside the new under a
   ``before-restore`` name until the administrator deletes it.
5. Record the restore in the audit trail and in ``<data_dir>/restore.log``; leave
   maintenance mode.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from app import db, maintenance, migrate
from app.config import ConfigError, Settings
from backup import swap
from backup.dump import count_rows, load_table, reflect, reset_sequences
from backup.errors import BackupError
from backup.manifest import Manifest
from backup.reader import read_archive, verify_archive

log = logging.getLogger(__name__)
LOG_FILE_NAME = "restore.log"
STAGING_PREFIX = ".restore-"
# Room left free beyond what the restore needs, so the box keeps working afterwards.
FREE_SPACE_MARGIN = 64 * 1024 * 1024
Progress = Callable[[str, int, int], None]


@dataclass
class RestoreReport:
    """Summary of a finished restore, for the command's output and for tests."""

    manifest: Manifest
    database_url: str
    migrated_from: str | None
    migrated_to: str
    row_counts: dict[str, int]
    files: int
    # Where the replaced data was kept (old SQLite file, renamed database, upload folder).
    kept: list[str] = field(default_factory=list)
    keys_restored: list[str] = field(default_factory=list)
    # True when the restored database is not the one the settings point at.
    config_change_needed: bool = False
    audit_recorded: bool = False
    # Key files this box still lacks after the restore (the archive held none).
    missing_keys: list[str] = field(default_factory=list)
    key_dir: Path | None = None
    log_path: Path | None = None


def restore_archive(settings: Settings, archive_path: Path, identity, *, database_url: str | None = None,
                    progress: Progress | None = None) -> RestoreReport:
    """Restore ``archive_path`` into the box; raises BackupError before any change when it is unfit."""
    archive_path = Path(archive_path)
    target_url = database_url or settings.database_url
    _check_target_url(target_url)
    handler = _attach_log_file(settings)
    try:
        log.info("restore of %s into %s started", archive_path, _masked(target_url))
        manifest = _check_archive(archive_path, identity, progress)
        _check_free_space(settings, target_url, manifest)
        try:
            maintenance.enter(settings, "restoring a backup")
        except FileExistsError:
            raise BackupError(f"maintenance mode is set already ({maintenance.flag_path(settings)}): another restore "
                              "may be running. If none is, delete that file and run the restore again") from None
        try:
            report = _restore_in_maintenance(settings, archive_path, identity, manifest, target_url, progress)
        except SQLAlchemyError as exc:
            raise BackupError(f"loading the archive into a new database failed ({getattr(exc, 'orig', None) or exc}); "
                              "the live data is unchanged") from None
        except OSError as exc:
            raise BackupError(f"the restore failed on {exc.filename or 'a file'}: {exc.strerror}; "
                              "the live data is unchanged unless the log says it was swapped") from None
        finally:
            maintenance.leave(settings)
        report.log_path = settings.data_dir / LOG_FILE_NAME
        report.missing_keys = missing_key_files(settings)
        report.key_dir = settings.keys_path
        report.audit_recorded = _record_audit(settings, target_url, report, archive_path)
        log.info("restore of %s finished: %s rows, %s files", archive_path, sum(report.row_counts.values()),
                 report.files)
        return report
    except BackupError as exc:
        log.error("restore of %s failed: %s", archive_path, exc)
        raise
    finally:
        logging.getLogger("backup").removeHandler(handler)
        handler.close()


def _check_target_url(url: str) -> None:
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        backend = None
    if backend not in {"sqlite", "postgresql"}:
        raise BackupError(f"cannot restore into {url.split('@')[-1]!r}; use sqlite:////PATH/trackerbox.db "
                          "or postgresql+psycopg://USER:PASSWORD@HOST/DATABASE")


def _check_archive(archive_path: Path, identity, progress: Progress | None) -> Manifest:
    total = _file_size(archive_path)
    with _open_archive(archive_path) as stream:
        manifest = verify_archive(stream, identity, progress=_phase(progress, "checking"), total=total)
    log.info("archive %s checked: %s members, made %s by TrackerBox %s", archive_path, len(manifest.members),
             manifest.created_at, manifest.trackerbox_version)
    return manifest


def _restore_in_maintenance(settings: Settings, archive_path: Path, identity, manifest: Manifest, target_url: str,
                            progress: Progress | None) -> RestoreReport:
    _remove_leftovers(settings)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=settings.data_dir))
    try:
        with _open_archive(archive_path) as stream:
            staged = read_archive(stream, identity, extract_to=staging, progress=_phase(progress, "unpacking"),
                                  total=manifest.total_bytes)
        if staged.members != manifest.members:
            raise BackupError(f"{archive_path} changed between the check and the restore; run the restore again")
        builder = swap.new_database(target_url)
        try:
            row_counts = build_database(builder.url, staging / "database", manifest, progress)
            migrated_to = migrate.head_revision()
            report = RestoreReport(manifest, _masked(target_url), manifest.alembic_revision, migrated_to, row_counts,
                                   files=_count_files(staging / "uploads"),
                                   config_change_needed=target_url != settings.database_url)
            report.kept.extend(builder.swap_in())
        except BaseException:
            builder.discard()
            raise
        log.info("database swapped in at %s", _masked(target_url))
        # NOTE: the database swap and the upload and key renames are separate steps; a crash
        # between them leaves the new database with the old uploads until the next restore.
        report.kept.extend(swap.swap_uploads(settings, staging / "uploads"))
        report.keys_restored = swap.install_keys(settings, staging / "secrets")
        return report
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_leftovers(settings: Settings) -> None:
    """Delete staging folders of earlier restores that were killed; only called while holding the flag."""
    for path in settings.data_dir.glob(f"{STAGING_PREFIX}*"):
        if path.is_dir():
            log.warning("removed the staging folder %s of an interrupted restore", path)
            shutil.rmtree(path, ignore_errors=True)


def build_database(url: str, dump_dir: Path, manifest: Manifest, progress: Progress | None) -> dict[str, int]:
    """Load an unpacked archive into the empty database ``url`` and return the row count per table.

    The schema is created at the archive's revision, every table is loaded, and the
    migrations then run to head. Nothing else on the box changes, so the monthly restore
    drill uses it for its scratch database.
    """
    engine = db.make_engine(url)
    try:
        migrate.upgrade(engine, manifest.alembic_revision or "head")
        counts = _load_tables(engine, dump_dir, manifest, progress)
        migrate.upgrade(engine)
        log.info("database loaded and migrated from %s to %s", manifest.alembic_revision, migrate.head_revision())
        return counts
    finally:
        engine.dispose()


def _load_tables(engine, dump_dir: Path, manifest: Manifest, progress: Progress | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    total = sum(manifest.row_counts.values())
    with engine.begin() as connection:
        tables = reflect(connection)
        expected = set(manifest.row_counts)
        unknown = expected - {t.name for t in tables}
        if unknown:
            raise BackupError(f"the archive has tables the schema at revision {manifest.alembic_revision} lacks "
                              f"({', '.join(sorted(unknown))}); it is damaged")
        # Data migrations (such as the built-in profiles) filled some tables, and the archive
        # has those rows too. Empty tables are skipped, so statement triggers never fire.
        for table in reversed(tables):
            if count_rows(connection, table):
                connection.execute(table.delete())
        for table in tables:
            if table.name not in expected:
                continue
            path = dump_dir / f"{table.name}.jsonl"
            with path.open(encoding="utf-8") as lines:
                counts[table.name] = load_table(connection, table, lines, path.name)
            if counts[table.name] != manifest.row_counts[table.name]:
                raise BackupError(f"table {table.name}: loaded {counts[table.name]} rows, the manifest lists "
                                  f"{manifest.row_counts[table.name]}; the archive is damaged")
            if progress is not None:
                progress("loading", sum(counts.values()), total)
        reset_sequences(connection, tables)
    return counts


def _check_free_space(settings: Settings, target_url: str, manifest: Manifest) -> None:
    """Raise BackupError unless the data directory (and SQLite's folder) can hold the restore."""
    database_bytes = sum(int(e["size"]) for name, e in manifest.members.items() if "/database/" in name)
    needs = {settings.data_dir: manifest.total_bytes + FREE_SPACE_MARGIN}
    url = make_url(target_url)
    if url.get_backend_name() == "sqlite" and url.database:
        folder = Path(url.database).parent
        needs[folder] = needs.get(folder, 0) + database_bytes
    for folder, required in needs.items():
        free = shutil.disk_usage(folder).free
        if free < required:
            raise BackupError(f"{folder} has {free // 2**20} MiB free; the restore needs about "
                              f"{required // 2**20} MiB there. Free some space and run it again")


def missing_key_files(settings: Settings) -> list[str]:
    """Return the key files the restored box needs but does not have in its key folder."""
    from app.keys import AUDIT_KEY_FILE, PASSWORD_KEY_FILE, TWO_FACTOR_KEY_FILE

    names = [PASSWORD_KEY_FILE, AUDIT_KEY_FILE, TWO_FACTOR_KEY_FILE]
    if not settings.secret_key:
        names.insert(0, settings.secret_key_path.name)
    return [name for name in names if not (settings.keys_path / name).exists()]


def _record_audit(settings: Settings, target_url: str, report: RestoreReport, archive_path: Path) -> bool:
    """Append the ``backup.restore`` event to the restored database; return False (logged) when that fails.

    A bare Flask app with the audit key is enough for ``record``; the full application
    would import every blueprint and the PDF renderer first.
    """
    from flask import Flask, g

    from app.audit.service import record
    from app.keys import AUDIT_KEY_FILE, read_key

    engine = db.make_engine(target_url)
    previous_bind = db._session_factory.kw.get("bind")
    try:
        app = Flask("backup-restore")
        app.extensions["trackerbox_keys"] = {"audit": read_key(settings, AUDIT_KEY_FILE)}
        db.bind(engine)
        with app.app_context():
            g.request_id = "restore"
            with db.transaction():
                record("backup.restore", object_type="backup", object_id=report.manifest.created_at[:40],
                       details={"archive": archive_path.name, "made_by": report.manifest.trackerbox_version,
                                "revision_before": report.migrated_from, "revision_after": report.migrated_to,
                                "rows": sum(report.row_counts.values()), "files": report.files,
                                "keys_restored": report.keys_restored},
                       login="cli")
        return True
    except ConfigError:
        log.error("restore finished, but it could not be recorded in the audit trail: the audit key %s is "
                  "missing. Copy audit_chain.key from the old box into that folder; a new key made by "
                  "`trackerbox setup` could not check the restored trail", settings.keys_path / AUDIT_KEY_FILE)
        return False
    except SQLAlchemyError as exc:
        log.error("restore finished, but it could not be recorded in the audit trail: %s", exc)
        return False
    finally:
        db.session.remove()
        engine.dispose()
        if previous_bind is not None:
            db.bind(previous_bind)


def _attach_log_file(settings: Settings) -> logging.Handler:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(settings.data_dir / LOG_FILE_NAME, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("backup")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler


def _open_archive(path: Path):
    try:
        return path.open("rb")
    except OSError as exc:
        raise BackupError(f"cannot open the archive {path}: {exc.strerror}") from None


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise BackupError(f"cannot open the archive {path}: {exc.strerror}") from None


def _count_files(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else 0


def _phase(progress: Progress | None, name: str):
    if progress is None:
        return None
    return lambda done, total: progress(name, done, total)


def _masked(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
