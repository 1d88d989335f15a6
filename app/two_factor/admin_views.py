"""Administrator routes: reset a person's second factor, and require it per security profile."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from app import db
from app.admin.services import get_user
from app.errors import UserError
from app.security.permissions import Permission, requires
from app.two_factor import services
from app.two_factor.forms import RequirementForm, ResetForm
from app.two_factor.views import as_sentence, bp


@bp.route("/admin/users/<int(max=2147483647):user_id>/reset-two-factor", methods=["POST"])
@requires(Permission.USERS_MANAGE)
def admin_reset(user_id: int):
    user = get_user(user_id)
    form = ResetForm()
    try:
        services.reset_second_factor(current_user, user, form.reason.data)
    except UserError as exc:
        db.session.rollback()
        flash(as_sentence(exc.message), "error")
        return redirect(url_for("admin.user_edit", user_id=user_id))
    flash(f"Second factor of {user.login} reset; they sign in with their password"
          f"{' and must set up a new one at once' if services.requiring_profiles(user) else ' only'}.", "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.route("/admin/profiles/<int(max=2147483647):profile_id>/two-factor", methods=["POST"])
@requires(Permission.PROFILES_MANAGE)
def profile_requirement(profile_id: int):
    profile = services.get_profile(profile_id)
    form = RequirementForm()
    if services.set_profile_requirement(profile, bool(form.require_totp.data)):
        if profile.require_totp:
            flash(f"Members of {profile.name} must now sign in with a second factor; those without one set it up "
                  "at their next page view.", "success")
        else:
            flash(f"Members of {profile.name} no longer need a second factor.", "success")
    if request.form.get("back") == "edit":
        return redirect(url_for("admin.profile_edit", profile_id=profile.id))
    return redirect(url_for("admin.profile_list"))
