"""``trackerbox scheduler``: run the scheduled backups and housekeeping as their own process."""
from __future__ import annotations

import click

from app.commands.context import get_app


def register(cli: click.Group) -> None:
    cli.add_command(scheduler)


@click.command("scheduler")
@click.option("--standby-interval", default=30, show_default=True, type=click.IntRange(min=1, max=3600),
              help="Seconds between attempts to take over while another scheduler holds the lock.")
def scheduler(standby_interval: int) -> None:
    """Run the daily backup, weekly off-site copy, backup check and uploads cleanup until stopped.

    Only one scheduler runs per installation; a second one waits until the first stops.
    """
    from app.backups.scheduler import serve

    app = get_app()
    serve(app, app.config["TRACKERBOX"], standby_interval)
