"""``trackerbox cert``: the TLS certificate nginx serves (local CA, company certificate, status)."""
from __future__ import annotations

from pathlib import Path

import click

from app.config import load_settings
from app.errors import UserError

DOCS = "docs/certificates.md"


def register(cli: click.Group) -> None:
    cli.add_command(cert)


def _tls_dir(option: Path | None) -> Path:
    return option.absolute() if option else load_settings().tls_path


tls_dir_option = click.option("--tls-dir", type=click.Path(file_okay=False, path_type=Path),
                              help="TLS directory nginx reads (default: the tls_dir setting, else <data_dir>/tls).")
names_option = click.option("--name", "names", multiple=True, metavar="NAME",
                            help="Host name or IP address the office uses for the server; repeat or separate "
                                 "with commas (default: this machine's host name and FQDN).")
reload_option = click.option("--no-reload", is_flag=True, help="Do not reload nginx (installers and tests).")


@click.group()
def cert() -> None:
    """Make, import and check the certificate nginx serves."""


def _names(values: tuple[str, ...]):
    from certs.names import default_server_names, parse_server_names

    names = parse_server_names(values) if values else default_server_names()
    if not names:
        raise UserError("no usable server name found; pass --name with the host name or IP address the office uses")
    return names


def _reload(no_reload: bool) -> None:
    from certs.store import reload_nginx

    click.echo("nginx not reloaded (--no-reload)" if no_reload else reload_nginx())


@cert.command("create")
@names_option
@click.option("--days", default=397, show_default=True, type=int, help="Validity of the server certificate in days (at most 397).")
@click.option("--new-ca", is_flag=True, help="Make a new local CA even when one exists (office PCs must then trust the new one).")
@click.option("--replace-imported", is_flag=True, help="Replace an imported company certificate with one from the local CA.")
@tls_dir_option
@reload_option
def create(names: tuple[str, ...], days: int, new_ca: bool, replace_imported: bool, tls_dir: Path | None,
           no_reload: bool) -> None:
    """Make a local CA (once) and a server certificate signed by it."""
    from certs import authority, pem, store

    directory = _tls_dir(tls_dir)
    server_names = _names(names)
    if store.read_state(directory).get("source") == store.SOURCE_IMPORTED and not replace_imported:
        raise UserError(f"{directory / store.SERVER_CERT} is an imported company certificate; pass "
                        "--replace-imported to replace it with one from the local CA")
    ca_key_path, ca_cert_path = directory / store.CA_KEY, directory / store.CA_CERT
    if ca_key_path.exists() and ca_cert_path.exists() and not new_ca:
        ca_key = pem.load_private_key(ca_key_path)
        ca_cert = pem.load_certificates(ca_cert_path)[0]
        refused = authority.authority_permits(ca_cert, server_names)
        if refused:
            raise UserError(f"the local CA in {ca_cert_path} may only sign for the names it was made with, not "
                            f"{', '.join(map(str, refused))}; pass --new-ca and install the new CA on the office PCs")
        click.echo(f"Using the local CA in {ca_cert_path}")
    else:
        ca_key, ca_cert = authority.create_authority(server_names)
        pem.write_atomically(ca_key_path, pem.private_key_pem(ca_key), 0o600)
        pem.write_atomically(ca_cert_path, pem.certificate_pem([ca_cert]), 0o644)
        click.echo(f"Made a new local CA: {ca_cert_path}")
    key, server_cert = authority.issue_server_certificate(ca_key, ca_cert, server_names, days)
    store.install_server_certificate(directory, [server_cert], key, store.SOURCE_LOCAL_CA)
    click.echo(f"Server certificate for {', '.join(map(str, server_names))} valid until "
               f"{server_cert.not_valid_after_utc:%Y-%m-%d}: {directory / store.SERVER_CERT}")
    click.echo(f"Install {ca_cert_path} as a trusted root on each office PC ({DOCS} says how).")
    _reload(no_reload)


@cert.command("import")
@click.argument("cert_file", metavar="CERT", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("key_file", metavar="KEY", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--chain", "chain_file", type=click.Path(dir_okay=False, path_type=Path),
              help="PEM file with the intermediate and root certificates of the issuing CA.")
@names_option
@tls_dir_option
@reload_option
def import_(cert_file: Path, key_file: Path, chain_file: Path | None, names: tuple[str, ...], tls_dir: Path | None,
            no_reload: bool) -> None:
    """Check a company certificate, key and chain, then make nginx serve them."""
    from certs import checks, store

    directory = _tls_dir(tls_dir)
    checked = checks.check_import(cert_file, key_file, chain_file, _names(names))
    store.install_server_certificate(directory, checked.served_chain, checked.key, store.SOURCE_IMPORTED)
    click.echo(f"Imported {checks.describe(checked.leaf)} issued by {checked.leaf.issuer.rfc4514_string()}, "
               f"valid until {checked.leaf.not_valid_after_utc:%Y-%m-%d}; Strict-Transport-Security is now on")
    _reload(no_reload)


@cert.command("status")
@tls_dir_option
def status(tls_dir: Path | None) -> None:
    """Show the served certificate; exit 1 when it is missing, expired or has under 30 days left."""
    from certs import store

    directory = _tls_dir(tls_dir)
    info = store.certificate_status(directory)
    if info is None:
        click.echo(f"No certificate in {directory}; run `trackerbox cert create` or `trackerbox cert import`")
        raise click.exceptions.Exit(1)
    click.echo(f"Subject:   {info.subject}")
    click.echo(f"Names:     {', '.join(info.names) or '(none)'}")
    click.echo(f"Issuer:    {info.issuer}")
    click.echo(f"Source:    {info.source}")
    click.echo(f"Expires:   {info.not_after:%Y-%m-%d %H:%M} UTC")
    click.echo(f"HSTS:      {'on' if store.hsts_enabled(directory) else 'off'}")
    if info.expired:
        click.echo(f"Days left: EXPIRED {-info.days_left} day(s) ago; renew it now")
        raise click.exceptions.Exit(1)
    if info.needs_renewal:
        click.echo(f"Days left: {info.days_left} (under {store.WARN_DAYS}: renew it soon)")
        raise click.exceptions.Exit(1)
    click.echo(f"Days left: {info.days_left}")
