"""Server names: host names and IP addresses, as typed by an administrator and as found in certificates."""
from __future__ import annotations

import ipaddress
import re
import socket

from cryptography import x509

from app.errors import UserError

HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_server_name(value: str) -> str | Address:
    """Return an IP address object or a lower-case host name; raise UserError for anything else."""
    text = value.strip().lower().rstrip(".")
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        pass
    labels = text.split(".")
    if not text or len(text) > 253 or not all(HOST_LABEL.match(label) for label in labels):
        raise UserError(f"server name {value!r} is not a host name or IP address; "
                        "use for example tracker.example.com or 192.168.1.10")
    return text


def parse_server_names(values: list[str] | tuple[str, ...]) -> list[str | Address]:
    names: list[str | Address] = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                name = parse_server_name(part)
                if name not in names:
                    names.append(name)
    return names


def default_server_names() -> list[str | Address]:
    """This machine's host name and fully qualified name, used when no --name is given."""
    names: list[str | Address] = []
    for candidate in (socket.gethostname(), socket.getfqdn()):
        try:
            name = parse_server_name(candidate)
        except UserError:
            continue
        if name not in names:
            names.append(name)
    return names


def general_name(name: str | Address) -> x509.GeneralName:
    if isinstance(name, str):
        return x509.DNSName(name)
    return x509.IPAddress(name)


def certificate_names(cert: x509.Certificate) -> list[str | Address]:
    """Return the subject alternative names of ``cert`` (DNS names lower-cased, IP addresses as objects)."""
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    dns = [name.lower() for name in extension.get_values_for_type(x509.DNSName)]
    return [*dns, *extension.get_values_for_type(x509.IPAddress)]


def name_is_covered(name: str | Address, covered: list[str | Address]) -> bool:
    """True when a certificate with the names ``covered`` is valid for ``name``.

    A wildcard such as ``*.example.com`` matches exactly one left-most label, as browsers do.
    """
    if not isinstance(name, str):
        return name in covered
    for pattern in covered:
        if not isinstance(pattern, str):
            continue
        if pattern == name:
            return True
        if pattern.startswith("*.") and "." in name and name.split(".", 1)[1] == pattern[2:]:
            return True
    return False


def display(name: str | Address) -> str:
    return str(name)
