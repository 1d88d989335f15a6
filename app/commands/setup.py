"""``trackerbox setup``: make a new box ready to start."""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from app import db, migrate
from app.config import load_settings
from app.keys import ensure_keys


def register(cli: click.Group) -> None:
    cli.add_command(setup)


@click.command()
@click.option("--admin-login", default="admin", show_default=True, help="Login of the first administrator.")
@click.option("--admin-name", default="Administrator", show_default=True, help="Display name of the first administrator.")
@click.option("--timezone", default=None,
              help="IANA time zone of the first administrator, e.g. Europe/Berlin. Default: the server's zone.")
def setup(admin_login: str, admin_name: str, timezone: str | None) -> None:
    """Create keys, the database schema and the first administrator; safe to run again."""
    timezone = timezone or _server_timezone()
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    settings.upload_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    settings.keys_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in ensure_keys(settings):
        click.echo(f"Created {settings.keys_path / name} (mode 0600).")

    from app import create_app
    from app.auth.services import create_user
    from app.models import User

    app = create_app(settings)
    engine = app.extensions["trackerbox_engine"]
    migrate.upgrade(engine)
    _restrict_sqlite_file(engine)
    click.echo(f"Database schema is at revision {migrate.head_revision()}.")
    with app.app_context(), db.transaction():
        if db.session.scalar(select(User.id).limit(1)) is not None:
            click.echo("Users exist already; no administrator created.")
            return
        user, one_time = create_user(admin_login, admin_name, profiles=["Administrator"], timezone=timezone)
    click.echo("")
    click.echo(f"First administrator: login {user.login!r}, one-time password: {one_time}")
    click.echo("Sign in with it once; you will be asked to choose your own password. It is not shown again.")
    click.echo(f"The administrator's time zone is {timezone}; change it under Preferences after signing in if it is wrong.")


def _server_timezone() -> str:
    """Return the IANA name of the server's time zone, or UTC when it cannot be read."""
    from tzlocal import get_localzone_name

    try:
        return get_localzone_name() or "UTC"
    except (LookupError, ValueError, OSError):  # an unreadable or unknown /etc/localtime
        return "UTC"


def _restrict_sqlite_file(engine) -> None:
    """Make a SQLite database file readable by its owner only: it holds hashes and the audit trail.

    SQLite gives its -wal and -shm files the mode of the database file.
    """
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return
    path = Path(engine.url.database)
    if path.exists():
        path.chmod(0o600)
