"""The invoice state machine over every (status, action) pair, for invoices and credit notes."""
import itertools

import pytest

from app.errors import IllegalTransition
from app.invoices.states import IllegalInvoiceTransition, InvoiceAction, allowed_targets, move, status_after_payments
from app.models import Invoice, InvoiceKind, InvoiceStatus

S, A = InvoiceStatus, InvoiceAction
EXPECTED = {
    (S.DRAFT, A.EDIT): {S.DRAFT},
    (S.DRAFT, A.DELETE): set(),
    (S.DRAFT, A.ISSUE): {S.ISSUED},
    (S.ISSUED, A.VOID): {S.VOID},
    (S.ISSUED, A.RECORD_PAYMENT): {S.PARTIALLY_PAID, S.PAID},
    (S.PARTIALLY_PAID, A.RECORD_PAYMENT): {S.PARTIALLY_PAID, S.PAID},
    (S.PARTIALLY_PAID, A.DELETE_PAYMENT): {S.ISSUED, S.PARTIALLY_PAID},
    (S.PAID, A.DELETE_PAYMENT): {S.ISSUED, S.PARTIALLY_PAID},
}


@pytest.mark.parametrize(("status", "action"), list(itertools.product(InvoiceStatus, InvoiceAction)))
def test_invoice_transition_table(status, action):
    if (status, action) in EXPECTED:
        assert allowed_targets(InvoiceKind.INVOICE, status, action) == EXPECTED[(status, action)]
        return
    with pytest.raises(IllegalInvoiceTransition) as caught:
        allowed_targets(InvoiceKind.INVOICE, status, action)
    assert isinstance(caught.value, IllegalTransition)
    assert caught.value.status_code == 409
    assert caught.value.message.startswith("cannot ")
    assert f"an invoice that is {status.value.replace('_', ' ')}" in caught.value.message


@pytest.mark.parametrize(("status", "action"), list(itertools.product(InvoiceStatus, InvoiceAction)))
def test_credit_note_accepts_no_action(status, action):
    with pytest.raises(IllegalInvoiceTransition) as caught:
        allowed_targets(InvoiceKind.CREDIT_NOTE, status, action)
    assert "a credit note that is" in caught.value.message


@pytest.mark.parametrize(("status", "action", "hint"), [
    (S.PAID, A.VOID, "cannot void an invoice that is paid; delete its payments first"),
    (S.PARTIALLY_PAID, A.VOID, "cannot void an invoice that is partially paid; delete its payments first"),
    (S.DRAFT, A.VOID, "cannot void an invoice that is draft; delete the draft instead"),
    (S.ISSUED, A.EDIT, "cannot edit an invoice that is issued; void it"),
    (S.PAID, A.RECORD_PAYMENT, "cannot record a payment on an invoice that is paid"),
    (S.VOID, A.ISSUE, "cannot issue an invoice that is void"),
])
def test_illegal_transition_messages(status, action, hint):
    with pytest.raises(IllegalInvoiceTransition) as caught:
        allowed_targets(InvoiceKind.INVOICE, status, action)
    assert caught.value.message.startswith(hint)


def test_move_rejects_target_outside_table():
    invoice = Invoice(kind=InvoiceKind.INVOICE, status=S.ISSUED)
    with pytest.raises(IllegalInvoiceTransition):
        move(invoice, A.RECORD_PAYMENT, S.VOID)
    assert invoice.status is S.ISSUED
    move(invoice, A.RECORD_PAYMENT, S.PAID)
    assert invoice.status is S.PAID


@pytest.mark.parametrize(("total", "paid", "status"), [
    (10000, 0, S.ISSUED), (10000, 1, S.PARTIALLY_PAID), (10000, 9999, S.PARTIALLY_PAID), (10000, 10000, S.PAID),
])
def test_status_after_payments_table(total, paid, status):
    assert status_after_payments(total, paid) is status
