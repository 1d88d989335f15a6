"""``trackerbox db ...``: schema migrations."""
from __future__ import annotations

import click

from app import migrate
from app.commands.context import get_app


def register(cli: click.Group) -> None:
    cli.add_command(db_group)


@click.group("db")
def db_group() -> None:
    """Create and upgrade the database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target Alembic revision.")
def upgrade(revision: str) -> None:
    """Run the migrations up to REVISION (the newest by default)."""
    from app.config import load_settings
    from app.keys import add_keys_of_newer_version

    for name in add_keys_of_newer_version(load_settings()):
        click.echo(f"Created the key file {name}, which this version needs.")
    engine = get_app().extensions["trackerbox_engine"]
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, revision)
    after = migrate.current_revision(engine)
    if after == before:
        click.echo(f"Schema is already at revision {after}; nothing to do.")
    else:
        click.echo(f"Schema upgraded from {before or 'empty'} to {after}.")


@db_group.command("current")
def current() -> None:
    """Show the schema revision of the database and the newest one this version contains."""
    engine = get_app().extensions["trackerbox_engine"]
    revision = migrate.current_revision(engine)
    head = migrate.head_revision()
    click.echo(f"database: {revision or 'empty'}; newest: {head}")
    if revision != head:
        raise click.ClickException("the schema is not current; run `trackerbox db upgrade`")
