"""The client address used for allow-lists, throttling and the audit trail.

It is the TCP peer, except when the peer is the configured trusted proxy (nginx on
the same box): then it is the last address in X-Forwarded-For, which that proxy
replaces with its own peer. A client that sends X-Forwarded-For directly is never
believed, because its peer is not the trusted proxy.
"""
from __future__ import annotations

import ipaddress
import logging

from flask import current_app, g, has_request_context, request

log = logging.getLogger(__name__)


def parse_proxy_networks(value: str | None) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parse the ``trusted_proxy`` setting: addresses or CIDR ranges separated by commas."""
    networks = []
    for part in (value or "").split(","):
        part = part.strip()
        if part:
            networks.append(ipaddress.ip_network(part, strict=False))
    return tuple(networks)


def _parse_address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value.strip().split("%", 1)[0])
    except ValueError:
        return None
    # An IPv4 peer seen on a dual-stack socket arrives as ::ffff:a.b.c.d.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def resolve_client_address(peer: str | None, forwarded_for: str | None, trusted) -> str:
    """Return the client address for a request from ``peer`` carrying ``forwarded_for``.

    ``trusted`` is the tuple from :func:`parse_proxy_networks`. Only one proxy hop is
    trusted, so only the last X-Forwarded-For entry counts.
    """
    peer_address = _parse_address(peer or "")
    if peer_address is None:
        return ""
    if forwarded_for and any(peer_address in network for network in trusted):
        candidate = _parse_address(forwarded_for.split(",")[-1])
        if candidate is not None:
            return str(candidate)
        log.warning("trusted proxy %s sent an unreadable X-Forwarded-For; using the proxy address", peer_address)
    return str(peer_address)


def client_address() -> str:
    """Return the current request's client address as text ("" outside a request)."""
    if not has_request_context():
        return ""
    cached = g.get("client_address")
    if cached is None:
        trusted = current_app.extensions.get("trackerbox_trusted_proxies", ())
        cached = resolve_client_address(request.remote_addr, request.headers.get("X-Forwarded-For"), trusted)
        g.client_address = cached
    return cached


def request_is_https() -> bool:
    """True when the browser's connection is TLS: directly, or to the trusted proxy."""
    if request.scheme == "https":
        return True
    trusted = current_app.extensions.get("trackerbox_trusted_proxies", ())
    peer = _parse_address(request.remote_addr or "")
    return bool(peer and any(peer in n for n in trusted) and request.headers.get("X-Forwarded-Proto") == "https")
