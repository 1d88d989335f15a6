"""Sign-in, sign-out and the person's own password change."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from app.audit.service import record
from app.auth import services
from app.auth.forms import ChangePasswordForm, LoginForm, PreferencesForm
from app.auth.signin import complete_sign_in
from app.errors import UserError
from app.security.permissions import public, signed_in
from app.two_factor import signin as two_factor_signin

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Accept only a local path as the place to go after sign-in."""
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("dashboard.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is None:
            # The failed attempt and its audit record are kept although the response is 401.
            g.commit_despite_error = True
            flash("Sign-in failed: the login or password is wrong, or the account is not active.", "error")
            return render_template("auth/login.html", form=form), 401
        target = _safe_next(request.args.get("next"))
        if two_factor_signin.needs_second_step(user):
            two_factor_signin.begin(user, target)
            return redirect(url_for("two_factor.verify"))
        complete_sign_in(user)
        return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    record("auth.logout", current_user._get_current_object())
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/preferences", methods=["GET", "POST"])
@signed_in
def preferences():
    form = PreferencesForm(obj=current_user)
    form.set_choices()
    if form.validate_on_submit():
        try:
            services.update_preferences(current_user, form.timezone.data, form.locale.data)
        except UserError as exc:
            getattr(form, exc.field or "timezone").errors.append(exc.message)
            return render_template("auth/preferences.html", form=form), 400
        flash("Your preferences were saved.", "success")
        return redirect(url_for("auth.preferences"))
    return render_template("auth/preferences.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if form.new_password.data != form.confirm_password.data:
            form.confirm_password.errors.append("The two new passwords differ.")
        else:
            try:
                services.change_password(current_user, form.current_password.data, form.new_password.data)
            except UserError as exc:
                getattr(form, exc.field or "new_password").errors.append(exc.message)
            else:
                flash("Your password was changed.", "success")
                return redirect(url_for("dashboard.index"))
        return render_template("auth/change_password.html", form=form), 400
    return render_template("auth/change_password.html", form=form)
