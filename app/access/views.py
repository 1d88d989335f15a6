"""Pages for sessions (own and everyone's) and for the IP allow-lists (own, company, profiles)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, logout_user

from app.access import services
from app.access.forms import AllowListForm
from app.admin.blueprint import requires_any
from app.errors import UserError
from app.security import allow_lists, sessions
from app.security.client import client_address
from app.security.permissions import Permission, requires, signed_in

bp = Blueprint("access", __name__)


def _after_ending(row_id: int, redirect_endpoint: str):
    current = sessions.current_session()
    if current is not None and current.ended and current.record_id is None:
        logout_user()
        flash("You ended the session you were using; sign in again to continue.", "info")
        return redirect(url_for("auth.login"))
    flash("The session was ended.", "success")
    return redirect(url_for(redirect_endpoint))


@bp.route("/account/sessions")
@signed_in
def own_sessions():
    current = sessions.current_session()
    return render_template("access/own_sessions.html", rows=services.live_sessions(current_user),
                           current_id=current.record_id if current else None, browser_label=services.browser_label)


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@signed_in
def end_own_session(session_id: int):
    row = services.get_session_for(current_user, session_id)
    sessions.end_session_by_id(row.id, reason="ended by the user")
    return _after_ending(row.id, "access.own_sessions")


@bp.route("/admin/sessions")
@requires(Permission.SESSIONS_MANAGE)
def admin_sessions():
    current = sessions.current_session()
    return render_template("access/admin_sessions.html", rows=services.live_sessions(),
                           current_id=current.record_id if current else None, browser_label=services.browser_label)


@bp.route("/admin/sessions/<int:session_id>/end", methods=["POST"])
@requires(Permission.SESSIONS_MANAGE)
def admin_end_session(session_id: int):
    row = services.get_signed_in_session(session_id)
    sessions.end_session_by_id(row.id, reason="ended by an administrator")
    return _after_ending(row.id, "access.admin_sessions")


def _save_list(form: AllowListForm, scope: allow_lists.Scope) -> bool:
    """Save ``form`` into the list ``scope``; put an error on the form and return False when it is refused."""
    try:
        changed = allow_lists.replace_networks(scope, form.networks.data, actor=current_user._get_current_object(),
                                               address=client_address(), confirmed=form.confirm_lockout.data)
    except UserError as exc:
        form.networks.errors = [*form.networks.errors, exc.message]
        return False
    flash("The allowed address ranges were saved." if changed else "Nothing changed.", "success")
    return True


def _list_form(scope: allow_lists.Scope, prefix: str = "", *, submitted: bool = False) -> AllowListForm:
    """Return the form bound to the request when ``submitted``, else filled with the saved list."""
    if submitted:
        return AllowListForm(prefix=prefix)
    return AllowListForm(prefix=prefix, formdata=None, data={"networks": "\n".join(allow_lists.networks_of(scope))})


@bp.route("/account/allow-list", methods=["GET", "POST"])
@signed_in
def own_allow_list():
    scope = allow_lists.Scope(user_id=current_user.id)
    form = _list_form(scope, submitted=request.method == "POST")
    if form.validate_on_submit():
        if _save_list(form, scope):
            return redirect(url_for("access.own_allow_list"))
    status = 400 if form.is_submitted() else 200
    lists = allow_lists.lists_for(current_user)
    return render_template("access/own_allow_list.html", form=form, address=client_address(),
                           other_lists=[(s.describe(), n) for s, n in lists.items() if s != scope]), status


def _admin_page(company_form: AllowListForm | None = None, profile_forms: dict | None = None, status: int = 200):
    profiles = services.all_profiles()
    forms = {profile.id: _list_form(allow_lists.Scope(profile_id=profile.id), f"profile-{profile.id}")
             for profile in profiles}
    forms |= profile_forms or {}
    return render_template("access/admin_allow_lists.html", address=client_address(), profiles=profiles,
                           company_form=company_form or _list_form(allow_lists.COMPANY, "company"),
                           profile_forms=forms), status


@bp.route("/admin/allow-lists")
@signed_in
@requires_any(Permission.SETTINGS_MANAGE, Permission.PROFILES_MANAGE)
def admin_allow_lists():
    return _admin_page()


@bp.route("/admin/allow-lists/company", methods=["POST"])
@requires(Permission.SETTINGS_MANAGE)
def admin_company_allow_list():
    form = _list_form(allow_lists.COMPANY, "company", submitted=True)
    if form.validate_on_submit() and _save_list(form, allow_lists.COMPANY):
        return redirect(url_for("access.admin_allow_lists"))
    return _admin_page(company_form=form, status=400)


@bp.route("/admin/allow-lists/profiles/<int:profile_id>", methods=["POST"])
@requires(Permission.PROFILES_MANAGE)
def admin_profile_allow_list(profile_id: int):
    profile = services.get_profile(profile_id)
    scope = allow_lists.Scope(profile_id=profile.id)
    form = _list_form(scope, f"profile-{profile.id}", submitted=True)
    if form.validate_on_submit() and _save_list(form, scope):
        return redirect(url_for("access.admin_allow_lists"))
    return _admin_page(profile_forms={profile.id: form}, status=400)


@bp.app_template_global("own_allow_list")
def own_allow_list(user) -> list[str]:
    """Return the ranges a person set on their own allow-list, for their user page."""
    return allow_lists.networks_of(allow_lists.Scope(user_id=user.id))


@bp.route("/admin/users/<int(max=2147483647):user_id>/allow-list/clear", methods=["POST"])
@requires(Permission.USERS_MANAGE)
def admin_clear_user_allow_list(user_id: int):
    user = services.get_user(user_id)
    removed = allow_lists.clear_networks(allow_lists.Scope(user_id=user.id), reason="cleared by an administrator")
    if removed:
        flash(f"The own address ranges of {user.login} were removed; they can sign in from anywhere the company "
              "and profile lists allow.", "success")
    else:
        flash(f"{user.login} has no own address ranges.", "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))
