"""The invoice state machine: which action is allowed in which status, and where it leads.

draft -> issued -> partially_paid -> paid, and issued -> void. Only drafts can be
edited or deleted. Payments move an issued invoice to partially_paid or paid, and
deleting a payment moves it back. Only an issued invoice without payments can be
voided, because the credit note that voiding creates cancels the whole amount.
Credit notes are issued when they are created and accept no further action.
"""
from __future__ import annotations

import enum

from app.errors import IllegalTransition
from app.models import Invoice, InvoiceKind, InvoiceStatus


class InvoiceAction(str, enum.Enum):
    EDIT = "edit"
    DELETE = "delete"
    ISSUE = "issue"
    VOID = "void"
    RECORD_PAYMENT = "record_payment"
    DELETE_PAYMENT = "delete_payment"


_PAYABLE = frozenset({InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID})
_AFTER_PAYMENT_DELETED = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID})

# (status, action) -> the statuses the action may lead to. Deleting a draft removes it,
# so that action leads to no status.
TRANSITIONS: dict[tuple[InvoiceStatus, InvoiceAction], frozenset[InvoiceStatus]] = {
    (InvoiceStatus.DRAFT, InvoiceAction.EDIT): frozenset({InvoiceStatus.DRAFT}),
    (InvoiceStatus.DRAFT, InvoiceAction.DELETE): frozenset(),
    (InvoiceStatus.DRAFT, InvoiceAction.ISSUE): frozenset({InvoiceStatus.ISSUED}),
    (InvoiceStatus.ISSUED, InvoiceAction.VOID): frozenset({InvoiceStatus.VOID}),
    (InvoiceStatus.ISSUED, InvoiceAction.RECORD_PAYMENT): _PAYABLE,
    (InvoiceStatus.PARTIALLY_PAID, InvoiceAction.RECORD_PAYMENT): _PAYABLE,
    (InvoiceStatus.PARTIALLY_PAID, InvoiceAction.DELETE_PAYMENT): _AFTER_PAYMENT_DELETED,
    (InvoiceStatus.PAID, InvoiceAction.DELETE_PAYMENT): _AFTER_PAYMENT_DELETED,
}

_ACTION_PHRASES = {
    InvoiceAction.EDIT: "edit",
    InvoiceAction.DELETE: "delete",
    InvoiceAction.ISSUE: "issue",
    InvoiceAction.VOID: "void",
    InvoiceAction.RECORD_PAYMENT: "record a payment on",
    InvoiceAction.DELETE_PAYMENT: "delete a payment of",
}

_HINTS = {
    (InvoiceStatus.PARTIALLY_PAID, InvoiceAction.VOID): "delete its payments first",
    (InvoiceStatus.PAID, InvoiceAction.VOID): "delete its payments first",
    (InvoiceStatus.DRAFT, InvoiceAction.VOID): "delete the draft instead",
    (InvoiceStatus.ISSUED, InvoiceAction.EDIT): "void it, which creates a credit note, and invoice again",
    (InvoiceStatus.ISSUED, InvoiceAction.DELETE): "void it instead",
}


class IllegalInvoiceTransition(IllegalTransition):
    """An action that the invoice's kind or status does not allow."""

    def __init__(self, kind: InvoiceKind, status: InvoiceStatus, action: InvoiceAction):
        super().__init__(kind.value.replace("_", " "), status.value, action.value)
        noun = "credit note" if kind is InvoiceKind.CREDIT_NOTE else "invoice"
        message = f"cannot {_ACTION_PHRASES[action]} {_article(noun)} {noun} that is {status.value.replace('_', ' ')}"
        hint = _HINTS.get((status, action)) if kind is InvoiceKind.INVOICE else None
        self.message = f"{message}; {hint}" if hint else message
        self.args = (self.message,)


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"


def allowed_targets(kind: InvoiceKind, status: InvoiceStatus, action: InvoiceAction) -> frozenset[InvoiceStatus]:
    """Return the statuses ``action`` may lead to, or raise IllegalInvoiceTransition."""
    if kind is InvoiceKind.CREDIT_NOTE or (status, action) not in TRANSITIONS:
        raise IllegalInvoiceTransition(kind, status, action)
    return TRANSITIONS[(status, action)]


def is_allowed(invoice: Invoice, action: InvoiceAction) -> bool:
    """Whether the page should offer ``action`` for ``invoice``."""
    return invoice.kind is InvoiceKind.INVOICE and (invoice.status, action) in TRANSITIONS


def check(invoice: Invoice, action: InvoiceAction) -> None:
    """Raise IllegalInvoiceTransition unless ``action`` is allowed on ``invoice`` now."""
    allowed_targets(invoice.kind, invoice.status, action)


def move(invoice: Invoice, action: InvoiceAction, target: InvoiceStatus) -> None:
    """Set ``invoice`` to ``target`` after checking that ``action`` may lead there."""
    targets = allowed_targets(invoice.kind, invoice.status, action)
    if target not in targets:
        raise IllegalInvoiceTransition(invoice.kind, invoice.status, action)
    invoice.status = target


def status_after_payments(total_minor: int, paid_minor: int) -> InvoiceStatus:
    """Return the status that the paid amount implies for an issued invoice."""
    if paid_minor <= 0:
        return InvoiceStatus.ISSUED
    if paid_minor < total_minor:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.PAID
