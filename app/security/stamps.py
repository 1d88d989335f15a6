"""Rotating the users' security stamp, and ending their sessions when it rotates.

A ``before_flush`` listener watches every changed User. When the password hash, the
active or suspended flag or the set of security profiles changes, it gives the user a
new random ``security_stamp`` and notes the user. A ``before_commit`` listener then
ends that user's sessions in the same transaction, with an audit record each. A password
change, or a change to the person's own profiles, keeps the session that made it
(under a new id); every other trigger ends all of the user's sessions. The session loader also compares the stamp on every request,
so a session whose row was missed still ends on its next request.

``must_change_password`` is not watched: it changes only together with the password
hash (reset or own change), which already rotates the stamp. A change to what a profile
grants ends no session, because permissions are read afresh on every request.

NOTE: only changes made through a User object are seen. Deleting a security profile
removes its membership rows in the database without touching the users' collections,
so their sessions go on, with the deleted profile's rights already gone.
"""
from __future__ import annotations

import secrets

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models import User

WATCHED = {
    "password_hash": "password changed",
    "active": "account enabled or disabled",
    "suspended": "account suspended or unsuspended",
    "profiles": "security profiles changed",
}
PENDING_KEY = "trackerbox_stamp_rotations"
# Users whose hash was only recomputed at a higher bcrypt cost during sign-in: same
# password, so no session needs to end (see app.auth.signin).
REHASHED_KEY = "trackerbox_rehashed_users"
PASSWORD_REASON = WATCHED["password_hash"]
# Changes a person may make to their own account without being signed out by them.
SELF_SERVICE_REASONS = {PASSWORD_REASON, WATCHED["profiles"]}


def changed_fields(user: User) -> list[str]:
    """Return the watched attributes of ``user`` that changed since it was loaded."""
    state = inspect(user)
    return [name for name in WATCHED if state.attrs[name].history.has_changes()]


@event.listens_for(Session, "before_flush")
def _rotate_stamps(session: Session, _flush_context, _instances) -> None:
    for obj in list(session.dirty):
        if not isinstance(obj, User) or inspect(obj).pending:
            continue
        fields = changed_fields(obj)
        if fields == ["password_hash"] and obj.id in session.info.get(REHASHED_KEY, ()):
            continue
        if not fields:
            continue
        obj.security_stamp = secrets.token_hex(16)
        pending = session.info.setdefault(PENDING_KEY, {})
        reasons = pending.setdefault(obj.id, [])
        reasons.extend(WATCHED[name] for name in fields if WATCHED[name] not in reasons)


@event.listens_for(Session, "before_commit")
def _end_sessions_of_rotated_users(session: Session) -> None:
    # Commit runs this hook before its own flush, so flush first to let _rotate_stamps see the changes.
    session.flush()
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    from app.security.sessions import current_session, end_user_sessions

    current = current_session()
    for user_id, reasons in pending.items():
        user = session.get(User, user_id)
        if user is None:
            continue
        keep = None
        if (set(reasons) <= SELF_SERVICE_REASONS and current is not None and current.record_id is not None
                and current.row_user_id == user_id):
            keep = current.record_id
            current.regenerate = True
            current.keep_expiry = True
        end_user_sessions(user, keep_session_id=keep, reason=", ".join(reasons))


@event.listens_for(Session, "after_rollback")
def _forget_rotations(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
    session.info.pop(REHASHED_KEY, None)


@event.listens_for(Session, "after_commit")
def _forget_rehashes(session: Session) -> None:
    session.info.pop(REHASHED_KEY, None)


def mark_rehashed(session: Session, user: User) -> None:
    """Mark ``user``'s new hash as the same password at a higher cost, so their sessions go on."""
    session.info.setdefault(REHASHED_KEY, set()).add(user.id)
