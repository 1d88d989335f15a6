"""Editing a draft invoice: notes, discount, manual lines and the taxes of every line.

Lines made from time, expenses or a fixed fee keep their quantity and price, because
the reserved work decides them. Their description and taxes may change. Manual lines
may change completely and may be deleted. Every change recomputes the stored totals
and is audited as ``invoice.update``.
"""
from __future__ import annotations

from decimal import Decimal

from werkzeug.exceptions import NotFound

from app.audit.service import record, snapshot
from app.errors import UserError
from app.invoices import states
from app.invoices.drafts import MAX_DESCRIPTION_LENGTH, MAX_NOTES_LENGTH
from app.invoices.services import INVOICE_FIELDS, get_invoice_for
from app.invoices.states import InvoiceAction
from app.invoices.taxes import load_active_rates, parse_percent
from app.invoices.totals import line_amount_minor, store_totals
from app.models import Invoice, InvoiceLine, InvoiceLineTax, LineKind, TaxRate, User
from app.money import parse_amount, parse_decimal_input

MAX_QUANTITY = Decimal(1_000_000)
QUANTITY_PLACES = 4
LINE_FIELDS = ("position", "kind", "description", "quantity", "unit_price_minor", "amount_minor")


def _load_draft(user: User, invoice_id: int) -> Invoice:
    invoice = get_invoice_for(user, invoice_id, for_update=True)
    states.check(invoice, InvoiceAction.EDIT)
    return invoice


def _line_of(invoice: Invoice, line_id: int) -> InvoiceLine:
    for line in invoice.lines:
        if line.id == line_id:
            return line
    raise NotFound()


def _clean_description(text: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise UserError("description: a description is required", field="description")
    if len(cleaned) > MAX_DESCRIPTION_LENGTH:
        raise UserError(
            f"description: {len(cleaned)} characters is too long; use at most {MAX_DESCRIPTION_LENGTH}",
            field="description",
        )
    return cleaned


def parse_quantity(text: str, locale: str) -> Decimal:
    """Parse a positive quantity with at most four decimals, typed in the person's locale."""
    quantity = parse_decimal_input(text, locale, field="quantity", what="quantity")
    if quantity <= 0:
        raise UserError(f"quantity: {text!r} is not more than zero; enter a positive quantity", field="quantity")
    if quantity > MAX_QUANTITY:
        raise UserError(f"quantity: {text!r} is more than {MAX_QUANTITY:,}; split the line", field="quantity")
    if quantity != quantity.quantize(Decimal(1).scaleb(-QUANTITY_PLACES)):
        raise UserError(f"quantity: {text!r} has more than {QUANTITY_PLACES} decimals", field="quantity")
    return quantity.normalize() if quantity == quantity.to_integral_value() else quantity


def parse_unit_price(text: str, currency: str, locale: str) -> int:
    if not (text or "").strip():
        raise UserError(f"unit_price: a unit price in {currency} is required", field="unit_price")
    return parse_amount(text, currency, locale, field="unit_price")


def _line_taxes(tax_rates: list[TaxRate]) -> list[InvoiceLineTax]:
    return [InvoiceLineTax(tax_rate_id=rate.id, name=rate.name, rate_basis_points=rate.rate_basis_points)
            for rate in tax_rates]


def _audit_update(user: User, invoice: Invoice, before: dict, details: dict) -> None:
    store_totals(invoice)
    record("invoice.update", invoice, before=before, after=snapshot(invoice, INVOICE_FIELDS), details=details,
           actor=user)


def update_draft(user: User, invoice_id: int, *, notes: str, discount: str) -> Invoice:
    """Change the notes and the discount percentage of a draft."""
    invoice = _load_draft(user, invoice_id)
    cleaned_notes = (notes or "").strip()
    if len(cleaned_notes) > MAX_NOTES_LENGTH:
        raise UserError(f"notes: {len(cleaned_notes)} characters is too long; use at most {MAX_NOTES_LENGTH}",
                        field="notes")
    discount_basis_points = parse_percent(discount, field="discount") if (discount or "").strip() else 0
    before = snapshot(invoice, INVOICE_FIELDS)
    invoice.notes = cleaned_notes
    invoice.discount_basis_points = discount_basis_points
    _audit_update(user, invoice, before, {})
    return invoice


def add_manual_line(user: User, invoice_id: int, *, description: str, quantity: str, unit_price: str,
                    tax_rate_ids: list[int]) -> InvoiceLine:
    """Append a line typed by hand: quantity x unit price, with the chosen taxes."""
    invoice = _load_draft(user, invoice_id)
    cleaned = _clean_description(description)
    parsed_quantity = parse_quantity(quantity, user.locale)
    price = parse_unit_price(unit_price, invoice.currency, user.locale)
    tax_rates = load_active_rates(tax_rate_ids)
    before = snapshot(invoice, INVOICE_FIELDS)
    line = InvoiceLine(
        position=max((existing.position for existing in invoice.lines), default=0) + 1, kind=LineKind.MANUAL,
        description=cleaned, quantity=parsed_quantity, unit_price_minor=price,
        amount_minor=line_amount_minor(parsed_quantity, price), taxes=_line_taxes(tax_rates),
    )
    invoice.lines.append(line)
    _audit_update(user, invoice, before, {"line_added": snapshot(line, LINE_FIELDS)})
    return line


def update_line(user: User, invoice_id: int, line_id: int, *, description: str, quantity: str, unit_price: str,
                tax_rate_ids: list[int]) -> InvoiceLine:
    """Change a line's description and taxes, and for a manual line also its quantity and price.

    A tax the line already has stays as it was copied, even if its rate was changed or
    deactivated since. A newly chosen tax must be active.
    """
    invoice = _load_draft(user, invoice_id)
    line = _line_of(invoice, line_id)
    cleaned = _clean_description(description)
    kept_taxes = [tax for tax in line.taxes if tax.tax_rate_id in set(tax_rate_ids)]
    added_rates = load_active_rates(sorted(set(tax_rate_ids) - {tax.tax_rate_id for tax in kept_taxes}))
    line_before = snapshot(line, LINE_FIELDS) | {"taxes": [tax.name for tax in line.taxes]}
    before = snapshot(invoice, INVOICE_FIELDS)
    if line.kind is LineKind.MANUAL:
        line.quantity = parse_quantity(quantity, user.locale)
        line.unit_price_minor = parse_unit_price(unit_price, invoice.currency, user.locale)
        line.amount_minor = line_amount_minor(line.quantity, line.unit_price_minor)
    line.description = cleaned
    line.taxes = kept_taxes + _line_taxes(added_rates)
    line_after = snapshot(line, LINE_FIELDS) | {"taxes": [tax.name for tax in line.taxes]}
    _audit_update(user, invoice, before, {"line_before": line_before, "line_after": line_after})
    return line


def delete_line(user: User, invoice_id: int, line_id: int) -> None:
    """Delete a manual line; lines made from reserved work go only with the whole draft."""
    invoice = _load_draft(user, invoice_id)
    line = _line_of(invoice, line_id)
    if line.kind is not LineKind.MANUAL:
        raise UserError(
            f"line {line.position} bills reserved {line.kind.value.replace('_', ' ')} work and cannot be deleted "
            "alone; delete the draft and create it again for another period"
        )
    before = snapshot(invoice, INVOICE_FIELDS)
    removed = snapshot(line, LINE_FIELDS)
    invoice.lines.remove(line)
    for position, remaining in enumerate(invoice.lines, start=1):
        remaining.position = position
    _audit_update(user, invoice, before, {"line_deleted": removed})
