"""User administration: creating, changing, disabling people and resetting their passwords."""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from sqlalchemy import Select, func, or_, select
from werkzeug.exceptions import NotFound

from app import db
from app.admin.profile_services import administrator_kept
from app.audit.service import record, snapshot
from app.auth import services as accounts
from app.errors import ConflictError, UserError
from app.models import SecurityProfile, User, user_profiles
from app import inputs
from app.security.permissions import Permission

log = logging.getLogger(__name__)

USER_STATES = ("all", "active", "disabled", "suspended")


def user_list_query(*, text: str = "", state: str = "all", profile_id: int | None = None) -> Select:
    """Build the query of users ordered by name, filtered by part of login, name or e-mail, state and profile."""
    statement = select(User).order_by(func.lower(User.name), User.login)
    if text.strip():
        pattern = "%" + text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(User.login.ilike(pattern, escape="\\"), User.name.ilike(pattern, escape="\\"),
                                        User.email.ilike(pattern, escape="\\")))
    if state == "active":
        statement = statement.where(User.active.is_(True), User.suspended.is_(False))
    elif state == "disabled":
        statement = statement.where(User.active.is_(False))
    elif state == "suspended":
        statement = statement.where(User.suspended.is_(True))
    if profile_id is not None:
        members = select(user_profiles.c.user_id).where(user_profiles.c.profile_id == profile_id)
        statement = statement.where(User.id.in_(members))
    return statement


def all_profiles() -> list[SecurityProfile]:
    return list(db.session.scalars(select(SecurityProfile).order_by(SecurityProfile.name)))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def _find_profiles(profile_ids: Sequence[str]) -> list[SecurityProfile]:
    ids = [inputs.parse_id(value, field="profiles") for value in profile_ids]
    if not ids:
        raise UserError("profiles: no security profile chosen; choose at least one", field="profiles")
    profiles = list(db.session.scalars(select(SecurityProfile).where(SecurityProfile.id.in_(ids))))
    missing = sorted(set(ids) - {profile.id for profile in profiles})
    if missing:
        raise UserError(f"profiles: no security profile with id {', '.join(map(str, missing))}; "
                        "choose from the list", field="profiles")
    return sorted(profiles, key=lambda profile: profile.name)


def _parse_person(actor: User, values: Mapping, checks: inputs.FieldChecks, user: User | None) -> dict:
    """Parse the fields shared by the create and edit forms. Rates are parsed only when ``actor`` may see rates."""
    clean = {
        "name": checks.run("name", inputs.parse_text, values.get("name"), field="name", max_length=200,
                           required=True),
        "email": checks.run("email", inputs.parse_email, values.get("email"), field="email"),
        "timezone": checks.run("timezone", inputs.parse_timezone, values.get("timezone")),
        "locale": checks.run("locale", inputs.parse_locale, values.get("locale")),
        "currency": checks.run("currency", inputs.parse_currency, values.get("currency"), field="currency"),
        "profiles": checks.run("profiles", _find_profiles, values.get("profiles") or []),
    }
    if actor.can(Permission.RATES_VIEW.value) and clean["currency"]:
        for form_field, column in (("default_rate", "default_rate_minor"), ("cost_rate", "cost_rate_minor")):
            clean[column] = checks.run(form_field, inputs.parse_optional_money, values.get(form_field),
                                       clean["currency"], actor.locale, field=form_field)
    elif user is not None and clean["currency"] and clean["currency"] != user.currency and (
            user.default_rate_minor is not None or user.cost_rate_minor is not None):
        checks.add("currency", f"currency: {clean['currency']!r} would change the meaning of this person's "
                               "rates; ask someone who may see rates to change the currency")
    return clean


def create_user_account(actor: User, values: Mapping) -> tuple[User, str]:
    """Create a person from form text and return the user and the one-time password to show once."""
    checks = inputs.FieldChecks()
    login = checks.run("login", accounts.check_login, values.get("login"))
    if login and db.session.scalar(select(User.id).where(func.lower(User.login) == login)):
        checks.add("login", f"login: {login!r} is already taken; choose another")
    clean = _parse_person(actor, values, checks, None)
    checks.raise_if_any()
    user, one_time = accounts.create_user(
        login, clean["name"], profiles=[profile.name for profile in clean["profiles"]], email=clean["email"],
        timezone=clean["timezone"], locale=clean["locale"], currency=clean["currency"],
        default_rate_minor=clean.get("default_rate_minor"), cost_rate_minor=clean.get("cost_rate_minor"),
    )
    return user, one_time


def _audit_state(user: User) -> dict:
    return snapshot(user, accounts.USER_AUDIT_FIELDS) | {"profiles": sorted(p.name for p in user.profiles)}


def _keeps_user_admin(profiles: list[SecurityProfile]) -> bool:
    return any(Permission.USERS_MANAGE.value in profile.permission_names for profile in profiles)


def update_user(actor: User, user: User, values: Mapping) -> User:
    """Change a person's details and security profiles. The login stays as it is."""
    checks = inputs.FieldChecks()
    clean = _parse_person(actor, values, checks, user)
    if user.id == actor.id and clean["profiles"] and not _keeps_user_admin(clean["profiles"]):
        checks.add("profiles", "profiles: you cannot take away your own users.manage permission; "
                               "ask another administrator to do it")
    checks.raise_if_any()
    before = _audit_state(user)
    with administrator_kept(f"changing the profiles of user {user.login!r}"):
        for name, value in clean.items():
            setattr(user, name, value)
    after = _audit_state(user)
    if after != before:
        record("user.update", user, before=before, after=after)
        log.info("user %s changed by user %s", user.id, actor.id)
    return user


def disable_user(actor: User, user: User) -> None:
    """Disable a person's account so they can no longer sign in. Their data stays."""
    if user.id == actor.id:
        raise UserError("you cannot disable your own account; ask another administrator", field="active")
    if not user.active:
        raise ConflictError(f"user {user.login!r} is already disabled")
    if accounts.is_last_active_administrator(user):
        raise ConflictError(f"user {user.login!r} is the last active administrator with users.manage; give "
                            "another person that permission first")
    with administrator_kept(f"disabling user {user.login!r}"):
        _set_active(user, False, "user.disable")


def enable_user(user: User) -> None:
    if user.active:
        raise ConflictError(f"user {user.login!r} is already enabled")
    _set_active(user, True, "user.enable")


def _set_active(user: User, active: bool, action: str) -> None:
    before = snapshot(user, ("active",))
    user.active = active
    record(action, user, before=before, after=snapshot(user, ("active",)))
    log.info("user %s %s", user.id, "enabled" if active else "disabled")


def reset_user_password(user: User) -> str:
    """Give a person a new one-time password and return it to show once. A suspension stays."""
    if not user.active:
        raise ConflictError(f"user {user.login!r} is disabled; enable the account before resetting its password")
    return accounts.reset_password(user)


def require_password_change(user: User) -> None:
    """Make a person choose a new password before they continue; refused for disabled accounts."""
    if not user.active:
        raise ConflictError(f"user {user.login!r} is disabled; enable the account first")
    if user.must_change_password:
        raise ConflictError(f"user {user.login!r} must already choose a new password at the next sign-in")
    accounts.require_password_change(user)


def unlock_user(user: User, reason: str | None) -> None:
    """Lift a suspension after repeated failed sign-ins, with the administrator's reason; audited."""
    reason = inputs.parse_text(reason, field="reason", max_length=500, required=True)
    if not user.suspended:
        raise ConflictError(f"user {user.login!r} is not suspended")
    accounts.unlock(user, reason)


def profile_user_counts() -> dict[int, int]:
    """Count the users of each security profile in one query."""
    rows = db.session.execute(
        select(user_profiles.c.profile_id, func.count()).group_by(user_profiles.c.profile_id)
    )
    return {key: count for key, count in rows}
