"""Views of the tax-rate catalogue, part of the invoices blueprint."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.errors import UserError
from app.invoices import taxes
from app.invoices.forms import TaxRateForm
from app.invoices.totals import percent_from_basis_points
from app.invoices.views import bp, reject
from app.security.permissions import Permission, requires


@bp.route("/invoices/tax-rates/", methods=["GET", "POST"])
@requires(Permission.SETTINGS_MANAGE)
def tax_rate_list():
    form = TaxRateForm()
    status = 200
    if form.validate_on_submit():
        try:
            tax_rate = taxes.create_tax_rate(form.name.data, form.rate.data, bool(form.active.data))
        except UserError as exc:
            status = reject(form, exc)
        else:
            flash(f"Tax rate {tax_rate.name} created.", "success")
            return redirect(url_for(".tax_rate_list"))
    elif form.is_submitted():
        status = 400
    return render_template("invoices/tax_rates.html", form=form, tax_rates=taxes.all_tax_rates()), status


@bp.route("/invoices/tax-rates/<int:tax_rate_id>", methods=["GET", "POST"])
@requires(Permission.SETTINGS_MANAGE)
def tax_rate_edit(tax_rate_id: int):
    tax_rate = taxes.get_tax_rate(tax_rate_id)
    form = TaxRateForm(obj=tax_rate) if request.method == "GET" else TaxRateForm()
    if request.method == "GET":
        form.rate.data = str(percent_from_basis_points(tax_rate.rate_basis_points))
    status = 200
    if form.validate_on_submit():
        try:
            taxes.update_tax_rate(tax_rate, form.name.data, form.rate.data, bool(form.active.data))
        except UserError as exc:
            status = reject(form, exc)
            tax_rate = taxes.get_tax_rate(tax_rate_id)
        else:
            flash(f"Tax rate {tax_rate.name} saved; invoices that already use it keep the old values.", "success")
            return redirect(url_for(".tax_rate_list"))
    elif form.is_submitted():
        status = 400
    return render_template("invoices/tax_rate_edit.html", form=form, tax_rate=tax_rate), status
