"""``trackerbox uploads clean``: remove files left behind in the upload directory."""
from __future__ import annotations

import click

from app.commands.context import in_transaction


def register(cli: click.Group) -> None:
    cli.add_command(uploads_group)


@click.group("uploads")
def uploads_group() -> None:
    """Look after uploaded files (receipts and pending imports)."""


@uploads_group.command("clean")
@click.option("--min-age", default=3600, show_default=True, type=click.IntRange(min=60),
              help="Only remove files older than this many seconds, so uploads in progress are kept.")
@in_transaction(writes=False)
def clean(min_age: int) -> None:
    """Delete receipt files no expense refers to, and import uploads left unconfirmed for a day."""
    from app.expenses.receipts import remove_orphan_receipts
    from app.imports.uploads import remove_stale_uploads

    receipts = remove_orphan_receipts(min_age)
    imports = remove_stale_uploads()
    click.echo(f"Removed {len(receipts)} orphaned receipt file(s) and {imports} stale import upload(s).")
