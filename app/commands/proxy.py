"""``trackerbox proxy``: the nginx site that terminates TLS in front of waitress."""
from __future__ import annotations

from pathlib import Path

import click

from app.config import load_settings


def register(cli: click.Group) -> None:
    cli.add_command(proxy)


@click.group()
def proxy() -> None:
    """Render the nginx configuration of the TLS reverse proxy."""


@proxy.command("render")
@click.option("--server-name", "server_names", multiple=True, metavar="NAME",
              help="Host name nginx answers to; repeat for more (default: _ , any name).")
@click.option("--cert", type=click.Path(dir_okay=False, path_type=Path), help="Certificate file (default: <tls_dir>/server.crt).")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), help="Key file (default: <tls_dir>/server.key).")
@click.option("--upstream", default="127.0.0.1:8000", show_default=True, help="HOST:PORT where waitress listens.")
@click.option("--static-dir", type=click.Path(file_okay=False, path_type=Path), help="Folder served at /static/ (default: the package's app/static).")
@click.option("--https-port", default=443, show_default=True, type=click.IntRange(1, 65535), help="TCP port for HTTPS.")
@click.option("--http-port", default=80, show_default=True, type=click.IntRange(1, 65535), help="TCP port for the HTTP redirect.")
@click.option("--listen-address", "listen_addresses", multiple=True, metavar="ADDRESS",
              help="Address to listen on; repeat for more (default: * and [::], every address).")
@click.option("--proxy-timeout", default=300, show_default=True, type=int, help="Seconds nginx waits for the application (imports can be slow).")
@click.option("--tls-dir", type=click.Path(file_okay=False, path_type=Path), help="TLS directory (default: the tls_dir setting, else <data_dir>/tls).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the configuration to this file instead of printing it.")
def render(server_names, cert, key, upstream, static_dir, https_port, http_port, listen_addresses, proxy_timeout,
           tls_dir, output) -> None:
    """Render the nginx site; HSTS follows the certificate state in the TLS directory.

    The TLS directory's hsts.conf is (re)written too: it sends Strict-Transport-Security
    only after `trackerbox cert import` installed a company certificate.
    """
    from appliance.proxy import STATIC_DIR, SiteOptions, render_site
    from certs.pem import write_atomically
    from certs.store import HSTS_INCLUDE, SERVER_CERT, SERVER_KEY, write_hsts_include

    if output and not output.absolute().parent.is_dir():
        raise click.BadParameter(f"the folder {output.absolute().parent} does not exist; create it or write the "
                                 "site elsewhere", param_hint="--output")
    settings = load_settings()
    directory = tls_dir.absolute() if tls_dir else settings.tls_path
    options = SiteOptions(
        cert=(cert or directory / SERVER_CERT).absolute(),
        key=(key or directory / SERVER_KEY).absolute(),
        hsts_include=directory / HSTS_INCLUDE,
        max_body_bytes=settings.max_request_bytes,
        server_names=list(server_names) or ["_"],
        upstream=upstream,
        static_dir=(static_dir or STATIC_DIR).absolute(),
        https_port=https_port,
        http_port=http_port,
        listen_addresses=list(listen_addresses) or ["*", "[::]"],
        proxy_timeout=proxy_timeout,
    )
    text = render_site(options)
    hsts = write_hsts_include(directory)
    if output:
        write_atomically(output.absolute(), text.encode(), 0o644)
        click.echo(f"Wrote {output} (HSTS {'on' if hsts else 'off'}); check it with `nginx -t`, then reload nginx")
    else:
        click.echo(text, nl=False)
