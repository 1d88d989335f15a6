"""Writing audit events: in the caller's transaction, with request context, hash-chained.

Each record's ``chain_hash`` is HMAC-SHA256 over its own canonical content and the
previous record's hash, under a key kept outside the database, so a changed, removed
or reordered record breaks the chain.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select, text

from app import db
from app.models import AuditEvent, User, utcnow
from app.security.client import client_address

log = logging.getLogger(__name__)

# Keys whose values never enter the trail, wherever they appear in details: these names, and
# any name ending in one of SECRET_SUFFIXES (totp_secret, reset_token, age_identity_key, ...).
SECRET_KEYS = {"password", "password_hash", "new_password", "current_password", "token", "secret", "key", "csrf_token",
               "one_time_password", "passphrase", "identity"}
SECRET_SUFFIXES = ("_password", "_passphrase", "_hash", "_secret", "_token", "_key", "_identity")
_PG_CHAIN_LOCK = 7_316_254_001


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {str(k): ("[redacted]" if _is_secret(str(k), v) else _plain(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def _is_secret(name: str, value: Any) -> bool:
    """Tell whether a details entry must be redacted. Flags such as must_change_password carry no secret."""
    if isinstance(value, bool) or value is None:
        return False
    lowered = name.lower()
    return lowered in SECRET_KEYS or lowered.endswith(SECRET_SUFFIXES)


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Copy the named attributes of ``obj`` as plain JSON values, for before/after details."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def _unwrap(value: Any) -> Any:
    """Turn a Flask-Login ``current_user`` proxy into the object behind it."""
    getter = getattr(value, "_get_current_object", None)
    return getter() if getter else value


def _actor(actor: User | None) -> User | None:
    if actor is not None:
        return actor
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return g.get("cli_actor") if g else None


def canonical(event: AuditEvent) -> bytes:
    """Serialise the fields the chain hash covers: all but the id and the hash itself.

    The id is left out because it is assigned on insert; the previous hash fixes the order.
    """
    body = {
        "created_at": event.created_at.isoformat(),
        "user_id": event.user_id,
        "login": event.login,
        "profiles": event.profiles,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "details": event.details,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "outcome": event.outcome,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chain_hash(key: bytes, previous: str, event: AuditEvent) -> str:
    return hmac.new(key, previous.encode("ascii") + b"\n" + canonical(event), hashlib.sha256).hexdigest()


def _lock_chain(session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CHAIN_LOCK})


def record(
    action: str,
    obj: Any = None,
    *,
    object_type: str = "",
    object_id: Any = "",
    before: dict | None = None,
    after: dict | None = None,
    details: dict | None = None,
    outcome: str = "success",
    actor: User | None = None,
    login: str | None = None,
) -> AuditEvent:
    """Append one audit event to the current transaction and return it."""
    session = db.session()
    obj = _unwrap(obj)
    user = _unwrap(_actor(_unwrap(actor)))
    payload: dict[str, Any] = dict(details or {})
    if before is not None:
        payload["before"] = before
    if after is not None:
        payload["after"] = after

    if obj is not None:
        object_type = object_type or re.sub(r"(?<!^)(?=[A-Z])", "_", type(obj).__name__).lower()
        session.flush()
        object_id = getattr(obj, "id", object_id)
    event = AuditEvent(
        created_at=utcnow(),
        user_id=user.id if user else None,
        login=(user.login if user else login) or "",
        profiles=", ".join(sorted(p.name for p in user.profiles)) if user else "",
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        details=_plain(payload),
        outcome=outcome,
        **_request_fields(),
    )

    _lock_chain(session)
    previous = session.scalar(select(AuditEvent.chain_hash).order_by(AuditEvent.id.desc()).limit(1)) or ""
    event.chain_hash = chain_hash(current_app.extensions["trackerbox_keys"]["audit"], previous, event)
    session.add(event)
    session.flush()
    log.info("audit %s recorded: %s %s/%s by user %s", event.id, action, object_type, event.object_id, event.user_id)
    return event


def _request_fields() -> dict[str, str]:
    if not has_request_context():
        return {"ip": "", "user_agent": "cli", "request_id": g.get("request_id", "") if g else ""}
    return {
        "ip": client_address(),
        "user_agent": (request.user_agent.string or "")[:300],
        "request_id": g.get("request_id", ""),
    }
