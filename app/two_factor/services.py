"""Enrolling, checking, turning off and resetting a person's TOTP second factor.

Services flush and audit; the request or CLI command commits. Neither the secret nor
a typed code or recovery code ever enters a log message or an audit record.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import segno
from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from werkzeug.exceptions import NotFound

from app import db, inputs
from app.audit.service import record, snapshot
from app.errors import ConflictError, UserError
from app.models import RecoveryCode, SecurityProfile, User, UserTotp, utcnow
from app.security import passwords
from app.two_factor import codes
from app.two_factor.crypto import decrypt_secret, encrypt_secret, hash_recovery_code

log = logging.getLogger(__name__)

RESET_REASON_MAX_LENGTH = 400


@dataclass(frozen=True)
class Enrolment:
    """A secret waiting for its first code, with its otpauth URI and QR code for the set-up page."""

    secret: str
    uri: str
    qr_data_uri: str

    @property
    def grouped_secret(self) -> str:
        """Return the secret in groups of four, as people type it into an app by hand."""
        return " ".join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))


@dataclass(frozen=True)
class Accepted:
    """A second-factor check that passed: ``method`` is "totp" or "recovery_code"."""

    method: str
    recovery_codes_left: int | None = None


class CodeRejected(UserError):
    """A second-factor code that is wrong, replayed or malformed.

    ``counts`` is False for input that cannot be any code (wrong length or characters), so
    a typo in the format does not use up one of the limited sign-in attempts.
    """

    status_code = 401

    def __init__(self, message: str, *, reason: str, counts: bool = True):
        super().__init__(message, field="code")
        self.reason = reason
        self.counts = counts


def get_totp(user: User) -> UserTotp | None:
    return db.session.get(UserTotp, user.id)


def is_enabled(user: User) -> bool:
    row = get_totp(user)
    return row is not None and row.enabled


def requiring_profiles(user: User) -> list[str]:
    """Return the names of ``user``'s security profiles that require a second factor."""
    return sorted(profile.name for profile in user.profiles if profile.require_totp)


def needs_enrolment(user: User) -> bool:
    """Tell whether a profile of ``user`` requires a second factor that they have not set up."""
    return bool(requiring_profiles(user)) and not is_enabled(user)


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def _check_password(user: User, password: str) -> None:
    key = current_app.extensions["trackerbox_keys"]["password"]
    if not passwords.verify_password(password or "", user.password_hash, key):
        raise UserError("current_password: the password is wrong; type your current sign-in password",
                        field="current_password")


def start_enrolment(user: User) -> None:
    """Make a new secret for ``user``, kept encrypted and unused until a code confirms it."""
    row = get_totp(user)
    if row is not None and row.enabled:
        raise ConflictError("two-factor sign-in is already on; turn it off first to move to another authenticator")
    if row is None:
        row = UserTotp(user_id=user.id)
        db.session.add(row)
    row.secret_encrypted = encrypt_secret(user.id, codes.new_secret())
    row.created_at = utcnow()
    row.last_step = None
    row.failed_attempts = 0
    db.session.flush()
    log.info("TOTP set-up started by user %s", user.id)


def pending_enrolment(user: User) -> Enrolment | None:
    """Return the secret waiting for confirmation, with its otpauth URI and QR code, or None."""
    row = get_totp(user)
    if row is None or row.enabled:
        return None
    secret = decrypt_secret(user.id, row.secret_encrypted)
    uri = codes.provisioning_uri(secret, user.login)
    qr_data_uri = segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")
    return Enrolment(secret=secret, uri=uri, qr_data_uri=qr_data_uri)


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Switch the second factor on once ``code`` matches the pending secret; return new recovery codes."""
    row = get_totp(user)
    if row is None or row.enabled:
        raise ConflictError("no two-factor set-up is in progress; press Set up to start one")
    normalized = codes.normalize(code)
    if not codes.is_totp_code(normalized):
        raise UserError("code: enter the 6 digits your authenticator app shows", field="code")
    step = codes.match_totp(decrypt_secret(user.id, row.secret_encrypted), normalized).newest_after(None)
    if step is None:
        raise UserError("code: the code does not match; check that the phone sets its clock automatically, "
                        "then type the code the app shows now", field="code")
    row.confirmed_at = utcnow()
    row.last_step = step
    row.failed_attempts = 0
    recovery = _replace_recovery_codes(user)
    record("auth.totp_enabled", user, actor=user, details={"recovery_codes": len(recovery)})
    _end_other_sessions(user, "second factor turned on")
    log.info("TOTP second factor switched on by user %s", user.id)
    return recovery


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    fresh = codes.new_recovery_codes()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_recovery_code(codes.normalize(code)))
                       for code in fresh)
    db.session.flush()
    return fresh


def check_code(user: User, code: str) -> Accepted:
    """Accept a current TOTP code or an unused recovery code of ``user``, or raise CodeRejected.

    An accepted TOTP code's time step is claimed with a conditional UPDATE, and a recovery
    code is marked used the same way, so two requests racing with one code cannot both pass.
    """
    row = get_totp(user)
    if row is None or not row.enabled:
        raise ConflictError(f"user {user.login!r} has no second factor switched on")
    normalized = codes.normalize(code)
    if codes.is_totp_code(normalized):
        return _accept_totp(user, row, normalized)
    if codes.is_recovery_code(normalized):
        return _accept_recovery_code(user, normalized)
    raise CodeRejected(f"code: {codes.FORMAT_HINT}", reason="malformed code", counts=False)


def _accept_totp(user: User, row: UserTotp, normalized: str) -> Accepted:
    match = codes.match_totp(decrypt_secret(user.id, row.secret_encrypted), normalized)
    step = match.newest_after(row.last_step)
    if step is not None:
        claimed = db.session.execute(
            update(UserTotp)
            .where(UserTotp.user_id == user.id, or_(UserTotp.last_step.is_(None), UserTotp.last_step < step))
            .values(last_step=step, failed_attempts=0)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(row)
        if claimed.rowcount == 1:
            return Accepted("totp")
    if match.steps:
        raise CodeRejected("code: this code was used already; wait for the next code in your app",
                           reason="replayed code")
    raise CodeRejected("code: the code is wrong or expired; type the code your app shows now",
                       reason="wrong code")


def _accept_recovery_code(user: User, normalized: str) -> Accepted:
    digest = hash_recovery_code(normalized)
    claimed = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        used = db.session.scalar(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                               RecoveryCode.code_hash == digest))
        if used is not None:
            raise CodeRejected("code: this recovery code was used already; each one works once",
                               reason="used recovery code")
        raise CodeRejected("code: the recovery code is wrong; check it against your printed list",
                           reason="wrong recovery code")
    get_totp(user).failed_attempts = 0
    db.session.flush()
    left = recovery_codes_left(user)
    record("auth.recovery_code_used", user, actor=user, details={"recovery_codes_left": left})
    log.info("recovery code used by user %s, %s left", user.id, left)
    return Accepted("recovery_code", left)


def record_failure(user: User, reason: str, *, during: str) -> int:
    """Count and audit one rejected code; return the number of rejected codes in a row."""
    db.session.execute(update(UserTotp).where(UserTotp.user_id == user.id)
                       .values(failed_attempts=UserTotp.failed_attempts + 1)
                       .execution_options(synchronize_session=False))
    row = get_totp(user)
    db.session.refresh(row)
    failures = row.failed_attempts
    record("auth.totp_failed", user, actor=user, outcome="failure",
           details={"reason": reason, "during": during, "failures_in_a_row": failures})
    log.warning("second-factor code rejected for user %s during %s: %s", user.id, during, reason)
    return failures


def disable(user: User, password: str, code: str) -> None:
    """Switch off ``user``'s own second factor after checking their password and a code."""
    _check_password(user, password)
    if not is_enabled(user):
        raise ConflictError("two-factor sign-in is not on for your account")
    try:
        check_code(user, code)
    except CodeRejected as exc:
        if exc.counts:
            record_failure(user, exc.reason, during="turn-off")
        raise
    _remove(user)
    record("auth.totp_disabled", user, actor=user)
    _end_other_sessions(user, "second factor turned off")
    log.info("TOTP second factor switched off by user %s", user.id)


def regenerate_recovery_codes(user: User, password: str) -> list[str]:
    """Replace all of ``user``'s recovery codes after checking their password; return the new ones."""
    _check_password(user, password)
    if not is_enabled(user):
        raise ConflictError("two-factor sign-in is not on for your account; set it up first")
    fresh = _replace_recovery_codes(user)
    record("auth.recovery_codes_regenerated", user, actor=user, details={"recovery_codes": len(fresh)})
    return fresh


def _end_other_sessions(user: User, reason: str) -> None:
    """End ``user``'s sessions other than the one making the change, which signed in as before."""
    from app.security.sessions import current_session, end_user_sessions

    current = current_session()
    end_user_sessions(user, keep_session_id=current.record_id if current else None, reason=reason)


def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    row = get_totp(user)
    if row is not None:
        db.session.delete(row)
    db.session.flush()


def reset_second_factor(actor: User | None, user: User, reason: str | None) -> None:
    """Remove ``user``'s second factor for an administrator (or the server CLI when ``actor`` is None)."""
    reason = inputs.parse_text(reason, field="reason", max_length=RESET_REASON_MAX_LENGTH, required=True)
    if actor is not None and actor.id == user.id:
        raise UserError("you cannot reset your own second factor; turn it off on your Two-factor sign-in page, "
                        "or ask another administrator", field="reason")
    row = get_totp(user)
    if row is None:
        raise ConflictError(f"user {user.login!r} has no second factor to reset")
    state = "on" if row.enabled else "set-up not finished"
    _remove(user)
    record("user.totp_reset", user, actor=actor, details={"reason": reason, "state": state})
    from app.security.sessions import end_user_sessions

    end_user_sessions(user, reason="second factor reset by an administrator")
    log.info("second factor of user %s reset by user %s", user.id, actor.id if actor else "cli")


def get_profile(profile_id: int) -> SecurityProfile:
    profile = db.session.get(SecurityProfile, profile_id)
    if profile is None:
        raise NotFound()
    return profile


def set_profile_requirement(profile: SecurityProfile, required: bool) -> bool:
    """Require (or stop requiring) a second factor of the profile's members; return whether it changed."""
    before = snapshot(profile, ("require_totp",))
    profile.require_totp = required
    after = snapshot(profile, ("require_totp",))
    if before == after:
        return False
    record("profile.update", profile, before=before, after=after)
    log.info("security profile %s now %s a second factor", profile.id, "requires" if required else "does not require")
    return True
