"""Security profile pages: create, clone, edit and delete profiles, add and remove members.

Permissions are read from the database on every request, so a change applies to each
member's next request without signing them out.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app import db
from app.admin import profile_services as services
from app.admin.blueprint import bp
from app.admin.forms import ProfileForm
from app.errors import UserError
from app.models import SecurityProfile
from app.projects.forms import show_errors
from app.security.permissions import DESCRIPTIONS, Permission, requires


def _catalogue() -> list[tuple[Permission, str]]:
    return [(permission, DESCRIPTIONS[permission]) for permission in Permission]


def _profile_form(profile: SecurityProfile | None = None, *, from_request: bool = True) -> ProfileForm:
    """Build the profile form from the posted values, or filled with ``profile``'s saved values."""
    form = ProfileForm() if from_request else ProfileForm(formdata=None)
    form.set_choices(_catalogue())
    if profile is not None and not from_request:
        form.name.data = profile.name
        form.description.data = profile.description
        form.permissions.data = sorted(profile.permission_names)
    return form


def _render_edit(form: ProfileForm, profile: SecurityProfile | None, status: int = 200):
    members = services.profile_members(profile) if profile is not None else []
    return render_template("admin/profile_form.html", form=form, profile=profile, members=members), status


def _refused(profile_id: int, exc: UserError):
    """Roll back the failed change and show the saved profile with the message."""
    db.session.rollback()
    flash(exc.message[:1].upper() + exc.message[1:], "error")
    profile = services.get_profile(profile_id)
    return _render_edit(_profile_form(profile, from_request=False), profile, exc.status_code)


@bp.route("/admin/profiles/new", methods=["GET", "POST"])
@requires(Permission.PROFILES_MANAGE)
def profile_create():
    form = _profile_form()
    if form.validate_on_submit():
        try:
            profile = services.create_profile(form.data)
        except UserError as exc:
            show_errors(form, exc)
            return _render_edit(form, None, exc.status_code)
        flash(f"Security profile {profile.name} created.", "success")
        return redirect(url_for("admin.profile_edit", profile_id=profile.id))
    return _render_edit(form, None)


@bp.route("/admin/profiles/<int:profile_id>", methods=["GET", "POST"])
@requires(Permission.PROFILES_MANAGE)
def profile_edit(profile_id: int):
    profile = services.get_profile(profile_id)
    form = _profile_form(profile, from_request=request.method == "POST")
    if form.validate_on_submit():
        try:
            changed = services.update_profile(profile, form.data)
        except UserError as exc:
            show_errors(form, exc)
            return _render_edit(form, services.get_profile(profile_id), exc.status_code)
        flash(f"Security profile {profile.name} saved." if changed else "Nothing changed.", "success")
        return redirect(url_for("admin.profile_edit", profile_id=profile.id))
    return _render_edit(form, profile)


@bp.route("/admin/profiles/<int:profile_id>/clone", methods=["POST"])
@requires(Permission.PROFILES_MANAGE)
def profile_clone(profile_id: int):
    source = services.get_profile(profile_id)
    try:
        profile = services.clone_profile(source, request.form.get("name"))
    except UserError as exc:
        return _refused(profile_id, exc)
    flash(f"Security profile {profile.name} created as a copy of {source.name}.", "success")
    return redirect(url_for("admin.profile_edit", profile_id=profile.id))


@bp.route("/admin/profiles/<int:profile_id>/delete", methods=["POST"])
@requires(Permission.PROFILES_MANAGE)
def profile_delete(profile_id: int):
    profile = services.get_profile(profile_id)
    name = profile.name
    try:
        services.delete_profile(profile)
    except UserError as exc:
        return _refused(profile_id, exc)
    flash(f"Security profile {name} deleted.", "success")
    return redirect(url_for("admin.profile_list"))


@bp.route("/admin/profiles/<int:profile_id>/members", methods=["POST"])
@requires(Permission.PROFILES_MANAGE)
def profile_member_add(profile_id: int):
    profile = services.get_profile(profile_id)
    try:
        user = services.find_user(request.form.get("login"))
        services.add_member(profile, user)
    except UserError as exc:
        return _refused(profile_id, exc)
    flash(f"{user.login} added to {profile.name}.", "success")
    return redirect(url_for("admin.profile_edit", profile_id=profile.id))


@bp.route("/admin/profiles/<int:profile_id>/members/<int:user_id>/remove", methods=["POST"])
@requires(Permission.PROFILES_MANAGE)
def profile_member_remove(profile_id: int, user_id: int):
    from app.admin.services import get_user

    profile = services.get_profile(profile_id)
    user = get_user(user_id)
    try:
        services.remove_member(profile, user)
    except UserError as exc:
        return _refused(profile_id, exc)
    flash(f"{user.login} removed from {profile.name}.", "success")
    return redirect(url_for("admin.profile_edit", profile_id=profile.id))
