"""The nginx site for TrackerBox, rendered from appliance/templates/nginx-site.conf.j2."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

import app
from app.errors import UserError
from appliance import render_template

STATIC_DIR = Path(app.__file__).resolve().parent / "static"
DEFAULT_UPSTREAM = "127.0.0.1:8000"
DEFAULT_PROXY_TIMEOUT = 300
UPSTREAM = re.compile(r"^(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(?P<port>\d{1,5})$")


@dataclass
class SiteOptions:
    cert: Path
    key: Path
    hsts_include: Path
    max_body_bytes: int
    server_names: list[str] = field(default_factory=lambda: ["_"])
    upstream: str = DEFAULT_UPSTREAM
    static_dir: Path = STATIC_DIR
    https_port: int = 443
    http_port: int = 80
    listen_addresses: list[str] = field(default_factory=lambda: ["*", "[::]"])
    proxy_timeout: int = DEFAULT_PROXY_TIMEOUT


def _listen_address(value: str) -> str:
    text = value.strip()
    if text == "*":
        return text
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        raise UserError(f"listen address {value!r} is not an IP address or *; use for example 0.0.0.0, [::] or 127.0.0.1") from None
    return f"[{address}]" if address.version == 6 else str(address)


def _server_name(value: str) -> str:
    from certs.names import parse_server_name

    text = value.strip()
    if text == "_":
        return text
    if text.startswith("*."):
        return "*." + str(parse_server_name(text[2:]))
    return str(parse_server_name(text))


def _check_path(path: Path, what: str) -> Path:
    if any(character in str(path) for character in ' ;{}"\'\n\\$#'):
        raise UserError(f"{what} path {str(path)!r} contains a character nginx would misread; move it to a plain path")
    return path


def validate(options: SiteOptions) -> SiteOptions:
    """Check every value that goes into the nginx configuration; raise UserError naming the bad one."""
    if not UPSTREAM.match(options.upstream) or not 1 <= int(UPSTREAM.match(options.upstream)["port"]) <= 65535:
        raise UserError(f"upstream {options.upstream!r} is not HOST:PORT; use for example {DEFAULT_UPSTREAM}")
    if options.https_port == options.http_port:
        raise UserError(f"the HTTPS and HTTP ports are both {options.https_port}; choose two different ports")
    if not 10 <= options.proxy_timeout <= 3600:
        raise UserError(f"proxy timeout {options.proxy_timeout} s is outside 10..3600")
    if not options.static_dir.is_dir():
        raise UserError(f"static directory {options.static_dir} not found; pass the app/static folder of the installed package")
    options.server_names = [_server_name(name) for name in options.server_names] or ["_"]
    options.listen_addresses = [_listen_address(address) for address in options.listen_addresses]
    for path, what in ((options.cert, "certificate"), (options.key, "key"), (options.static_dir, "static"),
                       (options.hsts_include, "HSTS include")):
        _check_path(path, what)
    return options


def render_site(options: SiteOptions) -> str:
    """Return the nginx site configuration text for ``options`` after checking them."""
    options = validate(options)
    return render_template(
        "nginx-site.conf.j2",
        upstream=options.upstream,
        server_names=options.server_names,
        listen_addresses=options.listen_addresses,
        https_port=options.https_port,
        http_port=options.http_port,
        https_port_suffix="" if options.https_port == 443 else f":{options.https_port}",
        cert=options.cert,
        key=options.key,
        static_dir=options.static_dir.resolve(),
        hsts_include=options.hsts_include,
        max_body_bytes=options.max_body_bytes,
        proxy_timeout=options.proxy_timeout,
    )
