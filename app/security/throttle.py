"""Counters that slow down repeated wrong sign-ins, per login name and per client address.

Login names: from the third consecutive failure on, the next attempt must wait
2^(failures - 3) seconds, at most MAX_DELAY_SECONDS. The counter is kept for every
name typed, whether an account has it or not, under an HMAC of the normalised name,
so the delays and messages do not tell an attacker which logins exist.

Client addresses: an address may fail a limited number of times per ADDRESS_WINDOW.
Addresses in the company's office networks get a higher limit, so that one person's
typos never lock out an office whose people share an address behind NAT.

During a delay or once an address reached its limit, attempts are refused before the
password is checked.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import company, db
from app.errors import UserError
from app.models import SignInThrottle

LOGIN = "login"
ADDRESS = "address"
DELAY_FROM_FAILURE = 3
MAX_DELAY_SECONDS = 300
ADDRESS_WINDOW = timedelta(minutes=15)
# Rows without a failure for this long are deleted, so random names typed by a
# scanner do not pile up. A login's delay then starts again from zero.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Refusal:
    """A refusal before the password check: the throttle ``scope`` and the seconds until the next attempt."""

    scope: str
    retry_after: int


def login_key(login: str) -> str:
    """Return the HMAC-SHA256 (hex) of a normalised login name under the password key."""
    key = current_app.extensions["trackerbox_keys"]["password"]
    return hmac.new(key, b"sign-in throttle\x00" + login.encode("utf-8"), hashlib.sha256).hexdigest()


def delay_after(failures: int) -> int:
    """Return the seconds to wait after ``failures`` consecutive failures of one login."""
    if failures < DELAY_FROM_FAILURE:
        return 0
    return min(2 ** (failures - DELAY_FROM_FAILURE), MAX_DELAY_SECONDS)


def parse_networks(text: str | list[str] | None, *, field: str = "office_networks") -> list[str]:
    """Parse CIDR ranges separated by commas, spaces or lines; raise UserError naming a bad one."""
    parts = text if isinstance(text, list) else (text or "").replace(",", " ").split()
    networks = []
    for part in parts:
        try:
            networks.append(str(ipaddress.ip_network(part.strip(), strict=False)))
        except ValueError:
            raise UserError(f"{field}: {part[:60]!r} is not an address or CIDR range; write for example "
                            "192.168.10.0/24 or 2001:db8:10::/48", field=field) from None
    return list(dict.fromkeys(networks))


def in_office(address: str, networks: list[str] | None = None) -> bool:
    """Return True when ``address`` lies in one of the office networks (default: the company's)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    networks = company.get("office_networks") if networks is None else networks
    return any(parsed in ipaddress.ip_network(network) for network in networks)


def address_limit(address: str, settings: dict | None = None) -> int:
    """Return how many failures ``address`` may make per ADDRESS_WINDOW."""
    settings = settings or company.get_all()
    office = in_office(address, settings["office_networks"])
    return settings["signin_office_limit"] if office else settings["signin_address_limit"]


def _rows(login_digest: str, address: str) -> dict[str, SignInThrottle]:
    keys = [(LOGIN, login_digest)] + ([(ADDRESS, address)] if address else [])
    rows = db.session.scalars(select(SignInThrottle).where(tuple_(SignInThrottle.scope, SignInThrottle.key).in_(keys)))
    return {row.scope: row for row in rows}


def check(login_digest: str, address: str, now: datetime) -> Refusal | None:
    """Return a Refusal when the address is over its limit or the login is inside its delay."""
    rows = _rows(login_digest, address)
    by_address = rows.get(ADDRESS)
    if by_address is not None and by_address.first_failure_at > now - ADDRESS_WINDOW \
            and by_address.failures >= address_limit(address):
        return Refusal(ADDRESS, _seconds_until(by_address.first_failure_at + ADDRESS_WINDOW, now))
    by_login = rows.get(LOGIN)
    if by_login is not None:
        ready_at = by_login.last_failure_at + timedelta(seconds=delay_after(by_login.failures))
        if ready_at > now:
            return Refusal(LOGIN, _seconds_until(ready_at, now))
    return None


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def count_failure(login_digest: str, address: str, now: datetime) -> int:
    """Count one failure for the login and the address; return the login's consecutive failures."""
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.last_failure_at < now - FORGET_AFTER))
    failures = _increment(LOGIN, login_digest, now, window_start=None)
    if address:
        _increment(ADDRESS, address, now, window_start=now - ADDRESS_WINDOW)
    return failures


def _increment(scope: str, key: str, now: datetime, window_start: datetime | None) -> int:
    """Insert or bump one counter in a single statement, so concurrent failures are all counted."""
    table = SignInThrottle.__table__
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)
    statement = insert.values(scope=scope, key=key, failures=1, first_failure_at=now, last_failure_at=now)
    if window_start is None:
        failures, first = table.c.failures + 1, table.c.first_failure_at
    else:
        # An address whose window has passed starts a new window with this failure.
        expired = table.c.first_failure_at <= window_start
        failures = case((expired, 1), else_=table.c.failures + 1)
        first = case((expired, statement.excluded.first_failure_at), else_=table.c.first_failure_at)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.scope, table.c.key],
        set_={"failures": failures, "first_failure_at": first, "last_failure_at": statement.excluded.last_failure_at},
    ).returning(table.c.failures)
    return db.session.execute(statement).scalar_one()


def clear_login(login: str) -> None:
    """Forget the consecutive failures of a login name (after a success or an unlock)."""
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.scope == LOGIN,
                                                    SignInThrottle.key == login_key(login)))


def blocked_addresses(now: datetime) -> list[tuple[str, int, datetime]]:
    """Return (address, failures, window end) of each address refused at the moment."""
    rows = db.session.scalars(select(SignInThrottle).where(
        SignInThrottle.scope == ADDRESS, SignInThrottle.first_failure_at > now - ADDRESS_WINDOW))
    settings = company.get_all()
    return [(row.key, row.failures, row.first_failure_at + ADDRESS_WINDOW)
            for row in rows if row.failures >= address_limit(row.key, settings)]
