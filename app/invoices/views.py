"""Views of the invoices blueprint: the list, drafts and their lines, issuing, voiding and the PDF."""
from __future__ import annotations

from datetime import date, timedelta

from babel.numbers import format_decimal
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from wtforms.fields.choices import SelectChoice

from app import db
from app.errors import UserError
from app.invoices import drafts, editing, pages, services, states
from app.invoices.forms import DraftForm, InvoiceFilterForm, LineForm, NewInvoiceForm, tax_choice
from app.invoices.pdf import pdf_filename, render_invoice_pdf
from app.invoices.states import InvoiceAction
from app.invoices.taxes import active_tax_rates
from app.invoices.totals import percent_from_basis_points
from app.models import Client, InvoiceStatus, User
from app.money import exponent, to_major
from app.payments.services import METHOD_LABELS
from app.projects.scoping import looked_after_client_ids
from app.security.permissions import Permission, requires

bp = Blueprint("invoices", __name__)


def me() -> User:
    return current_user._get_current_object()


@bp.app_context_processor
def invoice_helpers() -> dict:
    """Formatting helpers for invoice figures, also used by payment pages that show an invoice."""
    locale = current_user.locale if current_user.is_authenticated else "en"
    return {
        "rate_text": lambda basis_points: pages.format_rate(basis_points, locale),
        "quantity_text": lambda value: pages.format_quantity(value, locale),
        "payment_method_label": lambda method: METHOD_LABELS.get(method, method.value),
    }


def reject(form, exc: UserError) -> int:
    """Roll back the failed change, show its message next to the field it names, return the status."""
    db.session.rollback()
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "error")
    return exc.status_code


def action_failed(invoice_id: int, exc: UserError):
    """Show the invoice page again with the reason an action on it failed."""
    db.session.rollback()
    flash(exc.message, "error")
    return render_template("invoices/detail.html", p=pages.invoice_page(me(), invoice_id)), exc.status_code


def _client_choices(user: User) -> list[Client]:
    return list(db.session.scalars(
        select(Client).where(Client.id.in_(looked_after_client_ids(user))).order_by(Client.name)
    ))


def _read_filters(form: InvoiceFilterForm) -> pages.InvoiceFilters:
    if not form.validate():
        return pages.InvoiceFilters()
    return pages.InvoiceFilters(
        client_id=int(form.client.data) if form.client.data else None,
        status=InvoiceStatus(form.status.data) if form.status.data else None,
        overdue=bool(form.overdue.data),
        issued_from=form.issued_from.data,
        issued_until=form.issued_until.data,
    )


@bp.route("/invoices/")
@requires(Permission.INVOICES_VIEW)
def invoice_list():
    form = InvoiceFilterForm(request.args)
    form.client.choices = [SelectChoice("", "All clients")] + [SelectChoice(str(c.id), c.name)
                                                                for c in _client_choices(me())]
    filters = _read_filters(form)
    listing = pages.invoice_list_page(me(), filters)
    status = 400 if form.errors else 200
    return render_template("invoices/list.html", form=form, listing=listing), status


def _previous_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


@bp.route("/invoices/new", methods=["GET", "POST"])
@requires(Permission.INVOICES_MANAGE)
def invoice_new():
    form = NewInvoiceForm()
    form.set_choices(db.session.scalars(services.billable_clients_query(me())), active_tax_rates())
    if request.method == "GET":
        form.period_start.data, form.period_end.data = _previous_month(services.local_today(me()))
        if request.args.get("client_id", "").isdigit():
            form.client_id.data = int(request.args["client_id"])
    status = 200
    if form.validate_on_submit():
        try:
            result = drafts.create_draft_invoice(
                me(), client_id=form.client_id.data, period_start=form.period_start.data,
                period_end=form.period_end.data, grouping=form.grouping.data, tax_rate_ids=form.tax_rate_ids.data,
                discount=form.discount.data, notes=form.notes.data,
            )
        except UserError as exc:
            status = reject(form, exc)
        else:
            lines = len(result.invoice.lines)
            flash(f"Draft invoice created with {lines} line{'s' if lines != 1 else ''}.", "success")
            for warning in result.warnings:
                flash(warning, "warning")
            return redirect(url_for(".invoice_detail", invoice_id=result.invoice.id))
    elif form.is_submitted():
        status = 400
    return render_template("invoices/new.html", form=form), status


@bp.route("/invoices/<int:invoice_id>")
@requires(Permission.INVOICES_VIEW)
def invoice_detail(invoice_id: int):
    return render_template("invoices/detail.html", p=pages.invoice_page(me(), invoice_id))


@bp.route("/invoices/<int:invoice_id>/edit", methods=["GET", "POST"])
@requires(Permission.INVOICES_MANAGE)
def invoice_edit(invoice_id: int):
    page = pages.invoice_page(me(), invoice_id)
    states.check(page.invoice, InvoiceAction.EDIT)
    form = DraftForm()
    if request.method == "GET":
        form.notes.data = page.invoice.notes
        discount = page.invoice.discount_basis_points
        form.discount.data = str(percent_from_basis_points(discount)) if discount else ""
    status = 200
    if form.validate_on_submit():
        try:
            editing.update_draft(me(), invoice_id, notes=form.notes.data, discount=form.discount.data)
        except UserError as exc:
            status = reject(form, exc)
            page = pages.invoice_page(me(), invoice_id)
        else:
            flash("Draft saved.", "success")
            return redirect(url_for(".invoice_detail", invoice_id=invoice_id))
    elif form.is_submitted():
        status = 400
    return render_template("invoices/edit.html", form=form, p=page), status


def _line_form_page(invoice_id: int, line_id: int | None):
    page = pages.invoice_page(me(), invoice_id)
    states.check(page.invoice, InvoiceAction.EDIT)
    line = None
    if line_id is not None:
        line = next((candidate for candidate in page.invoice.lines if candidate.id == line_id), None)
        if line is None:
            raise NotFound()
    form = LineForm()
    form.set_choices(active_tax_rates())
    if line is not None:
        offered = {choice.value for choice in form.tax_rate_ids.choices}
        form.tax_rate_ids.choices += [
            tax_choice(tax.tax_rate_id, tax.name, tax.rate_basis_points)
            for tax in line.taxes if tax.tax_rate_id and tax.tax_rate_id not in offered
        ]
    if request.method == "GET" and line is not None:
        locale = me().locale
        form.description.data = line.description
        form.quantity.data = format_decimal(line.quantity, format="0.####", locale=locale)
        places = exponent(page.invoice.currency)
        form.unit_price.data = format_decimal(to_major(line.unit_price_minor, page.invoice.currency),
                                              format="0." + "0" * places if places else "0", locale=locale)
        form.tax_rate_ids.data = [tax.tax_rate_id for tax in line.taxes if tax.tax_rate_id]
    return page, line, form


@bp.route("/invoices/<int:invoice_id>/lines/new", methods=["GET", "POST"])
@requires(Permission.INVOICES_MANAGE)
def line_new(invoice_id: int):
    page, _, form = _line_form_page(invoice_id, None)
    status = 200
    if form.validate_on_submit():
        try:
            editing.add_manual_line(me(), invoice_id, description=form.description.data,
                                    quantity=form.quantity.data, unit_price=form.unit_price.data,
                                    tax_rate_ids=form.tax_rate_ids.data)
        except UserError as exc:
            status = reject(form, exc)
            page = pages.invoice_page(me(), invoice_id)
        else:
            flash("Line added.", "success")
            return redirect(url_for(".invoice_detail", invoice_id=invoice_id))
    elif form.is_submitted():
        status = 400
    return render_template("invoices/line_form.html", form=form, p=page, line=None), status


@bp.route("/invoices/<int:invoice_id>/lines/<int:line_id>/edit", methods=["GET", "POST"])
@requires(Permission.INVOICES_MANAGE)
def line_edit(invoice_id: int, line_id: int):
    page, line, form = _line_form_page(invoice_id, line_id)
    status = 200
    if form.validate_on_submit():
        try:
            editing.update_line(me(), invoice_id, line_id, description=form.description.data,
                                quantity=form.quantity.data, unit_price=form.unit_price.data,
                                tax_rate_ids=form.tax_rate_ids.data)
        except UserError as exc:
            status = reject(form, exc)
            page, line, _ = _line_form_page(invoice_id, line_id)
        else:
            flash("Line saved.", "success")
            return redirect(url_for(".invoice_detail", invoice_id=invoice_id))
    elif form.is_submitted():
        status = 400
    return render_template("invoices/line_form.html", form=form, p=page, line=line), status


@bp.route("/invoices/<int:invoice_id>/lines/<int:line_id>/delete", methods=["POST"])
@requires(Permission.INVOICES_MANAGE)
def line_delete(invoice_id: int, line_id: int):
    try:
        editing.delete_line(me(), invoice_id, line_id)
    except UserError as exc:
        return action_failed(invoice_id, exc)
    flash("Line deleted.", "success")
    return redirect(url_for(".invoice_detail", invoice_id=invoice_id))


@bp.route("/invoices/<int:invoice_id>/issue", methods=["POST"])
@requires(Permission.INVOICES_ISSUE)
def invoice_issue(invoice_id: int):
    try:
        invoice = services.issue_invoice(me(), invoice_id, issue_date=_optional_date(request.form.get("issue_date")))
    except UserError as exc:
        return action_failed(invoice_id, exc)
    flash(f"Invoice {invoice.number} issued; it is due on {invoice.due_date.isoformat()}.", "success")
    return redirect(url_for(".invoice_detail", invoice_id=invoice_id))


def _optional_date(text: str | None) -> date | None:
    if not (text or "").strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"issue_date: {text!r} is not a date; use YYYY-MM-DD, for example 2026-03-31",
                        field="issue_date") from None


@bp.route("/invoices/<int:invoice_id>/void", methods=["POST"])
@requires(Permission.INVOICES_VOID)
def invoice_void(invoice_id: int):
    try:
        result = services.void_invoice(me(), invoice_id)
    except UserError as exc:
        return action_failed(invoice_id, exc)
    flash(f"Invoice {result.invoice.number} voided by credit note {result.credit_note.number}; its "
          f"{result.freed['time_entries_freed']} time entries and {result.freed['expenses_freed']} expenses "
          "can be invoiced again.", "success")
    return redirect(url_for(".invoice_detail", invoice_id=result.credit_note.id))


@bp.route("/invoices/<int:invoice_id>/delete", methods=["POST"])
@requires(Permission.INVOICES_MANAGE)
def invoice_delete(invoice_id: int):
    try:
        services.delete_draft(me(), invoice_id)
    except UserError as exc:
        return action_failed(invoice_id, exc)
    flash("Draft deleted; its time entries and expenses can be invoiced again.", "success")
    return redirect(url_for(".invoice_list"))


@bp.route("/invoices/<int:invoice_id>/pdf")
@requires(Permission.INVOICES_VIEW)
def invoice_pdf(invoice_id: int):
    page = pages.invoice_page(me(), invoice_id)
    pdf = render_invoice_pdf(page)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{pdf_filename(page)}"'})


@bp.route("/invoices/clients/<int:client_id>")
@requires(Permission.INVOICES_VIEW)
def client_invoices(client_id: int):
    return render_template("invoices/client.html", account=pages.client_account_page(me(), client_id))


# The tax-rate pages share this blueprint; importing the module registers its routes.
from app.invoices import tax_views  # noqa: E402,F401
