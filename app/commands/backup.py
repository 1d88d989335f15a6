"""``trackerbox backup ...``: the backup key, writing, checking and restoring archives.

Further subcommands (targets, schedule, status) register themselves on ``backup_group``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from app.config import load_settings


def register(cli: click.Group) -> None:
    cli.add_command(backup_group)


@click.group("backup")
def backup_group() -> None:
    """Encrypted backups of the database, the uploaded files and (optionally) the keys."""


class ProgressBar:
    """A click progress bar on stderr fed with (done, total) byte counts, one bar per phase."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.phase = None
        self.shown = 0

    def __call__(self, *args) -> None:
        phase, done, total = args if len(args) == 3 else (self.label, *args)
        if phase != self.phase:
            self.close()
            self.phase = phase
            self.bar = click.progressbar(length=max(total, 1), label=phase.capitalize(), file=sys.stderr)
            self.bar.__enter__()
            self.shown = 0
        self.bar.length = max(total, done, 1)
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _fail(exc: Exception) -> None:
    raise click.ClickException(str(exc)) from None


def _identity(settings, identity_file: Path | None):
    """Load the identity given on the command line, or else the box's own, asking for a passphrase when needed."""
    from backup.errors import BackupError
    from backup.keys import identity_path, is_passphrase_protected, load_identity, read_identity_file

    path = identity_file or identity_path(settings)
    passphrase = None
    try:
        if path.exists() and is_passphrase_protected(path.read_bytes()):
            passphrase = click.prompt(f"Passphrase of {path}", hide_input=True, err=True)
        return read_identity_file(path, passphrase) if identity_file else load_identity(settings, passphrase)
    except BackupError as exc:
        _fail(exc)


@backup_group.command("init")
@click.option("--passphrase/--no-passphrase", default=False, show_default=True,
              help="Protect the recovery sheet's copy of the identity with a passphrase (asked for, hidden). "
                   "The box's own identity file stays plain and root-only, so scheduled runs can verify archives.")
def init(passphrase: bool) -> None:
    """Create the backup key pair and print the recovery sheet.

    Without the identity on the sheet no backup can ever be read; print it or store it
    offline, away from the box and its backups.
    """
    from backup.errors import BackupError
    from backup.keys import MIN_PASSPHRASE_LENGTH, init_identity

    settings = load_settings()
    secret = None
    if passphrase:
        secret = click.prompt(f"Passphrase (at least {MIN_PASSPHRASE_LENGTH} characters)", hide_input=True,
                              confirmation_prompt=True, err=True)
    try:
        sheet = init_identity(settings, secret)
    except BackupError as exc:
        _fail(exc)
    click.echo(sheet.render())
    click.echo(f"Created the backup identity {sheet.identity_path} (mode 0600).", err=True)


@backup_group.command("create")
@click.option("--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Archive file to write, e.g. /srv/backup/trackerbox-2026-01-31.tar.age. Must not exist yet.")
@click.option("--include-secrets", is_flag=True,
              help="Also store the secret key, password key and audit key (inside the encryption).")
def create(output: Path, include_secrets: bool) -> None:
    """Write one encrypted archive of the database and the uploaded files to a file."""
    from backup.archive import write_archive_file
    from backup.errors import BackupError

    settings = load_settings()
    bar = ProgressBar("backing up")
    try:
        manifest = write_archive_file(settings, output, include_secrets=include_secrets, progress=bar)
    except BackupError as exc:
        _fail(exc)
    finally:
        bar.close()
    rows = sum(manifest.row_counts.values())
    click.echo(f"Wrote {output}: {rows} rows, {_count_uploads(manifest)} files, "
               f"{output.stat().st_size / 2**20:.1f} MiB{', keys included' if include_secrets else ''}.")


@backup_group.command("verify")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--identity", "identity_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Identity file from the recovery sheet. Default: the box's own.")
def verify(archive: Path, identity_file: Path | None) -> None:
    """Decrypt ARCHIVE and check every file in it against its manifest, without restoring."""
    from backup.archive import verify_archive
    from backup.errors import BackupError

    settings = load_settings()
    identity = _identity(settings, identity_file)
    bar = ProgressBar("checking")
    try:
        with archive.open("rb") as stream:
            manifest = verify_archive(stream, identity, progress=bar, total=archive.stat().st_size)
    except BackupError as exc:
        _fail(exc)
    finally:
        bar.close()
    click.echo(f"{archive} is intact: made {manifest.created_at} by TrackerBox {manifest.trackerbox_version} "
               f"(schema {manifest.alembic_revision}, {manifest.database_engine}), "
               f"{sum(manifest.row_counts.values())} rows, {_count_uploads(manifest)} files.")
    if manifest.audit_head:
        head = f"{manifest.audit_head['id']}:{manifest.audit_head['chain_hash']}"
        click.echo(f"Audit-chain head at backup time: {head} (check the live trail with "
                   f"`trackerbox audit verify --expect-head {head}`).")


@backup_group.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--database-url", default=None,
              help="Restore into this database instead of the configured one, e.g. "
                   "postgresql+psycopg://trackerbox@localhost/trackerbox to move to PostgreSQL.")
@click.option("--identity", "identity_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Identity file from the recovery sheet. Default: the box's own.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(archive: Path, database_url: str | None, identity_file: Path | None, yes: bool) -> None:
    """Replace the box's data with the contents of ARCHIVE.

    The whole archive is checked first. The web app shows a maintenance page meanwhile,
    and the replaced data is kept beside the new under a "before-restore" name.
    """
    from backup.errors import BackupError
    from backup.restore import restore_archive

    settings = load_settings()
    identity = _identity(settings, identity_file)
    target = database_url or settings.database_url
    if not yes:
        click.confirm(f"Replace the data of this box ({_masked(target)}, {settings.upload_dir}) with {archive}?",
                      abort=True, err=True)
    bar = ProgressBar("restoring")
    try:
        report = restore_archive(settings, archive, identity, database_url=database_url, progress=bar)
    except BackupError as exc:
        _fail(exc)
    finally:
        bar.close()
    _print_restore_report(report)


def _print_restore_report(report) -> None:
    migrated = ("" if report.migrated_from == report.migrated_to
                else f", schema migrated from {report.migrated_from} to {report.migrated_to}")
    click.echo(f"Restored {sum(report.row_counts.values())} rows and {report.files} files "
               f"into {report.database_url}{migrated}.")
    for kept in report.kept:
        click.echo(f"The replaced data is kept in {kept}; delete it once the box works.")
    if report.keys_restored:
        click.echo(f"Key files restored: {', '.join(report.keys_restored)}. Restart the server to use them.")
    if report.missing_keys:
        click.echo(f"The archive held no key files, and {', '.join(report.missing_keys)} are missing in "
                   f"{report.key_dir}. Copy them from the old box or your key backup into that folder (mode 0600) "
                   "before starting the server. Do not make new ones with `trackerbox setup`: new keys cannot "
                   "check the restored passwords or audit trail.", err=True)
    if not report.audit_recorded:
        click.echo(f"Warning: the restore could not be recorded in the audit trail; see {report.log_path}.", err=True)
    if report.config_change_needed:
        click.echo(f"Set database_url = {report.database_url} in the config file (or TRACKERBOX_DATABASE_URL), "
                   "with the password, then restart the server.")


def _count_uploads(manifest) -> int:
    return sum(1 for name in manifest.members if "/uploads/" in name)


def _masked(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
