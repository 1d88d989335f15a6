"""Accounts: creating people, signing in and changing passwords."""
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
from app.models import SecurityProfile, User, utcnow
from app.money import check_currency
from app.security import passwords

log = logging.getLogger(__name__)

LOGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{1,79}")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the new password has {len(password)} characters; use at least {MIN_PASSWORD_LENGTH}",
                        field="new_password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"the new password is longer than {MAX_PASSWORD_LENGTH} characters", field="new_password")
    lowered = password.lower()
    if user.login in lowered or (user.name and user.name.lower() in lowered):
        raise UserError("the new password contains your login or name; choose another", field="new_password")


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


def authenticate(login: str, password: str) -> User | None:
    """Return the user when login and password match an active account, else None.

    This is only the password step. ``record_sign_in`` audits the sign-in once every
    factor has passed.

    An unknown login is checked against a dummy hash so both cases take the same time.
    """
    normalized = (login or "").strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.login) == normalized))
    if user is None:
        passwords.verify_password(password, passwords.dummy_hash(_password_key(), _rounds()), _password_key())
        record("auth.login_failed", object_type="user", login=normalized[:80], outcome="failure",
               details={"reason": "unknown login"})
        return None
    if not passwords.verify_password(password, user.password_hash, _password_key()) or not user.is_active:
        user.failed_logins += 1
        reason = "wrong password" if user.is_active else "account disabled"
        record("auth.login_failed", user, actor=user, outcome="failure", details={"reason": reason})
        return None
    user.failed_logins = 0
    return user


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
    if not passwords.verify_password(current, user.password_hash, _password_key()):
        raise UserError("the current password is wrong", field="current_password")
    if current == new:
        raise UserError("the new password must differ from the current one", field="new_password")
    check_new_password(user, new)
    user.password_hash = passwords.hash_password(new, _password_key(), _rounds())
    user.must_change_password = False
    user.password_changed_at = utcnow()
    record("user.password_change", user, actor=user)


def reset_password(user: User) -> str:
    """Give ``user`` a new one-time password (returned, shown once) and force a change."""
    one_time = passwords.generate_one_time_password()
    user.password_hash = passwords.hash_password(one_time, _password_key(), _rounds())
    user.must_change_password = True
    user.suspended = False
    user.failed_logins = 0
    record("user.password_reset", user)
    return one_time
