"""Sign-in, sign-out and the person's own password change."""
from __future__ import annotations

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user, logout_user

from app.access.guard import in_public_network, refuse_sign_in
from app.audit.service import record
from app.auth import services, signin
from app.auth.forms import ChangePasswordForm, LoginForm, PreferencesForm
from app.auth.signin import complete_sign_in
from app.errors import UserError
from app.security import sessions
from app.security.client import client_address
from app.security.password_policy import PasswordPolicy
from app.security.permissions import public, signed_in
from app.two_factor import signin as two_factor_signin

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Accept only a local path as the place to go after sign-in.

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash. So a
    slash, a tab and a host name would lead off site, and any such character is rejected.
    """
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    unsafe_character = any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or unsafe_character:
        return url_for("dashboard.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    public_network = in_public_network(client_address())
    public_mode = public_network or request.args.get("public") == "1" or bool(form.public.data)
    page = {"form": form, "public_mode": public_mode, "public_network": public_network}
    if form.validate_on_submit():
        attempt = signin.attempt_sign_in(form.login.data, form.password.data)
        if attempt.user is None:
            # The counted failure and its audit record are kept although the response is an error.
            g.commit_despite_error = True
            flash(attempt.failure_message(), "error")
            return render_template("auth/login.html", **page), 429 if attempt.refusal else 401
        user = attempt.user
        refused = refuse_sign_in(user, client_address())
        if refused:
            return refused
        target = _safe_next(request.args.get("next"))
        if two_factor_signin.needs_second_step(user):
            two_factor_signin.begin(user, target, public=public_mode)
            destination = url_for("two_factor.verify")
        else:
            complete_sign_in(user, public=public_mode)
            destination = target
        if attempt.expires_in_days is not None:
            expires = attempt.expires_at.astimezone(ZoneInfo(user.timezone))
            flash(f"Your password expires in {attempt.expires_in_days} day(s), on {expires:%Y-%m-%d %H:%M} "
                  f"({user.timezone}). Choose a new one under Password in the menu.", "warning")
        return redirect(destination)
    return render_template("auth/login.html", **page)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    current = sessions.current_session()
    public_session = bool(current and current.public)
    record("auth.logout", current_user._get_current_object())
    sessions.end_current_session(sessions.REASON_SIGN_OUT)
    logout_user()
    if not public_session:
        flash("You are signed out.", "info")
        return redirect(url_for("auth.login"))
    # A public terminal: tell the browser to drop this site's cache, cookies and storage, and
    # show a page (not a redirect) whose script clears what remains and closes a sign-in window.
    response = make_response(render_template("auth/signed_out.html"))
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    response.headers["Cache-Control"] = "no-store"
    return response


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
    policy = PasswordPolicy.load()
    if form.validate_on_submit():
        if form.new_password.data != form.confirm_password.data:
            form.confirm_password.errors.append("The two new passwords differ.")
        else:
            try:
                services.change_password(current_user, form.current_password.data, form.new_password.data)
            except UserError as exc:
                # A wrong current password is counted against the login; keep that count.
                g.commit_despite_error = exc.field == "current_password"
                getattr(form, exc.field or "new_password").errors.append(exc.message)
            else:
                flash("Your password was changed.", "success")
                return redirect(url_for("dashboard.index"))
        return render_template("auth/change_password.html", form=form, policy=policy), 400
    return render_template("auth/change_password.html", form=form, policy=policy)
