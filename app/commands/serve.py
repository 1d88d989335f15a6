"""``trackerbox serve``: the production web server (waitress)."""
from __future__ import annotations

import errno
import logging

import click

from app.commands.context import get_app

log = logging.getLogger(__name__)


def register(cli: click.Group) -> None:
    cli.add_command(serve)


def make_server(app, host: str, port: int, threads: int):
    """Create the waitress server that ``serve`` runs (tests use it too)."""
    from waitress.server import create_server

    # Waitress removes X-Forwarded-* headers by default when it has no trusted proxy of
    # its own. The application decides itself whether to believe them (only from the
    # trusted_proxy setting's addresses), so they must reach it.
    return create_server(app, host=host, port=port, threads=threads, ident="TrackerBox",
                         clear_untrusted_proxy_headers=False)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
def serve(host: str, port: int, threads: int) -> None:
    """Serve TrackerBox with waitress until stopped."""
    app = get_app()
    try:
        server = make_server(app, host, port, threads)
    except OSError as exc:
        if exc.errno == errno.EADDRNOTAVAIL:
            fix = "this machine has no such address; choose one of its own with --host, such as 127.0.0.1"
        elif exc.errno == errno.EACCES:
            fix = "ports below 1024 need root; choose a port of 1024 or higher with --port"
        else:
            fix = "stop the program using that port or choose another with --port"
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}; {fix}") from None
    click.echo(f"TrackerBox is listening on http://{host}:{port}/ (press Ctrl+C to stop)")
    log.info("server started on %s:%s with %s threads", host, port, threads)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        log.info("server on %s:%s stopped", host, port)
