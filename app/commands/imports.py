"""``trackerbox import FILE``: import a CSV export of another tracker from the server's shell."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import g
from sqlalchemy import func, select

from app import db
from app.commands.context import get_app
from app.durations import format_duration
from app.imports.services import run_import
from app.imports.summary import ImportOptions, ImportSummary, describe_lines, group_problems
from app.imports.values import DateOrder
from app.models import User
from app.security.permissions import Permission


def register(cli: click.Group) -> None:
    cli.add_command(import_command)


def _pairs(option: str, values: tuple[str, ...]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, target = value.rpartition("=")
        if not sep or not name.strip() or not target.strip():
            raise click.BadParameter(f"{value!r} is not NAME=VALUE, for example \"Worker One=wone\"", param_hint=option)
        pairs[name.strip()] = target.strip()
    return pairs


def _importer(login: str | None) -> User:
    """Return the user the import runs as: ``--as``, else the only active user who may import."""
    if login:
        user = db.session.scalar(select(User).where(func.lower(User.login) == login.strip().lower()))
        if user is None or not user.is_active:
            raise click.ClickException(f"--as: no active user with login {login!r}; `trackerbox user list` shows them")
        if not user.can(Permission.DATA_IMPORT.value):
            raise click.ClickException(f"--as: user {user.login!r} lacks the {Permission.DATA_IMPORT.value} "
                                       "permission; name an administrator")
        return user
    importers = [u for u in db.session.scalars(select(User).where(User.active.is_(True), User.suspended.is_(False)))
                 if u.can(Permission.DATA_IMPORT.value)]
    if len(importers) != 1:
        raise click.ClickException(f"{len(importers)} users may import data; choose one with --as LOGIN, "
                                   "whose name the audit trail records")
    return importers[0]


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--timezone", "zone", default=None,
              help="IANA time zone of the times in the file, e.g. Europe/Berlin. Default: the importing user's zone.")
@click.option("--date-order", type=click.Choice([o.value for o in DateOrder]), default=None,
              help="Order of dates such as 03/04/2021 (day-month-year, month-day-year or year-month-day); "
                   "needed only when the file's dates do not decide it.")
@click.option("--create-missing", is_flag=True,
              help="Create people, clients, projects and tasks the file names but TrackerBox lacks.")
@click.option("--map-user", "map_users", multiple=True, metavar="NAME=LOGIN",
              help="Import the person called NAME (or with e-mail NAME) in the file as user LOGIN; repeatable.")
@click.option("--map-project", "map_projects", multiple=True, metavar="NAME=CODE",
              help="Import rows of project NAME in the file into the project with code CODE; repeatable.")
@click.option("--default-project", default="", metavar="CODE",
              help="Project (code or name) for rows without a project; created with --create-missing.")
@click.option("--dry-run", is_flag=True, help="Check the file and show what would be created; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON (no one-time passwords in it).")
@click.option("--as", "as_login", default=None, metavar="LOGIN",
              help="User the import is recorded as in the audit trail; needs the data.import permission. "
                   "Default: the only user with that permission.")
def import_command(file: Path, zone: str | None, date_order: str | None, create_missing: bool,
                   map_users: tuple[str, ...], map_projects: tuple[str, ...], default_project: str, dry_run: bool,
                   as_json: bool, as_login: str | None) -> None:
    """Import time entries, clients or projects from a CSV export of another tracker.

    Reads Toggl Track and Clockify detailed reports, Harvest detailed time reports,
    Kimai timesheet, customer and project exports and GrandTotal customer exports.
    The format is detected from the header row. The import is all or nothing: any
    problem row means nothing is written, and every problem is listed with its line.
    Rows imported before are skipped, so running the same file again is safe.
    """
    options = ImportOptions(
        date_order=DateOrder(date_order) if date_order else None, create_missing=create_missing, dry_run=dry_run,
        user_map=_pairs("--map-user", map_users), project_map=_pairs("--map-project", map_projects),
        default_project=default_project,
    )
    data = file.read_bytes()
    app = get_app()
    with app.app_context():
        g.request_id = "cli"
        with db.transaction():
            actor = _importer(as_login)
            g.cli_actor = actor
            options.timezone = zone or actor.timezone or "UTC"
            summary = run_import(data, file.name, options, actor)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
    else:
        _print_summary(summary)
    if summary.problems:
        raise click.exceptions.Exit(2 if summary.file_error else 1)


def _print_summary(summary: ImportSummary) -> None:
    if summary.format:
        click.echo(f"Format: {summary.format_label} ({summary.encoding}, {summary.delimiter_name}-separated)")
        click.echo(f"Rows read: {summary.rows_read}")
    if summary.total_seconds or summary.entries_created or summary.entries_skipped:
        click.echo(f"Time entries: {summary.entries_created} created, {summary.entries_skipped} already imported; "
                   f"time in the file {format_duration(summary.total_seconds, with_seconds=True)} "
                   f"(times read in {summary.timezone})")
    if summary.clients_created or summary.clients_skipped:
        click.echo(f"Clients: {summary.clients_created} created, {summary.clients_skipped} already present")
    if summary.projects_created or summary.projects_skipped:
        click.echo(f"Projects: {summary.projects_created} created, {summary.projects_skipped} already present")
    for project in summary.created_projects:
        click.echo(f"  new project {project['code']} {project['name']} (client {project['client']})")
    for person in summary.people_created:
        click.echo(f"  new user {person['login']} ({person['name']}); give them a password with "
                   f"`trackerbox user reset-password {person['login']}` before they sign in")
    _print_problems("Warning", summary.warnings)
    _print_problems("Problem", summary.problems)
    _print_hints(summary)
    if summary.problems:
        click.echo("Nothing was imported; fix the problems above and run the import again.", err=True)
    elif summary.dry_run:
        click.echo("Dry run: nothing was written.")
    else:
        click.echo("Import saved.")


def _print_problems(label: str, problems) -> None:
    for reason, lines in group_problems(problems):
        where = describe_lines(lines) if lines != [0] else "file"
        click.echo(f"{label} ({where}): {reason}", err=label == "Problem")


def _print_hints(summary: ImportSummary) -> None:
    if summary.needs_date_order:
        click.echo("Hint: add --date-order dmy (day first) or --date-order mdy (month first).", err=True)
    for name in summary.unknown_people:
        click.echo(f"Hint: add --map-user \"{name}=LOGIN\" or --create-missing.", err=True)
    for name in summary.unknown_projects:
        click.echo(f"Hint: add --map-project \"{name}=CODE\" or --create-missing.", err=True)
    if any("names no project" in p.reason for p in summary.problems):
        click.echo("Hint: add --default-project CODE for rows without a project (with --create-missing it is "
                   "created when missing).", err=True)
