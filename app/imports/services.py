"""Running an import: all rows or none, with a summary of what was (or would be) created.

The whole import runs inside one savepoint. A preview (dry run) and an import with
any problem row roll that savepoint back, so nothing is written. Warnings alone do
not stop an import. The caller's transaction boundary (the request or the CLI
command) commits what is left.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import replace

from flask import current_app
from sqlalchemy import select

from app import db
from app.audit.service import record
from app.auth.services import check_timezone
from app.errors import UserError
from app.imports import catalogue, timing, uploads
from app.imports.formats import CLIENTS, PROJECTS
from app.imports.parsing import ParsedFile, parse_file
from app.imports.records import Problem
from app.imports.summary import ImportOptions, ImportSummary
from app.imports.values import AmbiguousDateOrder
from app.models import ImportBatch, Project, User

log = logging.getLogger(__name__)


def run_import(data: bytes, filename: str, options: ImportOptions, actor: User) -> ImportSummary:
    """Import ``data`` (the bytes of a CSV export) as ``actor``; with ``options.dry_run`` only preview it."""
    summary = ImportSummary(filename=filename, timezone=options.timezone, dry_run=options.dry_run)
    try:
        check_timezone(options.timezone)
        parsed = parse_file(data, filename, options.date_order)
    except AmbiguousDateOrder as exc:
        summary.needs_date_order = True
        return _stopped(summary, exc)
    except UserError as exc:
        return _stopped(summary, exc)
    _describe(summary, parsed)
    savepoint = db.session.begin_nested()
    try:
        _import_records(parsed, options, actor, summary)
    except UserError as exc:
        summary.problems.append(Problem(0, exc.message))
    except BaseException:
        savepoint.rollback()
        raise
    summary.problems.sort(key=lambda p: p.line)
    summary.warnings.sort(key=lambda p: p.line)
    if summary.problems or options.dry_run:
        savepoint.rollback()
        if summary.problems and not options.dry_run:
            log.warning("import of %s by user %s stopped by %d problem(s)", filename, actor.id, len(summary.problems))
        return summary
    savepoint.commit()
    _record_batch(summary, data, actor)
    return summary


def _stopped(summary: ImportSummary, exc: UserError) -> ImportSummary:
    summary.file_error = True
    summary.problems = [Problem(getattr(exc, "line", 0), exc.message)]
    return summary


def _describe(summary: ImportSummary, parsed: ParsedFile) -> None:
    summary.format = parsed.format.name
    summary.format_label = parsed.format.label
    summary.encoding = parsed.table.encoding
    summary.delimiter = parsed.table.delimiter
    summary.date_order = parsed.date_order.value if parsed.date_order else None
    summary.rows_read = parsed.rows_read
    summary.problems.extend(parsed.problems)


def _import_records(parsed: ParsedFile, options: ImportOptions, actor: User, summary: ImportSummary) -> None:
    if parsed.format.kind == CLIENTS:
        catalogue.import_clients(parsed.records, options, actor, summary)
    elif parsed.format.kind == PROJECTS:
        catalogue.import_projects(parsed.records, options, actor, summary)
    else:
        timing.import_time(parsed.records, options, actor, summary)


def _record_batch(summary: ImportSummary, data: bytes, actor: User) -> None:
    created = summary.entries_created + summary.clients_created + summary.projects_created
    skipped = summary.entries_skipped + summary.clients_skipped + summary.projects_skipped
    batch = ImportBatch(
        source_format=summary.format or "", filename=summary.filename[:255],
        file_sha256=hashlib.sha256(data).hexdigest(), rows_read=summary.rows_read, created_count=created,
        skipped_count=skipped, total_seconds=summary.total_seconds, created_by_id=actor.id,
    )
    db.session.add(batch)
    db.session.flush()
    summary.committed = True
    summary.batch_id = batch.id
    record("data.import", batch, actor=actor, details={
        "format": summary.format, "filename": summary.filename, "rows_read": summary.rows_read,
        "entries_created": summary.entries_created, "entries_skipped": summary.entries_skipped,
        "clients_created": summary.clients_created, "projects_created": summary.projects_created,
        "tasks_created": summary.tasks_created, "people_created": [p["login"] for p in summary.people_created],
        "total_seconds": summary.total_seconds, "warnings": len(summary.warnings),
    })
    log.info("import batch %s of %s by user %s created %d object(s)", batch.id, summary.filename, actor.id, created)


def preview_upload(actor: User, data: bytes, filename: str, options: ImportOptions) -> tuple[str | None, ImportSummary]:
    """Keep an uploaded file for the confirm step and return its token with a dry-run summary.

    A file that cannot be read at all is not kept, and the token is None.
    """
    limit = current_app.config["TRACKERBOX"].max_upload_bytes
    if len(data) > limit:
        raise UserError(f"file: {len(data)} bytes is larger than the upload limit of {limit} bytes; "
                        "export a shorter period or use `trackerbox import` on the server", field="file")
    filename = uploads.clean_filename(filename)
    summary = run_import(data, filename, replace(options, dry_run=True), actor)
    if summary.file_error:
        return None, summary
    return uploads.save_upload(actor, data, filename), summary


def import_upload(actor: User, token: str, options: ImportOptions) -> ImportSummary:
    """Run the import of a kept upload (or only preview it again); delete the file once it is imported."""
    data, filename = uploads.load_upload(actor, token)
    summary = run_import(data, filename, options, actor)
    if summary.committed:
        uploads.delete_upload(actor, token)
    return summary


def cancel_upload(actor: User, token: str) -> None:
    uploads.delete_upload(actor, token)


def mapping_choices() -> tuple[list[User], list[Project]]:
    """Return the active users and open projects that unknown names of a file can be mapped to."""
    people = list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.login)))
    projects = list(db.session.scalars(select(Project).where(Project.archived.is_(False)).order_by(Project.code)))
    return people, projects
