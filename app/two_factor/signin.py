"""The second sign-in step: a pending sign-in kept in the session between password and code.

After a correct password the person is not signed in yet. The session then holds only
the user id, an expiry time, the count of rejected codes at that moment and the page to
open afterwards. The count of rejected codes itself is kept in the database, so sending
an older copy of the session cookie does not give more attempts.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import session

from app import db
from app.errors import UserError
from app.models import User
from app.two_factor import codes, services

log = logging.getLogger(__name__)

PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 5 * 60
MAX_ATTEMPTS = 5


class SignInRestart(UserError):
    """The pending sign-in is over (missing, timed out or out of attempts); start at the password step."""

    status_code = 401


@dataclass(frozen=True)
class Pending:
    user: User
    failures_before: int
    next_url: str
    public: bool = False


def needs_second_step(user: User) -> bool:
    return services.is_enabled(user)


def begin(user: User, next_url: str, *, public: bool = False) -> None:
    """Replace the session with a pending sign-in of ``user`` that waits for a code."""
    session.clear()
    session[PENDING_KEY] = {
        "user_id": user.id,
        "expires_at": int(codes.now_unix()) + PENDING_SECONDS,
        "failures_before": services.get_totp(user).failed_attempts,
        "next": next_url,
        "public": public,
    }
    log.info("password accepted for user %s; waiting for the second factor", user.id)


def end() -> None:
    session.pop(PENDING_KEY, None)


def load() -> Pending:
    """Return the pending sign-in, or end it and raise SignInRestart when it can no longer go on."""
    state = session.get(PENDING_KEY)
    if not isinstance(state, dict):
        raise SignInRestart("no sign-in is waiting for a code; sign in with your login and password")
    if codes.now_unix() > state["expires_at"]:
        end()
        log.info("pending sign-in of user %s timed out", state["user_id"])
        raise SignInRestart(f"the sign-in timed out after {PENDING_SECONDS // 60} minutes without a valid code; "
                            "sign in with your password again")
    user = db.session.get(User, state["user_id"])
    row = services.get_totp(user) if user is not None else None
    if user is None or not user.is_active or row is None or not row.enabled:
        end()
        log.info("pending sign-in of user %s ended: account disabled or second factor removed", state["user_id"])
        raise SignInRestart("the account changed while you were signing in; sign in with your password again")
    used = row.failed_attempts - state["failures_before"]
    # A negative count means a code was accepted elsewhere since the password step.
    if used < 0 or used >= MAX_ATTEMPTS:
        end()
        log.info("pending sign-in of user %s ended: %s codes rejected since the password step", user.id, used)
        raise SignInRestart("too many wrong codes; sign in with your password again")
    return Pending(user=user, failures_before=state["failures_before"], next_url=state["next"],
                   public=bool(state.get("public")))


def verify(pending: Pending, code: str) -> services.Accepted:
    """Check ``code`` for the pending sign-in; on success end the pending state.

    A rejected code is counted and audited. The attempt that uses up the last try ends
    the pending sign-in and raises SignInRestart; other rejections raise CodeRejected
    with the number of tries left.
    """
    try:
        accepted = services.check_code(pending.user, code)
    except services.CodeRejected as exc:
        if not exc.counts:
            raise
        failures = services.record_failure(pending.user, exc.reason, during="sign-in")
        left = MAX_ATTEMPTS - (failures - pending.failures_before)
        if left <= 0:
            end()
            raise SignInRestart(f"{MAX_ATTEMPTS} wrong codes in a row; sign in with your password again") from None
        exc.message = f"{exc.message} ({left} {'try' if left == 1 else 'tries'} left)"
        raise
    end()
    return accepted
