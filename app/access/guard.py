"""Per-request checks: the IP allow-lists, and whether the request comes from a public terminal."""
from __future__ import annotations

import ipaddress
import logging

from flask import g, render_template, request
from flask_login import current_user, logout_user

from app import company, db
from app.audit.service import record
from app.security import allow_lists, sessions
from app.security.client import client_address

log = logging.getLogger(__name__)


def enforce_allowed_address():
    """End the session and return a 403 page when the signed-in user's address is outside an allow-list."""
    if not current_user.is_authenticated:
        return None
    address = client_address()
    blocked = allow_lists.refusal(current_user, address)
    if blocked is None:
        return None
    user = current_user._get_current_object()
    # The request began read-only; the refusal and the ended session are written, so start over in write mode.
    db.session.rollback()
    db.write_intent.set(True)
    record("auth.address_refused", user, outcome="failure",
           details={"address": address, "list": blocked.describe(), "reason": sessions.REASON_ADDRESS})
    sessions.end_current_session(sessions.REASON_ADDRESS)
    logout_user()
    g.commit_despite_error = True
    log.warning("request of user %s from %s rejected: not in %s", user.id, address, blocked.describe())
    return render_template("error.html", title="Address not allowed",
                           message=allow_lists.describe_refusal(blocked, address)), 403


def refuse_sign_in(user, address: str):
    """Return the 403 page for a sign-in from outside an allow-list, or None when the address is allowed."""
    blocked = allow_lists.refusal(user, address)
    if blocked is None:
        return None
    record("auth.login_refused", user, actor=user, outcome="failure",
           details={"address": address, "list": blocked.describe(), "reason": sessions.REASON_ADDRESS})
    g.commit_despite_error = True
    return render_template("error.html", title="Address not allowed",
                           message=allow_lists.describe_refusal(blocked, address)), 403


def in_public_network(address: str) -> bool:
    """True when ``address`` lies in the company setting ``public_networks``."""
    networks = company.get("public_networks") or []
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in ipaddress.ip_network(network) for network in networks)


def public_terminal_request() -> bool:
    """True for a public-terminal session, and for any request from a public network.

    Static files (CSS, JavaScript) are the same for everyone and hold no personal data,
    so they are never counted as public-terminal requests and stay cacheable.
    """
    if request.endpoint == "static":
        return False
    session = sessions.current_session()
    if session is not None and session.loaded and session.public:
        return True
    if "public_network" not in g:
        g.public_network = in_public_network(client_address())
    return g.public_network
