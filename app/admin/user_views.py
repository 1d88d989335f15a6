"""User administration pages: list, create, edit, disable, enable, unlock and password reset.

A one-time password appears only in the response to the POST that made it. The database
keeps only its hash, and every signed-in response carries Cache-Control: no-store.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import company, db
from app.admin import services
from app.admin.blueprint import bp
from app.admin.forms import UserCreateForm, UserForm
from app.errors import UserError
from app.models import User
from app.pagination import paginate
from app.projects.forms import amount_input, show_errors
from app.inputs import clean_search
from app.security.permissions import Permission, requires


@bp.route("/admin/users/")
@requires(Permission.USERS_MANAGE)
def user_list():
    text = clean_search(request.args.get("q"))
    state = request.args.get("state", "all")
    if state not in services.USER_STATES:
        state = "all"
    raw_profile = request.args.get("profile", "")
    profile_id = int(raw_profile) if raw_profile.isdigit() and len(raw_profile) < 10 else None
    page = paginate(services.user_list_query(text=text, state=state, profile_id=profile_id))
    return render_template("admin/user_list.html", page=page, q=text, state=state, profile_id=profile_id,
                           profiles=services.all_profiles())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@requires(Permission.USERS_MANAGE)
def user_create():
    form = UserCreateForm()
    form.set_choices(services.all_profiles())
    if request.method == "GET":
        form.currency.data = company.get("default_currency")
    if form.validate_on_submit():
        try:
            user, one_time = services.create_user_account(current_user, form.data)
        except UserError as exc:
            show_errors(form, exc)
            form.set_choices(services.all_profiles())
            return render_template("admin/user_form.html", form=form, user=None), 400
        return render_template("admin/one_time_password.html", user=user, password=one_time, created=True)
    return render_template("admin/user_form.html", form=form, user=None)


def _fill_user_form(form: UserForm, user: User) -> None:
    form.name.data = user.name
    form.email.data = user.email
    form.timezone.data = user.timezone
    form.locale.data = user.locale
    form.currency.data = user.currency
    form.default_rate.data = amount_input(user.default_rate_minor, user.currency, current_user.locale)
    form.cost_rate.data = amount_input(user.cost_rate_minor, user.currency, current_user.locale)
    form.profiles.data = [str(profile.id) for profile in user.profiles]


@bp.route("/admin/users/<int(max=2147483647):user_id>/edit", methods=["GET", "POST"])
@requires(Permission.USERS_MANAGE)
def user_edit(user_id: int):
    user = services.get_user(user_id)
    form = UserForm()
    form.set_choices(services.all_profiles())
    if request.method == "GET":
        _fill_user_form(form, user)
    if form.validate_on_submit():
        try:
            services.update_user(current_user, user, form.data)
        except UserError as exc:
            show_errors(form, exc)
            form.set_choices(services.all_profiles())
            return render_template("admin/user_form.html", form=form, user=services.get_user(user_id)), 400
        flash(f"User {user.login} saved.", "success")
        return redirect(url_for("admin.user_list"))
    return render_template("admin/user_form.html", form=form, user=user)


def _refused(user_id: int, exc: UserError):
    """Roll back and show the edit page again with the reason the action was not carried out."""
    db.session.rollback()
    flash(exc.message, "error")
    user = services.get_user(user_id)
    form = UserForm(formdata=None)
    form.set_choices(services.all_profiles())
    _fill_user_form(form, user)
    return render_template("admin/user_form.html", form=form, user=user), exc.status_code


@bp.route("/admin/users/<int(max=2147483647):user_id>/disable", methods=["POST"])
@requires(Permission.USERS_MANAGE)
def user_disable(user_id: int):
    user = services.get_user(user_id)
    try:
        services.disable_user(current_user, user)
    except UserError as exc:
        return _refused(user_id, exc)
    flash(f"User {user.login} disabled; they can no longer sign in.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/admin/users/<int(max=2147483647):user_id>/enable", methods=["POST"])
@requires(Permission.USERS_MANAGE)
def user_enable(user_id: int):
    user = services.get_user(user_id)
    try:
        services.enable_user(user)
    except UserError as exc:
        return _refused(user_id, exc)
    flash(f"User {user.login} enabled.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/admin/users/<int(max=2147483647):user_id>/reset-password", methods=["POST"])
@requires(Permission.USERS_MANAGE)
def user_reset_password(user_id: int):
    user = services.get_user(user_id)
    try:
        one_time = services.reset_user_password(user)
    except UserError as exc:
        return _refused(user_id, exc)
    return render_template("admin/one_time_password.html", user=user, password=one_time, created=False)


@bp.route("/admin/users/<int(max=2147483647):user_id>/require-password-change", methods=["POST"])
@requires(Permission.USERS_MANAGE)
def user_require_password_change(user_id: int):
    user = services.get_user(user_id)
    try:
        services.require_password_change(user)
    except UserError as exc:
        return _refused(user_id, exc)
    flash(f"User {user.login} must choose a new password before they continue.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/admin/users/<int(max=2147483647):user_id>/unlock", methods=["POST"])
@requires(Permission.USERS_MANAGE)
def user_unlock(user_id: int):
    user = services.get_user(user_id)
    try:
        services.unlock_user(user, request.form.get("reason"))
    except UserError as exc:
        return _refused(user_id, exc)
    flash(f"User {user.login} is no longer suspended and may sign in again.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))
