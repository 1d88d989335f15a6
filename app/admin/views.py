"""Administration overview and the list of security profiles.

Importing this module also registers the profile, user and company settings routes.
"""
from __future__ import annotations

from flask import render_template

from app.admin import services
from app.admin.blueprint import bp, requires_any
from app.security.permissions import DESCRIPTIONS, Permission, has, signed_in

__all__ = ["bp"]


@bp.route("/admin/")
@signed_in
@requires_any(Permission.USERS_MANAGE, Permission.SETTINGS_MANAGE, Permission.PROFILES_MANAGE,
              Permission.BACKUP_MANAGE, Permission.SESSIONS_MANAGE)
def index():
    from app.admin.server_status import server_rows

    server = server_rows() if has(Permission.SETTINGS_MANAGE) else None
    return render_template("admin/index.html", server=server)


@bp.route("/admin/profiles/")
@signed_in
@requires_any(Permission.USERS_MANAGE, Permission.PROFILES_MANAGE)
def profile_list():
    profiles = services.all_profiles()
    return render_template("admin/profiles.html", profiles=profiles, counts=services.profile_user_counts(),
                           catalogue=[(permission, DESCRIPTIONS[permission]) for permission in Permission])


from app.admin import policy_views, profile_views, settings_views, user_views  # noqa: E402,F401  (register their routes on bp)
