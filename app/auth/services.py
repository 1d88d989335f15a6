"""Accounts: creating people, changing and resetting passwords, the last-administrator check."""
from __future__ import annotations

import logging
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import func, select

from app import db
from app.audit.service import record, snapshot
from app.errors import UserError
from app.inputs import parse_email
from app.models import ProfilePermission, SecurityProfile, User, user_profiles, utcnow
from app.money import check_currency
from app.security import passwords, throttle
from app.security.client import client_address
from app.security.password_policy import PasswordPolicy, check_password, password_used_before, remember_password
from app.security.permissions import Permission

log = logging.getLogger(__name__)

LOGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{1,79}")
USER_AUDIT_FIELDS = ("login", "name", "email", "active", "suspended", "timezone", "locale",
                     "default_rate_minor", "cost_rate_minor", "currency")


def _password_key() -> bytes:
    return current_app.extensions["trackerbox_keys"]["password"]


def _rounds() -> int:
    return current_app.config["TRACKERBOX"].bcrypt_rounds


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"time zone {name!r} is unknown; use an IANA name such as Europe/Berlin or America/New_York",
                        field="timezone") from None
    return name


def check_login(login: str) -> str:
    normalized = (login or "").strip().lower()
    if not LOGIN_PATTERN.fullmatch(normalized):
        raise UserError(
            f"login {login!r} is not valid; use 2 to 80 lower-case letters, digits, dots, dashes, @ or underscores",
            field="login",
        )
    return normalized


def check_new_password(user: User, password: str) -> None:
    """Raise UserError unless ``password`` meets the password policy and is not one of the user's recent ones."""
    policy = PasswordPolicy.load()
    check_password(policy, password, login=user.login, name=user.name or "")
    if password_used_before(user, password, policy.history_count, _verify):
        raise UserError(f"the new password is one of your last {policy.history_count} passwords; choose a new one",
                        field="new_password")


def _verify(password: str, stored_hash: str) -> bool:
    return passwords.verify_password(password, stored_hash, _password_key())


def find_profiles(names: list[str]) -> list[SecurityProfile]:
    profiles = list(db.session.scalars(select(SecurityProfile).where(SecurityProfile.name.in_(names))))
    missing = sorted(set(names) - {p.name for p in profiles})
    if missing:
        known = ", ".join(db.session.scalars(select(SecurityProfile.name).order_by(SecurityProfile.name)))
        raise UserError(f"security profile(s) {', '.join(missing)} not found; known profiles: {known}", field="profiles")
    return profiles


def create_user(login: str, name: str, *, profiles: list[str], email: str = "", timezone: str = "UTC",
                locale: str = "en", currency: str = "EUR", default_rate_minor: int | None = None,
                cost_rate_minor: int | None = None) -> tuple[User, str]:
    """Create a person with a one-time password; return the user and that password (shown once)."""
    login = check_login(login)
    if not (name or "").strip():
        raise UserError("name is required", field="name")
    if db.session.scalar(select(User.id).where(func.lower(User.login) == login)):
        raise UserError(f"login {login!r} is already taken; choose another", field="login")
    one_time = passwords.generate_one_time_password()
    user = User(
        login=login, name=name.strip(), email=parse_email(email, field="email"), timezone=check_timezone(timezone),
        locale=locale, currency=check_currency(currency), default_rate_minor=default_rate_minor,
        cost_rate_minor=cost_rate_minor, must_change_password=True,
        password_hash=passwords.hash_password(one_time, _password_key(), _rounds()),
        profiles=find_profiles(profiles),
    )
    db.session.add(user)
    record("user.create", user, after=snapshot(user, USER_AUDIT_FIELDS) | {"profiles": profiles})
    log.info("user %s created with login %s", user.id, login)
    return user, one_time


def record_sign_in(user: User, second_factor: str) -> None:
    """Set the last sign-in time and audit a finished sign-in (``second_factor``: "none", "totp" or "recovery_code")."""
    user.last_login_at = utcnow()
    record("auth.login", user, actor=user, details={"second_factor": second_factor})


def update_preferences(user: User, timezone: str, locale: str) -> None:
    """Change a person's own time zone and number format, audited with before and after."""
    from app.inputs import parse_locale, parse_timezone

    timezone, locale = parse_timezone(timezone), parse_locale(locale)
    before = snapshot(user, ("timezone", "locale"))
    user.timezone, user.locale = timezone, locale
    after = snapshot(user, ("timezone", "locale"))
    if after != before:
        record("user.preferences", user, actor=user, before=before, after=after)


def change_password(user: User, current: str, new: str) -> None:
    """Replace the person's own password after checking the current one and the policy; audited.

    A wrong current password counts as a failed sign-in of the login, so the same delays
    stop someone at an unattended session from guessing it. The caller must commit that
    count although it raises UserError.
    """
    _check_current_password(user, current)
    if passwords.normalize(current) == passwords.normalize(new):
        raise UserError("the new password must differ from the current one", field="new_password")
    check_new_password(user, new)
    now = utcnow()
    user.password_hash = passwords.hash_password(new, _password_key(), _rounds())
    remember_password(user, user.password_hash, PasswordPolicy.load().history_count, now)
    before = snapshot(user, ("must_change_password",))
    user.must_change_password = False
    user.password_changed_at = now
    throttle.clear_login(user.login)
    record("user.password_change", user, actor=user, before=before, after=snapshot(user, ("must_change_password",)))
    log.info("user %s changed their password", user.id)


def _check_current_password(user: User, current: str) -> None:
    digest, address, now = throttle.login_key(user.login), client_address(), utcnow()
    refusal = throttle.check(digest, address, now)
    if refusal is not None:
        raise UserError(f"too many wrong passwords: wait {refusal.retry_after} second(s), then try again; the "
                        "current password was not checked", field="current_password")
    if not _verify(current, user.password_hash):
        throttle.count_failure(digest, address, now)
        record("user.password_change", user, actor=user, outcome="failure",
               details={"reason": "wrong current password"})
        raise UserError("the current password is wrong", field="current_password")


def reset_password(user: User) -> str:
    """Give ``user`` a new one-time password (returned, shown once) and force a change.

    The failure counters start again from zero, because guesses against the old password
    no longer matter. A suspension stays: only an unlock by an administrator lifts it.
    """
    one_time = passwords.generate_one_time_password()
    user.password_hash = passwords.hash_password(one_time, _password_key(), _rounds())
    user.must_change_password = True
    user.failed_logins = 0
    throttle.clear_login(user.login)
    record("user.password_reset", user, details={"suspended": user.suspended})
    log.info("user %s got a new one-time password", user.id)
    return one_time


def require_password_change(user: User) -> None:
    """Make ``user`` choose a new password at the next request or sign-in; audited."""
    before = snapshot(user, ("must_change_password",))
    user.must_change_password = True
    record("user.require_password_change", user, before=before, after=snapshot(user, ("must_change_password",)))


def unlock(user: User, reason: str) -> None:
    """Lift a suspension and clear the failure counters; audited with ``reason``.

    Used by the web page and by ``trackerbox user unlock``, which checks no permission.
    """
    before = snapshot(user, ("suspended", "failed_logins"))
    user.suspended = False
    user.failed_logins = 0
    throttle.clear_login(user.login)
    record("user.unlock", user, before=before, after=snapshot(user, ("suspended", "failed_logins")),
           details={"reason": reason})
    log.info("user %s unlocked", user.id)


def other_active_administrators(user: User) -> int:
    """Count active, unsuspended users other than ``user`` who have users.manage."""
    holders = (
        select(user_profiles.c.user_id)
        .join(ProfilePermission, ProfilePermission.profile_id == user_profiles.c.profile_id)
        .where(ProfilePermission.permission == Permission.USERS_MANAGE.value)
    )
    return db.session.scalar(
        select(func.count()).select_from(User)
        .where(User.id.in_(holders), User.id != user.id, User.active.is_(True), User.suspended.is_(False))
    ) or 0


def is_last_active_administrator(user: User) -> bool:
    """Return True when ``user`` has users.manage and no other active, unsuspended user has it."""
    return user.can(Permission.USERS_MANAGE.value) and other_active_administrators(user) == 0
