"""``trackerbox backup create|list|status|prune``: archives on the configured targets."""
from __future__ import annotations

from pathlib import Path

import click

from app.commands.context import get_app


def register(cli: click.Group) -> None:
    from app.commands.backup import backup_group

    # `create` here writes to the configured targets and hands --output on to the
    # single-file command of app.commands.backup, which it replaces in the group.
    global _create_file
    _create_file = backup_group.commands["create"]
    for command in (create, list_archives, status, prune):
        backup_group.add_command(command)


_create_file: click.Command | None = None


def _settings():
    return get_app().config["TRACKERBOX"]


@click.command("create")
@click.option("--target", "target_name", metavar="NAME", help="Write only to this target (default: every target).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write one archive to this file instead of the targets. Must not exist yet.")
@click.option("--include-secrets", is_flag=True,
              help="With --output: also store the secret key, password key and audit key (inside the encryption).")
@click.pass_context
def create(ctx: click.Context, target_name: str | None, output: Path | None, include_secrets: bool) -> None:
    """Write one encrypted archive to the backup targets, read it back and verify it on each.

    With --output the archive goes to one file instead, and no target is touched.
    """
    from app import db
    from app.backups import jobs, services
    from app.commands.backup import ProgressBar

    if output is not None:
        if target_name:
            raise click.UsageError("use either --target or --output, not both")
        ctx.invoke(_create_file, output=output, include_secrets=include_secrets)
        return
    if include_secrets:
        raise click.UsageError("--include-secrets works with --output only; scheduled archives never hold the keys")
    app = get_app()
    with app.app_context():
        settings = _settings()
        with db.transaction(writes=False):
            targets = services.select_targets(settings, name=target_name)
        bar = ProgressBar("backing up")
        try:
            results = jobs.create_backups(settings, targets, "manual", progress=bar)
        finally:
            bar.close()
    verified = [result for result in results if result.ok]
    failed = [result for result in results if not result.ok]
    for result in failed:
        click.echo(f"FAILED {result.message}", err=True)
    archive = next((result.archive for result in results if result.archive), "no archive")
    click.echo(f"{archive}: verified on {len(verified)} of {len(results)} target(s)"
               + (f" ({', '.join(r.target for r in verified)})" if verified else "") + ".")
    if failed:
        raise click.ClickException(f"backup failed on {', '.join(r.target for r in failed)}; see the lines above")


@click.command("list")
@click.option("--target", "target_name", metavar="NAME", help="List only this target.")
def list_archives(target_name: str | None) -> None:
    """List the archives on each target, newest first, and whether each was verified."""
    from app import db
    from app.backups import services
    from backup.runs import list_archives as archives_on
    from backup.targets import TRANSPORT_ERRORS, open_target

    app = get_app()
    unreachable = []
    with app.app_context():
        with db.transaction(writes=False):
            targets = services.select_targets(_settings(), name=target_name)
    for config in targets:
        click.echo(f"{config.name} ({config.schedule}, {config.describe()}):")
        try:
            with open_target(config) as transport:
                entries = sorted(archives_on(transport), key=lambda entry: entry.created_at, reverse=True)
        except TRANSPORT_ERRORS as exc:
            click.echo(f"  unreachable: {exc}")
            unreachable.append(config.name)
            continue
        for entry in entries:
            state = "verified" if entry.verified else "NOT verified"
            click.echo(f"  {entry.name}  {entry.created_at.astimezone():%Y-%m-%d %H:%M %Z}  {state}")
        if not entries:
            click.echo("  no archives")
    click.echo(f"Listed {len(targets)} target(s).")
    if unreachable:
        raise click.ClickException(f"cannot list target(s) {', '.join(unreachable)}")


@click.command("status")
def status() -> None:
    """Show the age of each target's newest verified backup; exit 1 when any target needs attention."""
    from app import db
    from app.backups import services

    app = get_app()
    with app.app_context(), db.transaction(writes=False):
        settings = _settings()
        statuses = services.target_statuses(settings)
        warnings = services.schedule_warnings([s.target for s in statuses])
    if not statuses:
        raise click.ClickException("no backup target is configured; add a [backup.target NAME] section "
                                   "to the config file or a target under Administration > Backups")
    for item in statuses:
        age = services.format_age(item.age) if item.age is not None else "never"
        state = f"PROBLEM: {item.problem}" if item.problem else "ok"
        click.echo(f"{item.target.name:<16} {item.target.schedule:<7} last verified: {age:<9} {state}")
    for warning in warnings:
        click.echo(f"warning: {warning}")
    problems = [item.target.name for item in statuses if item.problem]
    if problems:
        raise click.ClickException(f"{len(problems)} of {len(statuses)} target(s) need attention: "
                                   f"{', '.join(problems)}")
    click.echo(f"All {len(statuses)} target(s) have a current verified backup.")


@click.command("prune")
@click.option("--target", "target_name", metavar="NAME", help="Prune only this target.")
def prune(target_name: str | None) -> None:
    """Delete archives that the target's retention no longer keeps, and leftovers of interrupted runs."""
    from app import db
    from app.backups import jobs, services

    app = get_app()
    with app.app_context():
        with db.transaction(writes=False):
            targets = services.select_targets(_settings(), name=target_name)
        outcome = jobs.prune_targets(_settings(), targets)
    failed = [name for name, deleted, _ in outcome if deleted is None]
    for name, deleted, message in outcome:
        click.echo(f"{name}: {message}")
    total = sum(deleted for _, deleted, _ in outcome if deleted)
    click.echo(f"Deleted {total} archive(s) on {len(outcome) - len(failed)} target(s).")
    if failed:
        raise click.ClickException(f"retention failed on {', '.join(failed)}")
