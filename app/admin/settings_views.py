"""The company settings page."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for

from app import company
from app.admin import settings_services
from app.admin.blueprint import bp
from app.admin.forms import SettingsForm
from app.errors import UserError
from app.projects.forms import show_errors
from app.security.permissions import Permission, requires


def _examples(values: dict) -> dict[str, str]:
    """Return the next number for each saved pattern, shown under the pattern fields."""
    today = date.today()
    return {key: settings_services.next_number_example(key, values[key], today)
            for key in settings_services.PATTERN_SETTINGS}


@bp.route("/admin/settings", methods=["GET", "POST"])
@requires(Permission.SETTINGS_MANAGE)
def settings():
    saved = company.get_all()
    shown = saved | {"public_networks": "\n".join(saved["public_networks"])}
    form = SettingsForm(data=shown) if request.method == "GET" else SettingsForm()
    if form.validate_on_submit():
        try:
            changed = settings_services.update_company_settings(form.data)
        except UserError as exc:
            show_errors(form, exc)
            return render_template("admin/settings.html", form=form, examples=_examples(company.get_all())), 400
        flash(f"Saved {len(changed)} changed setting(s)." if changed else "Nothing changed.", "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form, examples=_examples(saved))
