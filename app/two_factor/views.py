"""Two-factor pages: a person's own set-up and turn-off, and the code step of signing in.

Importing this module also registers the administrator's reset and profile routes.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_login import current_user

from app.auth.signin import complete_sign_in
from app.errors import UserError
from app.security.permissions import public, signed_in
from app.two_factor import services, signin
from app.two_factor.forms import CodeForm, ConfirmForm, DisableForm, RegenerateForm

bp = Blueprint("two_factor", __name__)


def as_sentence(message: str) -> str:
    """Turn a service message such as "code: the code is wrong" into a flash sentence."""
    text = message.removeprefix("code: ").removeprefix("current_password: ")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


@bp.app_template_global("totp_enabled")
def totp_enabled(user) -> bool:
    return services.is_enabled(user)


def _setup_page(status: int = 200, *, confirm_form=None, disable_form=None, regenerate_form=None):
    user = current_user._get_current_object()
    return render_template(
        "two_factor/setup.html",
        enabled=services.is_enabled(user),
        enrolment=services.pending_enrolment(user),
        required_by=services.requiring_profiles(user),
        codes_left=services.recovery_codes_left(user),
        confirm_form=confirm_form or ConfirmForm(formdata=None),
        disable_form=disable_form or DisableForm(formdata=None),
        regenerate_form=regenerate_form or RegenerateForm(formdata=None),
    ), status


@bp.route("/account/two-factor")
@signed_in
def setup():
    return _setup_page()


@bp.route("/account/two-factor/start", methods=["POST"])
@signed_in
def start():
    try:
        services.start_enrolment(current_user)
    except UserError as exc:
        flash(as_sentence(exc.message), "error")
    return redirect(url_for("two_factor.setup"))


@bp.route("/account/two-factor/confirm", methods=["POST"])
@signed_in
def confirm():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _setup_page(400, confirm_form=form)
    try:
        recovery = services.confirm_enrolment(current_user, form.code.data)
    except UserError as exc:
        form.code.errors.append(exc.message)
        return _setup_page(exc.status_code, confirm_form=form)
    flash("Two-factor sign-in is on. From now on you enter a code from your app after your password.", "success")
    return render_template("two_factor/recovery_codes.html", codes=recovery)


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@signed_in
def regenerate():
    form = RegenerateForm()
    if not form.validate_on_submit():
        return _setup_page(400, regenerate_form=form)
    try:
        recovery = services.regenerate_recovery_codes(current_user, form.current_password.data)
    except UserError as exc:
        form.current_password.errors.append(exc.message)
        return _setup_page(exc.status_code, regenerate_form=form)
    flash("New recovery codes made; the earlier ones no longer work.", "success")
    return render_template("two_factor/recovery_codes.html", codes=recovery)


@bp.route("/account/two-factor/disable", methods=["POST"])
@signed_in
def disable():
    form = DisableForm()
    if not form.validate_on_submit():
        return _setup_page(400, disable_form=form)
    try:
        services.disable(current_user, form.current_password.data, form.code.data)
    except services.CodeRejected as exc:
        # The rejected code is counted and audited although the response is an error.
        g.commit_despite_error = exc.counts
        form.code.errors.append(exc.message)
        return _setup_page(400, disable_form=form)
    except UserError as exc:
        getattr(form, exc.field or "code", form.code).errors.append(exc.message)
        return _setup_page(exc.status_code, disable_form=form)
    if services.requiring_profiles(current_user):
        flash("Two-factor sign-in is off. Your security profile requires it, so set it up again now.", "info")
    else:
        flash("Two-factor sign-in is off; you sign in with your password only.", "success")
    return redirect(url_for("two_factor.setup"))


@bp.route("/login/verify", methods=["GET", "POST"])
@public
def verify():
    try:
        pending = signin.load()
    except signin.SignInRestart as exc:
        flash(as_sentence(exc.message), "error")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            accepted = signin.verify(pending, form.code.data)
        except signin.SignInRestart as exc:
            flash(as_sentence(exc.message), "error")
            return redirect(url_for("auth.login"))
        except services.CodeRejected as exc:
            g.commit_despite_error = True
            form.code.errors.append(exc.message)
            return render_template("two_factor/verify.html", form=form), 401
        complete_sign_in(pending.user, accepted.method, public=pending.public)
        if accepted.method == "recovery_code":
            _flash_recovery_codes_left(accepted.recovery_codes_left or 0)
        return redirect(pending.next_url)
    return render_template("two_factor/verify.html", form=form)


def _flash_recovery_codes_left(left: int) -> None:
    if left == 0:
        flash("You used your last recovery code. Make new ones now under Two-factor sign-in.", "error")
    elif left <= 3:
        flash(f"You signed in with a recovery code; {left} remain. Make new ones soon under Two-factor sign-in.",
              "info")
    else:
        flash(f"You signed in with a recovery code; {left} remain.", "info")


from app.two_factor import admin_views  # noqa: E402,F401  (registers the administrator routes on bp)
