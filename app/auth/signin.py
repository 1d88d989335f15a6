"""One sign-in attempt: throttles, the password check, suspension, hash upgrade and aging;
and ``complete_sign_in``, the last step of every sign-in once all factors passed.

Known and unknown logins take the same path: both are throttled by the same counters,
both cost one bcrypt check, and both give the same message. A disabled or suspended
account fails like a wrong password, even with the right one.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_login import login_user
from sqlalchemy import func, select, text

from app import company, db
from app.audit.service import record, snapshot
from app.auth import services
from app.auth.services import is_last_active_administrator
from app.models import User, utcnow
from app.security import passwords, sessions, stamps, throttle
from app.security.client import client_address
from app.security.password_policy import PasswordPolicy, days_until_expiry, password_expires_at

log = logging.getLogger(__name__)

# Serialises the decision to suspend on PostgreSQL, so that two administrators failing
# at the same moment cannot both be suspended as "not the last one".
_PG_SUSPEND_LOCK = 7_316_254_002


@dataclass
class SignInAttempt:
    """The outcome of one attempt. ``user`` is set only when the person may sign in."""

    user: User | None = None
    # Set when the attempt was refused before the password was checked.
    refusal: throttle.Refusal | None = None
    # Consecutive failures of the typed login name after this attempt.
    failures: int = 0
    suspend_after: int = 0
    # Days until the password expires, when the warning period has begun.
    expires_in_days: int | None = None
    expires_at: datetime | None = None

    def failure_message(self) -> str:
        """Return the message for a failed or refused attempt, which never reveals whether the login exists."""
        if self.refusal is not None and self.refusal.scope == throttle.ADDRESS:
            minutes = -(-self.refusal.retry_after // 60)
            return (f"Too many failed sign-ins from your network address. Sign-in from it is paused for "
                    f"{minutes} minute(s); if this keeps happening, tell your administrator.")
        if self.refusal is not None:
            return (f"Sign-in for this login is paused after repeated failures: wait {self.refusal.retry_after} "
                    "second(s), then try again. The password was not checked.")
        message = "Sign-in failed: the login or password is wrong, or the account is not active."
        delay = throttle.delay_after(self.failures)
        if delay:
            message += f" Wait {delay} second(s) before the next attempt."
        if self.failures >= self.suspend_after:
            message += (f" After {self.suspend_after} failed attempts in a row an account is suspended until an "
                        "administrator reactivates it.")
        return message


def _password_key() -> bytes:
    return current_app.extensions["trackerbox_keys"]["password"]


def _rounds() -> int:
    return current_app.config["TRACKERBOX"].bcrypt_rounds


def normalize_login(login: str | None) -> str:
    return (login or "").strip().lower()[:80]


def attempt_sign_in(login: str, password: str) -> SignInAttempt:
    """Check one sign-in and do all its bookkeeping; the caller signs the person in when ``user`` is set."""
    normalized = normalize_login(login)
    digest = throttle.login_key(normalized)
    address = client_address()
    now = utcnow()
    refusal = throttle.check(digest, address, now)
    if refusal is not None:
        log.info("sign-in refused unchecked (%s throttle, %s s left) from %s", refusal.scope, refusal.retry_after,
                 address or "-")
        return SignInAttempt(refusal=refusal)

    user = db.session.scalar(select(User).where(func.lower(User.login) == normalized))
    stored = user.password_hash if user is not None else passwords.dummy_hash(_password_key(), _rounds())
    matches = passwords.verify_password(password, stored, _password_key())
    if user is None or not matches or not user.is_active:
        return _fail(user, normalized, digest, address, now, matches)
    return _succeed(user, normalized, password, now)


def _fail(user: User | None, normalized: str, digest: str, address: str, now: datetime,
          matches: bool) -> SignInAttempt:
    failures = throttle.count_failure(digest, address, now)
    suspend_after = company.get("signin_suspend_after")
    if user is None:
        record("auth.login_failed", object_type="user", login=normalized, outcome="failure",
               details={"reason": "unknown login"})
    else:
        user.failed_logins += 1
        if not user.active:
            reason = "account disabled"
        elif user.suspended:
            reason = "account suspended"
        else:
            reason = "wrong password"
        record("auth.login_failed", user, actor=user, outcome="failure", details={"reason": reason})
        if not matches and user.is_active and user.failed_logins >= suspend_after:
            _suspend(user, suspend_after)
    return SignInAttempt(failures=failures, suspend_after=suspend_after)


def _suspend(user: User, suspend_after: int) -> None:
    """Suspend ``user`` after too many failures, unless they are the last active administrator."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SUSPEND_LOCK})
    if is_last_active_administrator(user):
        if user.failed_logins == suspend_after:
            record("user.suspend_skipped", user, outcome="failure",
                   details={"reason": "last active administrator", "failed_logins": user.failed_logins})
            log.warning("user %s not suspended after %s failed sign-ins: last active administrator",
                        user.id, user.failed_logins)
        return
    before = snapshot(user, ("suspended",))
    user.suspended = True
    record("user.suspend", user, before=before, after=snapshot(user, ("suspended",)),
           details={"reason": f"{user.failed_logins} failed sign-ins in a row"})
    log.warning("user %s suspended after %s failed sign-ins", user.id, user.failed_logins)


def _succeed(user: User, normalized: str, password: str, now: datetime) -> SignInAttempt:
    throttle.clear_login(normalized)
    user.failed_logins = 0
    if passwords.needs_rehash(user.password_hash, _rounds()):
        before = {"bcrypt_rounds": passwords.hash_rounds(user.password_hash)}
        stamps.mark_rehashed(db.session(), user)
        user.password_hash = passwords.hash_password(password, _password_key(), _rounds())
        record("user.password_rehash", user, actor=user, before=before, after={"bcrypt_rounds": _rounds()})
    policy = PasswordPolicy.load()
    expires_at = password_expires_at(user, policy)
    if expires_at is not None and expires_at <= now and not user.must_change_password:
        user.must_change_password = True
        record("user.password_expired", user, actor=user, details={"expired_at": expires_at})
    return SignInAttempt(user=user, expires_in_days=days_until_expiry(user, policy, now), expires_at=expires_at)


def complete_sign_in(user: User, second_factor: str = "none", *, public: bool = False) -> None:
    """Audit the sign-in and start the signed-in session of ``user`` under a new session id.

    Every way of signing in ends here (password only, or password and a second factor),
    so this is the one place that decides how a session starts.
    """
    services.record_sign_in(user, second_factor)
    sessions.start_session(public=public)
    login_user(user, remember=False)
