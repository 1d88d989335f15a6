"""Importing clients (Kimai customers, GrandTotal) and projects (Kimai projects).

A client whose name already exists, or a project whose name already exists for its
client, is counted as skipped, so importing a file again creates nothing new.
TrackerBox clients have no time zone or notes field: those columns are checked and
shown in the preview but not stored.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app import company
from app.errors import UserError
from app.imports.directory import Directory, fold
from app.imports.records import ClientRecord, Problem, ProjectRecord
from app.imports.summary import ImportOptions, ImportSummary
from app.models import User


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"time zone {name!r} is not a known IANA zone such as Europe/Berlin") from None


def import_clients(records: list[ClientRecord], options: ImportOptions, actor: User, summary: ImportSummary) -> None:
    directory = Directory(actor, options, summary)
    first_line: dict[str, int] = {}
    for client in records:
        key = fold(client.name)
        if key in first_line:
            summary.warnings.append(Problem(client.line, f"client {client.name!r} already appears on line "
                                                         f"{first_line[key]}; this row is skipped"))
            continue
        first_line[key] = client.line
        if key in directory.clients:
            summary.clients_skipped += 1
            continue
        try:
            if client.timezone:
                _check_zone(client.timezone)
            directory.new_client(
                client.name, currency=client.currency or company.get("default_currency"), address=client.address,
                contact_name=client.contact_name, contact_email=client.contact_email, tax_id=client.tax_id,
                archived=client.archived,
            )
        except UserError as exc:
            summary.problems.append(Problem(client.line, exc.message))
            continue
        summary.created_clients[-1].update(timezone=client.timezone, notes=client.notes, archived=client.archived,
                                           address=client.address)


def import_projects(records: list[ProjectRecord], options: ImportOptions, actor: User,
                    summary: ImportSummary) -> None:
    directory = Directory(actor, options, summary)
    for project in records:
        client = directory.clients.get(fold(project.client))
        if client is None and not options.create_missing:
            summary.problems.append(Problem(project.line, f"customer {project.client!r} of project {project.name!r} "
                                                          "is not a TrackerBox client; import the customer file "
                                                          "first or create missing clients"))
            continue
        try:
            client = client or directory.client_named(project.client)
            if any(p.client_id == client.id for p in directory.projects_by_name.get(fold(project.name), [])):
                summary.projects_skipped += 1
                continue
            directory.new_project(client, project.name, project.code, archived=project.archived)
        except UserError as exc:
            summary.problems.append(Problem(project.line, exc.message))
            continue
        summary.created_projects[-1].update(archived=project.archived, notes=project.notes)
