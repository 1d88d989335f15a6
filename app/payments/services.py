"""Payments against issued invoices, client credit, and invoice and client balances.

A payment records money received. TrackerBox has no field for card numbers and rejects
text that looks like one, because card payments are taken on an external terminal and
only its receipt number belongs in the reference. A payment that exceeds the invoice's balance pays the invoice in
full and leaves the excess as client credit, which can pay another invoice of the same
client in the same currency. The invoice's ``paid_minor`` holds only the part applied
to it, so ``total_minor - paid_minor`` is always what the client still owes on it.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
from werkzeug.exceptions import NotFound

from app import db
from app.audit.service import record, snapshot
from app.errors import ConflictError, UserError
from app.invoices import states
from app.invoices.services import INVOICE_FIELDS, OPEN_STATUSES, get_invoice_for, local_today
from app.invoices.states import InvoiceAction
from app.models import Client, ClientCredit, Invoice, InvoiceKind, Payment, PaymentMethod, User
from app.money import format_money, parse_amount
from app.projects.scoping import looked_after_client_ids

log = logging.getLogger(__name__)

PAYMENT_FIELDS = ("invoice_id", "client_id", "payment_date", "amount_minor", "currency", "method", "reference")
# Methods a person picks when recording money received; client credit is applied separately.
RECORDABLE_METHODS = {
    PaymentMethod.BANK_TRANSFER: "Bank transfer",
    PaymentMethod.CHEQUE: "Cheque",
    PaymentMethod.CASH: "Cash",
    PaymentMethod.CARD_TERMINAL: "Card (external terminal)",
}
METHOD_LABELS = RECORDABLE_METHODS | {PaymentMethod.CLIENT_CREDIT: "Client credit"}
MAX_REFERENCE_LENGTH = 200
MAX_NOTES_LENGTH = 2000
# A run of digits that may be grouped by single spaces or hyphens, as card numbers are printed.
_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d)*")


def visible_payments_query(user: User) -> Select:
    """Payments of the clients ``user`` looks after."""
    return select(Payment).where(Payment.client_id.in_(looked_after_client_ids(user)))


def get_payment_for(user: User, payment_id: int) -> Payment:
    payment = db.session.scalar(visible_payments_query(user).where(Payment.id == payment_id))
    if payment is None:
        raise NotFound()
    return payment


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def reject_card_numbers(text: str, field: str) -> None:
    """Raise UserError when ``text`` contains what looks like a payment card number."""
    for match in _DIGIT_RUN.finditer(text or ""):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn_valid(digits):
            raise UserError(
                f"{field}: the text contains what looks like a card number; TrackerBox must not store card "
                "numbers, so enter the terminal's receipt or transaction number instead",
                field=field,
            )


def _clean_text(text: str, field: str, limit: int) -> str:
    cleaned = (text or "").strip()
    if len(cleaned) > limit:
        raise UserError(f"{field}: {len(cleaned)} characters is too long; use at most {limit}", field=field)
    reject_card_numbers(cleaned, field)
    return cleaned


def _check_payment_date(payment_date: date | None, user: User, invoice: Invoice) -> date:
    if payment_date is None:
        raise UserError("payment_date: a payment date is required", field="payment_date")
    if invoice.issue_date is not None and payment_date < invoice.issue_date:
        raise UserError(
            f"payment_date: {payment_date.isoformat()} is before invoice {invoice.number} was issued on "
            f"{invoice.issue_date.isoformat()}; enter the date the money arrived",
            field="payment_date",
        )
    today = local_today(user)
    if payment_date > today:
        raise UserError(
            f"payment_date: {payment_date.isoformat()} is in the future; record a payment once the money "
            "has arrived",
            field="payment_date",
        )
    return payment_date


def _parse_positive_amount(text: str, currency: str, locale: str) -> int:
    if not (text or "").strip():
        raise UserError(f"amount: an amount in {currency} is required", field="amount")
    amount_minor = parse_amount(text, currency, locale, field="amount")
    if amount_minor == 0:
        raise UserError(f"amount: {text!r} is zero; enter an amount above zero", field="amount")
    return amount_minor


def _parse_method(method: str) -> PaymentMethod:
    try:
        parsed = PaymentMethod(method)
    except ValueError:
        parsed = None
    if parsed not in RECORDABLE_METHODS:
        choices = ", ".join(m.value for m in RECORDABLE_METHODS)
        raise UserError(f"method: {method!r} is not a payment method; choose one of {choices}", field="method")
    return parsed


def _lock_client(client_id: int) -> None:
    """Serialise credit changes of one client on PostgreSQL, so credit is never spent twice."""
    db.session.execute(select(Client.id).where(Client.id == client_id).with_for_update())


def credit_available(client_id: int, currency: str) -> int:
    """Return the client's unused credit in ``currency``, in minor units."""
    return db.session.scalar(
        select(func.coalesce(func.sum(ClientCredit.amount_minor), 0))
        .where(ClientCredit.client_id == client_id, ClientCredit.currency == currency)
    ) or 0


def _refresh_paid(invoice: Invoice, action: InvoiceAction) -> None:
    """Recompute what was applied to ``invoice`` from its payments and move its status to match."""
    received = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(Payment.invoice_id == invoice.id)
    ) or 0
    excess = db.session.scalar(
        select(func.coalesce(func.sum(ClientCredit.amount_minor), 0))
        .join(Payment, Payment.id == ClientCredit.source_payment_id)
        .where(Payment.invoice_id == invoice.id, ClientCredit.amount_minor > 0)
    ) or 0
    invoice.paid_minor = received - excess
    states.move(invoice, action, states.status_after_payments(invoice.total_minor, invoice.paid_minor))


def _check_payable(invoice: Invoice) -> None:
    states.check(invoice, InvoiceAction.RECORD_PAYMENT)
    if invoice.balance_minor <= 0:
        raise ConflictError(f"invoice {invoice.number} has no balance left to pay")


@dataclass(frozen=True)
class RecordedPayment:
    payment: Payment
    # Part of the payment beyond the invoice's balance, kept as client credit.
    credit_minor: int


def record_payment(user: User, invoice_id: int, *, payment_date: date | None, amount: str, method: str,
                   reference: str = "", notes: str = "") -> RecordedPayment:
    """Record money received for an issued invoice; an excess becomes client credit."""
    invoice = get_invoice_for(user, invoice_id, for_update=True)
    _check_payable(invoice)
    amount_minor = _parse_positive_amount(amount, invoice.currency, user.locale)
    parsed_method = _parse_method(method)
    payment_date = _check_payment_date(payment_date, user, invoice)
    cleaned_reference = _clean_text(reference, "reference", MAX_REFERENCE_LENGTH)
    cleaned_notes = _clean_text(notes, "notes", MAX_NOTES_LENGTH)
    before = snapshot(invoice, INVOICE_FIELDS)
    payment = Payment(
        invoice_id=invoice.id, client_id=invoice.client_id, payment_date=payment_date, amount_minor=amount_minor,
        currency=invoice.currency, method=parsed_method, reference=cleaned_reference, notes=cleaned_notes,
        recorded_by_id=user.id,
    )
    db.session.add(payment)
    db.session.flush()
    excess = max(0, amount_minor - invoice.balance_minor)
    if excess:
        _lock_client(invoice.client_id)
        db.session.add(ClientCredit(
            client_id=invoice.client_id, currency=invoice.currency, amount_minor=excess,
            source_payment_id=payment.id, note=f"Overpayment of invoice {invoice.number}",
        ))
        db.session.flush()
    _refresh_paid(invoice, InvoiceAction.RECORD_PAYMENT)
    record("payment.record", payment, after=snapshot(payment, PAYMENT_FIELDS), actor=user,
           details={"invoice": invoice.number, "credit_minor": excess, "invoice_before": before,
                    "invoice_after": snapshot(invoice, INVOICE_FIELDS)})
    log.info("payment %s of invoice %s recorded by user %s", payment.id, invoice.number, user.id)
    return RecordedPayment(payment, excess)


def apply_client_credit(user: User, invoice_id: int, *, amount: str, payment_date: date | None = None) -> Payment:
    """Pay part or all of an invoice from the client's credit in the invoice's currency."""
    invoice = get_invoice_for(user, invoice_id, for_update=True)
    _check_payable(invoice)
    amount_minor = _parse_positive_amount(amount, invoice.currency, user.locale)
    _lock_client(invoice.client_id)
    available = credit_available(invoice.client_id, invoice.currency)
    if amount_minor > available:
        raise UserError(
            f"amount: {amount!r} is more than the client's credit of "
            f"{format_money(available, invoice.currency, user.locale)}; apply at most the available credit",
            field="amount",
        )
    if amount_minor > invoice.balance_minor:
        raise UserError(
            f"amount: {amount!r} is more than the invoice's balance of "
            f"{format_money(invoice.balance_minor, invoice.currency, user.locale)}; apply at most the balance",
            field="amount",
        )
    before = snapshot(invoice, INVOICE_FIELDS)
    payment = Payment(
        invoice_id=invoice.id, client_id=invoice.client_id, payment_date=payment_date or local_today(user),
        amount_minor=amount_minor, currency=invoice.currency, method=PaymentMethod.CLIENT_CREDIT,
        reference="client credit", recorded_by_id=user.id,
    )
    db.session.add(payment)
    db.session.flush()
    credit = ClientCredit(client_id=invoice.client_id, currency=invoice.currency, amount_minor=-amount_minor,
                          source_payment_id=payment.id, applied_invoice_id=invoice.id,
                          note=f"Applied to invoice {invoice.number}")
    db.session.add(credit)
    db.session.flush()
    _refresh_paid(invoice, InvoiceAction.RECORD_PAYMENT)
    record("client_credit.apply", credit, actor=user,
           after={"amount_minor": amount_minor, "currency": invoice.currency, "payment_id": payment.id},
           details={"invoice": invoice.number, "invoice_before": before,
                    "invoice_after": snapshot(invoice, INVOICE_FIELDS), "credit_left_minor": available - amount_minor})
    log.info("client credit applied to invoice %s by user %s", invoice.number, user.id)
    return payment


def delete_payment(user: User, payment_id: int) -> Invoice:
    """Delete a payment recorded in error and move the invoice's status back.

    Deleting a client-credit payment gives the credit back. Deleting an overpayment also
    removes the credit it created, which is refused when that credit was already spent.
    """
    payment = get_payment_for(user, payment_id)
    invoice = get_invoice_for(user, payment.invoice_id, for_update=True)
    states.check(invoice, InvoiceAction.DELETE_PAYMENT)
    _lock_client(invoice.client_id)
    credits = list(db.session.scalars(select(ClientCredit).where(ClientCredit.source_payment_id == payment.id)))
    created = sum(credit.amount_minor for credit in credits if credit.amount_minor > 0)
    if created and created > credit_available(invoice.client_id, invoice.currency):
        raise ConflictError(
            "the credit left by this overpayment has already been applied to another invoice; delete that "
            "client-credit payment first"
        )
    before = snapshot(payment, PAYMENT_FIELDS)
    invoice_before = snapshot(invoice, INVOICE_FIELDS)
    for credit in credits:
        db.session.delete(credit)
    record("payment.delete", payment, before=before, actor=user,
           details={"invoice": invoice.number, "credit_removed_minor": sum(c.amount_minor for c in credits),
                    "invoice_before": invoice_before})
    db.session.delete(payment)
    db.session.flush()
    _refresh_paid(invoice, InvoiceAction.DELETE_PAYMENT)
    log.info("payment %s of invoice %s deleted by user %s", payment_id, invoice.number, user.id)
    return invoice


@dataclass(frozen=True)
class ClientBalance:
    """A client's balance in one currency: open invoice balances minus unused credit."""

    currency: str
    open_minor: int
    credit_minor: int

    @property
    def balance_minor(self) -> int:
        return self.open_minor - self.credit_minor


def client_balances(client_ids: list[int]) -> dict[int, list[ClientBalance]]:
    """Balances per currency of each client, in two queries whatever the number of clients."""
    if not client_ids:
        return {}
    open_rows = db.session.execute(
        select(Invoice.client_id, Invoice.currency, func.sum(Invoice.total_minor - Invoice.paid_minor))
        .where(Invoice.client_id.in_(client_ids), Invoice.kind == InvoiceKind.INVOICE,
               Invoice.status.in_(OPEN_STATUSES))
        .group_by(Invoice.client_id, Invoice.currency)
    ).all()
    credit_rows = db.session.execute(
        select(ClientCredit.client_id, ClientCredit.currency, func.sum(ClientCredit.amount_minor))
        .where(ClientCredit.client_id.in_(client_ids))
        .group_by(ClientCredit.client_id, ClientCredit.currency)
    ).all()
    figures: dict[tuple[int, str], list[int]] = {}
    for client_id, currency, owed in open_rows:
        figures.setdefault((client_id, currency), [0, 0])[0] = int(owed or 0)
    for client_id, currency, credit in credit_rows:
        figures.setdefault((client_id, currency), [0, 0])[1] = int(credit or 0)
    balances: dict[int, list[ClientBalance]] = {client_id: [] for client_id in client_ids}
    for (client_id, currency), (owed, credit) in sorted(figures.items()):
        if owed or credit:
            balances[client_id].append(ClientBalance(currency, owed, credit))
    return balances
