"""``trackerbox serve``: the production web server (waitress)."""
from __future__ import annotations

import logging

import click

from app.commands.context import get_app

log = logging.getLogger(__name__)


def register(cli: click.Group) -> None:
    cli.add_command(serve)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
def serve(host: str, port: int, threads: int) -> None:
    """Serve TrackerBox with waitress until stopped."""
    from waitress import serve as waitress_serve

    app = get_app()
    click.echo(f"TrackerBox is listening on http://{host}:{port}/ (press Ctrl+C to stop)")
    waitress_serve(app, host=host, port=port, threads=threads, ident="TrackerBox")
