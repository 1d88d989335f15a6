"""IP allow-lists: allowed address ranges for the company, per security profile and per user.

Rule: a request is allowed when the client address lies in every non-empty list that
applies to the user: the company list, the list of each of the user's profiles that
has one, and the user's own list. An empty list allows every address. So with no
company list, an Administrator list of "office" and a Project Manager list of "office,
client sites", administrators work from the office only, project managers from both,
and everyone else from anywhere.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from sqlalchemy import delete, select

from app import db
from app.audit.service import record
from app.errors import UserError
from app.models import AllowedNetwork, SecurityProfile, User

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_NETWORKS = 100
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class Scope:
    """The owner of one list: the company (both ids None), a security profile or a user."""

    profile_id: int | None = None
    user_id: int | None = None

    def describe(self) -> str:
        if self.profile_id is not None:
            name = db.session.scalar(select(SecurityProfile.name).where(SecurityProfile.id == self.profile_id))
            return f"the list of security profile {name!r}"
        if self.user_id is not None:
            return "the user's own list"
        return "the company list"


COMPANY = Scope()


def parse_network(text: str, *, field: str = "networks") -> Network:
    """Parse one address or CIDR range; a single address becomes a /32 or /128 range."""
    value = text.strip()
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise UserError(f"{field}: {value[:60]!r} is not an IPv4 or IPv6 address or CIDR range; write for example "
                        "192.0.2.0/24, 2001:db8::/32 or 198.51.100.7", field=field) from None
    raise UserError(f"{field}: {value!r} has bits set after the prefix length; write the range as {loose}",
                    field=field)


def parse_networks(text: str | None, *, field: str = "networks") -> list[str]:
    """Parse ranges separated by line breaks, spaces, commas or semicolons; return them normalised, without repeats."""
    networks: list[str] = []
    for part in _SEPARATORS.split(text or ""):
        if not part:
            continue
        network = str(parse_network(part, field=field))
        if network not in networks:
            networks.append(network)
    if len(networks) > MAX_NETWORKS:
        raise UserError(f"{field}: {len(networks)} ranges given; one list holds at most {MAX_NETWORKS}, so combine "
                        "neighbouring ranges into wider ones", field=field)
    return networks


def _owner_filter(scope: Scope):
    profile = AllowedNetwork.profile_id.is_(None) if scope.profile_id is None else \
        AllowedNetwork.profile_id == scope.profile_id
    user = AllowedNetwork.user_id.is_(None) if scope.user_id is None else AllowedNetwork.user_id == scope.user_id
    return profile & user


def networks_of(scope: Scope) -> list[str]:
    return list(db.session.scalars(select(AllowedNetwork.network).where(_owner_filter(scope))
                                   .order_by(AllowedNetwork.id)))


def lists_for(user: User) -> dict[Scope, list[str]]:
    """Return every non-empty list that applies to ``user``, read in one query."""
    profile_ids = [profile.id for profile in user.profiles]
    rows = db.session.execute(
        select(AllowedNetwork.profile_id, AllowedNetwork.user_id, AllowedNetwork.network).where(
            (AllowedNetwork.user_id == user.id)
            | (AllowedNetwork.profile_id.in_(profile_ids))
            | (AllowedNetwork.profile_id.is_(None) & AllowedNetwork.user_id.is_(None))
        ).order_by(AllowedNetwork.id)
    ).all()
    lists: dict[Scope, list[str]] = {}
    for profile_id, user_id, network in rows:
        lists.setdefault(Scope(profile_id, user_id), []).append(network)
    return lists


def _contains(networks: list[str], address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in ipaddress.ip_network(network) for network in networks)


def refusal(user: User, address: str, *, changed: tuple[Scope, list[str]] | None = None) -> Scope | None:
    """Return the first applicable list that does not contain ``address``, or None when it is allowed.

    ``changed`` replaces one list by a proposed new content, for checking a change before saving it.
    An empty or unreadable address is refused by any non-empty list.
    """
    lists = lists_for(user)
    if changed is not None:
        scope, networks = changed
        applies = scope == COMPANY or scope.user_id == user.id or scope.profile_id in {p.id for p in user.profiles}
        if applies:
            lists[scope] = networks
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        parsed = None
    for scope, networks in lists.items():
        if networks and (parsed is None or not _contains(networks, parsed)):
            return scope
    return None


def replace_networks(scope: Scope, text: str | None, *, actor: User, address: str, confirmed: bool,
                     field: str = "networks") -> bool:
    """Replace one list by the ranges in ``text``; audit the change. Return False when nothing changed.

    A change that would refuse ``actor`` at ``address`` raises UserError unless ``confirmed``.
    """
    networks = parse_networks(text, field=field)
    before = networks_of(scope)
    if networks == before:
        return False
    blocked = refusal(actor, address, changed=(scope, networks))
    if blocked is not None and not confirmed:
        raise UserError(
            f"{field}: with this change {scope.describe()} no longer contains your current address "
            f"{address or '(unknown)'}, so your session would end at once and you could not sign in from here. "
            "Add a range that contains it, or tick the confirmation box to save anyway.", field=field)
    db.session.execute(delete(AllowedNetwork).where(_owner_filter(scope)))
    for network in networks:
        db.session.add(AllowedNetwork(profile_id=scope.profile_id, user_id=scope.user_id, network=network))
    object_type, object_id = ("security_profile", scope.profile_id) if scope.profile_id is not None else \
        ("user", scope.user_id) if scope.user_id is not None else ("setting", "allowed_networks")
    record("allow_list.change", object_type=object_type, object_id=object_id,
           before={"networks": before}, after={"networks": networks},
           details={"confirmed_lockout": blocked is not None})
    return True


def clear_networks(scope: Scope, *, reason: str) -> list[str]:
    """Empty one list, so it no longer restricts anyone; audit it and return the ranges removed.

    This is the way back in after a list that shuts people out: an administrator clears a
    person's own list on their user page, and the server command line clears any list.
    """
    before = networks_of(scope)
    if not before:
        return []
    db.session.execute(delete(AllowedNetwork).where(_owner_filter(scope)))
    object_type, object_id = ("security_profile", scope.profile_id) if scope.profile_id is not None else \
        ("user", scope.user_id) if scope.user_id is not None else ("setting", "allowed_networks")
    record("allow_list.change", object_type=object_type, object_id=object_id,
           before={"networks": before}, after={"networks": []}, details={"reason": reason})
    return before


def describe_refusal(scope: Scope, address: str) -> str:
    return (f"Access from address {address or '(unknown)'} is not allowed for your account: {scope.describe()} "
            "does not contain it. Connect from an allowed network, or ask your administrator to add this range.")
