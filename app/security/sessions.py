"""Server-side sessions: a Flask SessionInterface over the ``user_sessions`` table.

The cookie ``__Host-trackerbox_session`` carries 256 random bits; the table keeps only
their SHA-256, the owner, the timeouts and the session data (Flask-Login state, CSRF
token, flash messages) as JSON.

Loading is lazy: the row is read on the first use of ``flask.session``, which happens
after the request hook has chosen the transaction mode, so a GET never takes the SQLite
write lock for it. Every write (new row, new data, last-seen time, ending an expired
session) happens in ``save_session``, in its own short write transaction after the
request's transaction has been committed or rolled back.
"""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response, g, has_request_context, request
from flask.sessions import SessionInterface, SessionMixin
from flask_wtf.csrf import generate_csrf
from sqlalchemy import delete, or_, select
from werkzeug.datastructures import CallbackDict

from app import company, db
from app.audit.service import record
from app.models import User, UserSession, utcnow
from app.security.client import client_address

log = logging.getLogger(__name__)

COOKIE_NAME = "__Host-trackerbox_session"
TOKEN_BYTES = 32
# last_seen_at is written at most this often when nothing else in the session changed,
# so reading pages does not write to the database on every request. Idle timeouts are
# therefore exact to within this many seconds.
LAST_SEEN_INTERVAL = timedelta(seconds=60)
# A visitor who never signs in keeps a session (CSRF token, messages) for at most this long.
ANONYMOUS_LIFETIME = timedelta(hours=1)
# Signed-in sessions that prune_expired_sessions() ends, with one audit record each, per call.
PRUNE_BATCH = 500
USER_ID_KEY = "_user_id"

REASON_SIGN_OUT = "sign-out"
REASON_IDLE = "idle timeout"
REASON_ABSOLUTE = "absolute timeout"
REASON_STAMP = "password, account state or security profiles changed"
REASON_INACTIVE = "account disabled or suspended"
REASON_ADDRESS = "client address not allowed"


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta
    absolute: timedelta


def timeouts(public: bool) -> Timeouts:
    """Return the company's idle and absolute timeouts for a normal or a public-terminal session."""
    prefix = "public_session" if public else "session"
    return Timeouts(idle=timedelta(minutes=int(company.get(f"{prefix}_idle_minutes"))),
                    absolute=timedelta(minutes=int(company.get(f"{prefix}_absolute_minutes"))))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    """The session dict of one request, loaded from its row on first use."""

    def __init__(self, token: str | None):
        def on_update(session: ServerSession) -> None:
            session.modified = True

        super().__init__(None, on_update)
        self.token = token
        self.loaded = False
        self.modified = False
        self.accessed = False
        # Set by the loader or by start_session().
        self.record_id: int | None = None
        self.row_user_id: int | None = None
        self.public = False
        self.last_seen_at: datetime | None = None
        self.created_at: datetime | None = None
        self.expires_at: datetime | None = None
        # A new id is issued when the response is saved (sign-in, password change).
        self.regenerate = False
        self.keep_expiry = False
        # (row id, reason) of a session the loader found expired or revoked; ended on save.
        self.pending_end: tuple[int, str] | None = None
        # The row was deleted during the request (sign-out, revocation); forget the cookie.
        self.ended = False
        self.user: User | None = None

    def _load(self) -> None:
        if self.loaded:
            return
        self.loaded = True
        self.accessed = True
        if self.token and has_request_context():
            _load_into(self)

    # Every read or write goes through _load() first, so the row is read on first use only.
    def __getitem__(self, key: str) -> Any:
        self._load()
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._load()
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._load()
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        self._load()
        return super().__iter__()

    def __len__(self) -> int:
        self._load()
        return super().__len__()

    def keys(self):
        self._load()
        return super().keys()

    def items(self):
        self._load()
        return super().items()

    def __setitem__(self, key: str, value: Any) -> None:
        self._load()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._load()
        super().__delitem__(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._load()
        return super().setdefault(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self._load()
        return super().pop(key, *default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._load()
        super().update(*args, **kwargs)

    def clear(self) -> None:
        self._load()
        super().clear()

    @property
    def signed_in_user_id(self) -> int | None:
        value = self.get(USER_ID_KEY)
        return int(value) if isinstance(value, str) and value.isdigit() else None


def _end_reason(session: ServerSession, row: UserSession, now: datetime) -> str | None:
    if row.expires_at <= now:
        return REASON_ABSOLUTE
    if row.idle_expires_at <= now:
        return REASON_IDLE
    if row.user_id is None:
        return None
    user = db.session.get(User, row.user_id)
    # Holding a reference keeps the user in the identity map, so Flask-Login's loader reuses it.
    session.user = user
    if user is None or not user.is_active:
        return REASON_INACTIVE
    if user.security_stamp != row.security_stamp:
        return REASON_STAMP
    return None


ENDED_MESSAGES = {
    REASON_IDLE: "You were signed out after a period without activity. Sign in again to continue.",
    REASON_ABSOLUTE: "You were signed out because the session reached its maximum length. Sign in again.",
}


def _load_into(session: ServerSession) -> None:
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(session.token)))
    if row is None:
        # Unknown or already ended: the cookie is replaced or removed on save.
        session.ended = True
        return
    reason = _end_reason(session, row, utcnow())
    if reason is not None:
        session.pending_end = (row.id, reason)
        session.ended = True
        if row.user_id is not None:
            message = ENDED_MESSAGES.get(reason, "Your session was ended. Sign in again to continue.")
            dict.__setitem__(session, "_flashes", [("info", message)])
            session.modified = True
        return
    try:
        data = json.loads(row.data)
    except ValueError:
        data = {}
    session.record_id = row.id
    session.row_user_id = row.user_id
    session.public = row.public
    session.last_seen_at = row.last_seen_at
    session.created_at = row.created_at
    session.expires_at = row.expires_at
    if row.user_id is None or data.get(USER_ID_KEY) != str(row.user_id):
        data.pop(USER_ID_KEY, None)
    dict.update(session, data)


def current_session() -> ServerSession | None:
    """Return the request's server-side session, or None outside a request."""
    from flask import session

    if not has_request_context():
        return None
    value = session._get_current_object()  # type: ignore[attr-defined]
    return value if isinstance(value, ServerSession) else None


def start_session(*, public: bool) -> None:
    """Begin a signed-in session: drop what the visitor's session held and issue a new id on save.

    Call it right before ``login_user``. The old row, and with it any id an attacker
    planted before the sign-in, is deleted when the response is saved.
    """
    session = current_session()
    if session is None:
        return
    session.clear()
    session.regenerate = True
    session.keep_expiry = False
    session.public = public
    # A fresh CSRF token now, so the new row is complete and the next page writes nothing.
    g.pop("csrf_token", None)
    generate_csrf()


def end_current_session(reason: str = REASON_SIGN_OUT) -> None:
    """End the request's own session now (sign-out); its row and cookie go away."""
    session = current_session()
    if session is None:
        return
    session.clear()
    if session.record_id is not None:
        _end_rows([session.record_id], reason)
    session.record_id = None
    session.ended = True
    session.regenerate = False


def end_user_sessions(user: User, *, keep_session_id: int | None = None, reason: str) -> int:
    """End every session of ``user`` except ``keep_session_id``; audit each one. Return how many ended."""
    query = select(UserSession.id).where(UserSession.user_id == user.id)
    if keep_session_id is not None:
        query = query.where(UserSession.id != keep_session_id)
    ids = list(db.session.scalars(query))
    _end_rows(ids, reason)
    return len(ids)


def end_session_by_id(session_id: int, *, reason: str) -> bool:
    """End one session by its row id; return False when it no longer exists."""
    exists = db.session.scalar(select(UserSession.id).where(UserSession.id == session_id))
    if exists is None:
        return False
    _end_rows([session_id], reason)
    current = current_session()
    if current is not None and current.record_id == session_id:
        current.clear()
        current.record_id = None
        current.ended = True
    return True


def _end_rows(ids: list[int], reason: str) -> None:
    """Delete the session rows ``ids`` and write one audit record for each signed-in one."""
    if not ids:
        return
    rows = db.session.execute(
        select(UserSession.id, UserSession.user_id, User.login, UserSession.public)
        .outerjoin(User, User.id == UserSession.user_id).where(UserSession.id.in_(ids))
    ).all()
    for session_id, user_id, login, public in rows:
        if user_id is not None:
            record("session.end", object_type="user_session", object_id=session_id,
                   details={"user_id": user_id, "login": login, "reason": reason, "public": public})
    db.session.execute(delete(UserSession).where(UserSession.id.in_(ids)))
    log.info("%s session(s) ended: %s", len(rows), reason)


def prune_expired_sessions(now: datetime | None = None) -> int:
    """Delete sessions past their idle or absolute expiry; return how many were removed.

    Visitors' sessions go in one statement. Signed-in ones are ended with an audit
    record each, at most PRUNE_BATCH per call. Runs on every new session row, and a
    scheduler may call it inside ``db.transaction()``.
    """
    now = now or utcnow()
    expired = or_(UserSession.expires_at <= now, UserSession.idle_expires_at <= now)
    anonymous = db.session.execute(delete(UserSession).where(UserSession.user_id.is_(None), expired)).rowcount
    rows = db.session.execute(
        select(UserSession.id, UserSession.expires_at).where(UserSession.user_id.is_not(None), expired)
        .order_by(UserSession.id).limit(PRUNE_BATCH)
    ).all()
    for reason in (REASON_ABSOLUTE, REASON_IDLE):
        ids = [row.id for row in rows if (row.expires_at <= now) == (reason == REASON_ABSOLUTE)]
        _end_rows(ids, reason)
    return (anonymous or 0) + len(rows)


class ServerSessionInterface(SessionInterface):
    """Stores Flask's session in ``user_sessions``; see the module docstring."""

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(COOKIE_NAME)
        if token is not None and not (20 <= len(token) <= 100):
            token = None
        return ServerSession(token)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession) or not session.loaded:
            return
        if session.accessed:
            response.vary.add("Cookie")
        new_token = None
        if _needs_write(session):
            with db.transaction():
                new_token = _store(session)
        if new_token:
            response.set_cookie(COOKIE_NAME, new_token, path="/", secure=True, httponly=True, samesite="Lax")
        elif session.ended and session.record_id is None and session.token:
            response.delete_cookie(COOKIE_NAME, path="/", secure=True, httponly=True, samesite="Lax")


def _needs_write(session: ServerSession) -> bool:
    if session.pending_end is not None or session.regenerate:
        return True
    if session.record_id is None:
        return bool(session)
    if session.signed_in_user_id != session.row_user_id or session.modified:
        return True
    return session.last_seen_at is None or utcnow() - session.last_seen_at >= LAST_SEEN_INTERVAL


def _store(session: ServerSession) -> str | None:
    """Write the session's changes; return a new cookie token when a new row was made."""
    now = utcnow()
    if session.pending_end is not None:
        row_id, reason = session.pending_end
        _end_rows([row_id], reason)
    data = dict(session.items())
    user_id = session.signed_in_user_id
    # A session that changes hands (sign-in, or another user) always gets a new id.
    if session.record_id is not None and user_id != session.row_user_id:
        session.regenerate = True
    if session.record_id is None or session.regenerate:
        return _create_row(session, data, user_id, now)
    row = db.session.get(UserSession, session.record_id)
    if row is None:
        return None
    if session.modified:
        row.data = json.dumps(data, separators=(",", ":"))
    row.last_seen_at = now
    row.idle_expires_at = min(now + timedelta(seconds=row.idle_timeout_seconds), row.expires_at)
    return None


def _create_row(session: ServerSession, data: dict, user_id: int | None, now: datetime) -> str | None:
    created_at, expires_at = now, None
    if session.record_id is not None:
        if session.keep_expiry:
            created_at, expires_at = session.created_at or now, session.expires_at
        db.session.execute(delete(UserSession).where(UserSession.id == session.record_id))
        session.record_id = None

    if not data:
        session.ended = True
        return None
    prune_expired_sessions(now)

    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        data.pop(USER_ID_KEY, None)
        session.public = False
    limits = timeouts(session.public)
    if expires_at is None:
        expires_at = now + (limits.absolute if user is not None else min(limits.absolute, ANONYMOUS_LIFETIME))

    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = UserSession(
        token_hash=hash_token(token), user_id=user.id if user else None, created_at=created_at, last_seen_at=now,
        idle_timeout_seconds=int(limits.idle.total_seconds()), idle_expires_at=min(now + limits.idle, expires_at),
        expires_at=expires_at, public=session.public, client_address=client_address(),
        user_agent=(request.user_agent.string or "")[:300] if has_request_context() else "",
        security_stamp=user.security_stamp if user else "", data=json.dumps(data, separators=(",", ":")),
    )
    db.session.add(row)
    db.session.flush()
    session.record_id = row.id
    session.ended = False
    return token
