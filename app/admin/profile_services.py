"""Security profile administration: create, clone, change and delete profiles and their members.

Every change is audited with before and after values and then checked against the
company-wide rule that at least one active user still has both users.manage and
profiles.manage. Without such a user nobody could repair accounts or profiles in the
web UI. A change that breaks the rule raises UserError, and the request rolls back.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from app import db, inputs
from app.audit.service import record
from app.errors import ConflictError, UserError
from app.models import ProfilePermission, SecurityProfile, User, user_profiles
from app.security.permissions import Permission

log = logging.getLogger(__name__)

KNOWN_PERMISSIONS = {permission.value for permission in Permission}
# The pair that lets someone repair accounts and profiles; see administrator_kept.
ADMIN_PERMISSIONS = (Permission.USERS_MANAGE.value, Permission.PROFILES_MANAGE.value)


def get_profile(profile_id: int) -> SecurityProfile:
    profile = db.session.get(SecurityProfile, profile_id)
    if profile is None:
        raise NotFound()
    return profile


def profile_members(profile: SecurityProfile) -> list[User]:
    return sorted(profile.users, key=lambda user: (user.name.lower(), user.login))


def profile_state(profile: SecurityProfile) -> dict:
    """Return the audited fields of ``profile``: name, description, built-in flag and sorted permissions."""
    return {
        "name": profile.name,
        "description": profile.description,
        "builtin": profile.builtin,
        "permissions": sorted(profile.permission_names),
    }


def administrator_count() -> int:
    """Count active, unsuspended users whose profiles grant both users.manage and profiles.manage."""
    session = db.session()
    session.flush()
    holders = []
    for permission in ADMIN_PERMISSIONS:
        holders.append(
            select(user_profiles.c.user_id)
            .join(ProfilePermission, ProfilePermission.profile_id == user_profiles.c.profile_id)
            .where(ProfilePermission.permission == permission)
        )
    statement = select(func.count()).select_from(User).where(
        User.active.is_(True), User.suspended.is_(False), User.id.in_(holders[0]), User.id.in_(holders[1])
    )
    return session.scalar(statement) or 0


@contextmanager
def administrator_kept(change: str) -> Iterator[None]:
    """Raise UserError when the block leaves no active user with users.manage and profiles.manage.

    The rule only stops a change that removes the last such user. A company that has
    none before the change (a database set up by hand, or a test) is not blocked.
    """
    before = administrator_count()
    yield
    if before > 0 and administrator_count() == 0:
        raise UserError(
            f"{change} would leave no active user with both users.manage and profiles.manage, so nobody could "
            "manage users and profiles any more; first give both permissions to another active user"
        )


def _parse_name(raw: str | None, profile: SecurityProfile | None) -> str:
    name = inputs.parse_text(raw, field="name", max_length=80, required=True)
    same_name = select(SecurityProfile.id).where(func.lower(SecurityProfile.name) == name.lower())
    if profile is not None:
        same_name = same_name.where(SecurityProfile.id != profile.id)
    if db.session.scalar(same_name) is not None:
        raise UserError(f"name: a security profile named {name!r} already exists; choose another name", field="name")
    return name


def _parse_permissions(raw: Sequence[str]) -> set[str]:
    chosen = {value.strip() for value in raw if value.strip()}
    unknown = sorted(chosen - KNOWN_PERMISSIONS)
    if unknown:
        raise UserError(f"permissions: {', '.join(unknown)} is not a known permission; choose from the list",
                        field="permissions")
    return chosen


def _parse_profile(values: Mapping, profile: SecurityProfile | None) -> dict:
    checks = inputs.FieldChecks()
    clean = {
        "name": checks.run("name", _parse_name, values.get("name"), profile),
        "description": checks.run("description", inputs.parse_text, values.get("description"),
                                  field="description", max_length=400),
        "permissions": checks.run("permissions", _parse_permissions, values.get("permissions") or []),
    }
    checks.raise_if_any()
    return clean


def _set_permissions(profile: SecurityProfile, names: set[str]) -> None:
    remaining = [grant for grant in profile.permissions if grant.permission in names]
    present = {grant.permission for grant in remaining}
    profile.permissions = remaining + [ProfilePermission(permission=name) for name in sorted(names - present)]


def create_profile(values: Mapping) -> SecurityProfile:
    """Create a profile from form values (name, description, permissions)."""
    clean = _parse_profile(values, None)
    profile = SecurityProfile(name=clean["name"], description=clean["description"] or "", builtin=False)
    _set_permissions(profile, clean["permissions"])
    db.session.add(profile)
    record("profile.create", profile, after=profile_state(profile))
    log.info("security profile %s created", profile.id)
    return profile


def clone_profile(source: SecurityProfile, name: str | None) -> SecurityProfile:
    """Create a new, not built-in profile with the permissions and description of ``source``."""
    values = {"name": name, "description": source.description, "permissions": sorted(source.permission_names)}
    profile = create_profile(values)
    log.info("security profile %s cloned from %s", profile.id, source.id)
    return profile


def update_profile(profile: SecurityProfile, values: Mapping) -> bool:
    """Change name, description and permissions; return whether anything changed."""
    clean = _parse_profile(values, profile)
    before = profile_state(profile)
    with administrator_kept(f"changing profile {before['name']!r}"):
        profile.name = clean["name"]
        profile.description = clean["description"] or ""
        _set_permissions(profile, clean["permissions"])
    after = profile_state(profile)
    if after == before:
        return False
    record("profile.update", profile, before=before, after=after)
    log.info("security profile %s changed", profile.id)
    return True


def delete_profile(profile: SecurityProfile) -> None:
    """Delete a profile that is not built in and has no members."""
    if profile.builtin:
        raise ConflictError(f"profile {profile.name!r} is built in and cannot be deleted; "
                            "change its permissions instead")
    if profile.users:
        raise ConflictError(
            f"profile {profile.name!r} still has {len(profile.users)} member(s); remove them from the profile "
            "(or give them another profile first) and then delete it"
        )
    before = profile_state(profile)
    record("profile.delete", profile, before=before)
    db.session.delete(profile)
    log.info("security profile %s deleted", profile.id)


def find_user(raw_login: str | None) -> User:
    login = (raw_login or "").strip().lower()
    if not login:
        raise UserError("login: no login given; type the login of the person to add", field="login")
    user = db.session.scalar(select(User).where(func.lower(User.login) == login))
    if user is None:
        raise UserError(f"login: no user with the login {login[:80]!r}; check the spelling in the user list",
                        field="login")
    return user


def _member_details(profile: SecurityProfile, user: User) -> dict:
    return {"profile": profile.name, "user_id": user.id, "login": user.login}


def add_member(profile: SecurityProfile, user: User) -> None:
    if profile in user.profiles:
        raise ConflictError(f"user {user.login!r} is already a member of profile {profile.name!r}")
    before = sorted(p.name for p in user.profiles)
    user.profiles.append(profile)
    record("profile.member_add", profile, details=_member_details(profile, user),
           before={"profiles": before}, after={"profiles": sorted(p.name for p in user.profiles)})
    log.info("user %s added to security profile %s", user.id, profile.id)


def remove_member(profile: SecurityProfile, user: User) -> None:
    """Take ``user`` out of ``profile``; a user keeps at least one profile."""
    if profile not in user.profiles:
        raise ConflictError(f"user {user.login!r} is not a member of profile {profile.name!r}")
    if len(user.profiles) == 1:
        raise UserError(f"profile {profile.name!r} is the only profile of user {user.login!r}; add them to "
                        "another profile first, or disable the account on the user page")
    before = sorted(p.name for p in user.profiles)
    with administrator_kept(f"removing {user.login!r} from profile {profile.name!r}"):
        user.profiles.remove(profile)
    record("profile.member_remove", profile, details=_member_details(profile, user),
           before={"profiles": before}, after={"profiles": sorted(p.name for p in user.profiles)})
    log.info("user %s removed from security profile %s", user.id, profile.id)
