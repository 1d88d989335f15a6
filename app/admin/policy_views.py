"""The password and sign-in policy page."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.admin import policy_services
from app.admin.blueprint import bp, requires_any
from app.admin.forms import PasswordPolicyForm
from app.errors import UserError
from app.projects.forms import show_errors
from app.security.permissions import Permission, signed_in


@bp.route("/admin/password-policy", methods=["GET", "POST"])
@signed_in
@requires_any(Permission.SETTINGS_MANAGE, Permission.USERS_MANAGE)
def password_policy():
    if request.method == "GET":
        form = PasswordPolicyForm(data=policy_services.form_values())
    else:
        form = PasswordPolicyForm()
    if form.validate_on_submit():
        try:
            changed = policy_services.update_password_policy(form.data)
        except UserError as exc:
            show_errors(form, exc)
            return render_template("admin/password_policy.html", form=form), 400
        flash(f"Saved {len(changed)} changed setting(s)." if changed else "Nothing changed.", "success")
        return redirect(url_for("admin.password_policy"))
    return render_template("admin/password_policy.html", form=form)
