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
    from waitress.server import create_server

    app = get_app()
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="TrackerBox")
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; stop the program using that port "
            "or choose another with --port"
        ) from None
    click.echo(f"TrackerBox is listening on http://{host}:{port}/ (press Ctrl+C to stop)")
    log.info("server started on %s:%s with %s threads", host, port, threads)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        log.info("server on %s:%s stopped", host, port)
