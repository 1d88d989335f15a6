"""``trackerbox audit ...``: checks of the audit trail that run on the server."""
from __future__ import annotations

import click
from flask import current_app

from app import db
from app.audit.verify import Head, parse_head, verify_chain
from app.commands.context import fail, in_transaction


def register(cli: click.Group) -> None:
    cli.add_command(audit_group)


@click.group("audit")
def audit_group() -> None:
    """Check the audit trail."""


def _head_option(_ctx, _param, value: str | None) -> Head | None:
    if value is None:
        return None
    try:
        return parse_head(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@audit_group.command("verify")
@click.option("--expect-head", callback=_head_option, metavar="ID:HASH",
              help="Id and chain hash of the newest record as recorded elsewhere (for example in a backup "
                   "manifest); reports records removed from the end of the trail.")
@in_transaction(writes=False)
def verify(expect_head: Head | None) -> None:
    """Walk the audit chain in id order and report the first changed, removed or reordered record.

    Exits with status 1 when the chain is broken or does not reach the expected head.
    """
    result = verify_chain(db.session(), current_app.extensions["trackerbox_keys"]["audit"], expect_head)
    if result.finding is not None:
        fail(f"audit chain broken: {result.finding.message} (checked {result.records} record(s) before it)")
    if result.head is None:
        click.echo("Audit chain verified: the trail is empty.")
        return
    click.echo(f"Audit chain verified: {result.records} record(s), head {result.head}.")
