"""Views of the payments blueprint: the payment list, recording and deleting payments, applying credit."""
from __future__ import annotations

from babel.numbers import format_decimal
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from app import db
from app.errors import UserError
from app.invoices import states
from app.invoices.services import get_invoice_for, local_today
from app.invoices.states import InvoiceAction
from app.invoices.views import action_failed, reject
from app.models import Client, Payment, PaymentMethod, User
from app.money import exponent, format_money, to_major
from app.pagination import paginate
from app.payments import services
from app.payments.forms import ApplyCreditForm, PaymentFilterForm, PaymentForm
from app.projects.scoping import looked_after_client_ids
from app.security.permissions import Permission, requires

bp = Blueprint("payments", __name__)


def me() -> User:
    return current_user._get_current_object()


def _filtered_payments(user: User, form: PaymentFilterForm):
    statement = services.visible_payments_query(user).options(
        joinedload(Payment.invoice), joinedload(Payment.client)
    ).order_by(Payment.payment_date.desc(), Payment.id.desc())
    if not form.validate():
        return statement
    if form.client.data:
        statement = statement.where(Payment.client_id == int(form.client.data))
    if form.method.data:
        statement = statement.where(Payment.method == PaymentMethod(form.method.data))
    if form.received_from.data:
        statement = statement.where(Payment.payment_date >= form.received_from.data)
    if form.received_until.data:
        statement = statement.where(Payment.payment_date <= form.received_until.data)
    return statement


@bp.route("/payments/")
@requires(Permission.INVOICES_VIEW)
def payment_list():
    form = PaymentFilterForm(request.args)
    clients = db.session.scalars(
        select(Client).where(Client.id.in_(looked_after_client_ids(me()))).order_by(Client.name)
    )
    form.client.choices = [SelectChoice("", "All clients")] + [SelectChoice(str(client.id), client.name)
                                                                for client in clients]
    page = paginate(_filtered_payments(me(), form))
    status = 400 if form.errors else 200
    return render_template("payments/list.html", form=form, page=page), status


def _major_text(minor: int, currency: str, locale: str) -> str:
    """Format an amount for a form field without digit grouping, so that it parses back unambiguously."""
    places = exponent(currency)
    return format_decimal(to_major(minor, currency), format="0." + "0" * places if places else "0", locale=locale)


@bp.route("/invoices/<int:invoice_id>/payments/new", methods=["GET", "POST"])
@requires(Permission.PAYMENTS_RECORD)
def payment_new(invoice_id: int):
    invoice = get_invoice_for(me(), invoice_id)
    states.check(invoice, InvoiceAction.RECORD_PAYMENT)
    form = PaymentForm()
    if request.method == "GET":
        form.payment_date.data = local_today(me())
        form.amount.data = _major_text(max(invoice.balance_minor, 0), invoice.currency, me().locale)
    status = 200
    if form.validate_on_submit():
        try:
            result = services.record_payment(
                me(), invoice_id, payment_date=form.payment_date.data, amount=form.amount.data,
                method=form.method.data, reference=form.reference.data, notes=form.notes.data,
            )
        except UserError as exc:
            if exc.field is None:
                return action_failed(invoice_id, exc)
            status = reject(form, exc)
            invoice = get_invoice_for(me(), invoice_id)
        else:
            flash("Payment recorded.", "success")
            if result.credit_minor:
                flash(f"The payment exceeded the balance; {format_money(result.credit_minor, invoice.currency, me().locale)} "
                      "was kept as client credit.", "info")
            return redirect(url_for("invoices.invoice_detail", invoice_id=invoice_id))
    elif form.is_submitted():
        status = 400
    return render_template("payments/new.html", form=form, invoice=invoice), status


@bp.route("/invoices/<int:invoice_id>/apply-credit", methods=["GET", "POST"])
@requires(Permission.PAYMENTS_RECORD)
def credit_apply(invoice_id: int):
    invoice = get_invoice_for(me(), invoice_id)
    states.check(invoice, InvoiceAction.RECORD_PAYMENT)
    available = services.credit_available(invoice.client_id, invoice.currency)
    form = ApplyCreditForm()
    if request.method == "GET":
        form.amount.data = _major_text(max(0, min(available, invoice.balance_minor)), invoice.currency, me().locale)
    status = 200
    if form.validate_on_submit():
        try:
            services.apply_client_credit(me(), invoice_id, amount=form.amount.data)
        except UserError as exc:
            if exc.field is None:
                return action_failed(invoice_id, exc)
            status = reject(form, exc)
            invoice = get_invoice_for(me(), invoice_id)
        else:
            flash("Client credit applied.", "success")
            return redirect(url_for("invoices.invoice_detail", invoice_id=invoice_id))
    elif form.is_submitted():
        status = 400
    return render_template("payments/apply_credit.html", form=form, invoice=invoice, available=available), status


@bp.route("/payments/<int:payment_id>/delete", methods=["POST"])
@requires(Permission.PAYMENTS_RECORD)
def payment_delete(payment_id: int):
    payment = services.get_payment_for(me(), payment_id)
    invoice_id = payment.invoice_id
    try:
        services.delete_payment(me(), payment_id)
    except UserError as exc:
        return action_failed(invoice_id, exc)
    flash("Payment deleted; the invoice's balance and status were updated.", "success")
    return redirect(url_for("invoices.invoice_detail", invoice_id=invoice_id))

