"""Tax rates: parsing typed percentages, and creating and changing the rates in the catalogue.

Rates are kept in basis points (hundredths of a percent), so 19 % is 1900 and 7.7 % is
770. Invoice lines copy a rate's name and value, so editing or deactivating a rate never
changes an invoice that already uses it.
"""
from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from app import db
from app.audit.service import record, snapshot
from app.errors import UserError
from app.models import TaxRate

TAX_RATE_FIELDS = ("name", "rate_basis_points", "active")
_PERCENT = re.compile(r"(?P<whole>\d{1,3})(?:[.,](?P<fraction>\d{1,2}))?\s*%?")


def parse_percent(text: str, *, field: str, value_name: str = "percentage") -> int:
    """Parse ``19``, ``7,7``, ``7.7`` or ``7.7 %`` into basis points (0 to 10000).

    Both decimal separators are accepted, because a percentage of at most 100 with at
    most two decimals cannot be read two ways.
    """
    raw = (text or "").strip()
    if not raw:
        raise UserError(f"{field}: a {value_name} is required", field=field)
    match = _PERCENT.fullmatch(raw)
    if match is None:
        raise UserError(
            f"{field}: {text!r} is not a valid {value_name}; write a number from 0 to 100 with at most "
            "two decimals, for example 19 or 7,7",
            field=field,
        )
    value = Decimal(match["whole"] + "." + (match["fraction"] or "0"))
    if value > 100:
        raise UserError(f"{field}: {text!r} is more than 100 %; write a number from 0 to 100", field=field)
    return int(value * 100)


def _clean_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise UserError("name: a name is required, for example 'VAT 19 %'", field="name")
    if len(cleaned) > 80:
        raise UserError(f"name: {len(cleaned)} characters is too long; use at most 80", field="name")
    return cleaned


def _check_unique_name(name: str, exclude_id: int | None = None) -> None:
    statement = select(TaxRate.id).where(func.lower(TaxRate.name) == name.lower())
    if exclude_id is not None:
        statement = statement.where(TaxRate.id != exclude_id)
    if db.session.scalar(statement) is not None:
        raise UserError(f"name: a tax rate named {name!r} already exists; choose another name", field="name")


def create_tax_rate(name: str, rate_text: str, active: bool = True) -> TaxRate:
    cleaned = _clean_name(name)
    basis_points = parse_percent(rate_text, field="rate", value_name="tax rate")
    _check_unique_name(cleaned)
    tax_rate = TaxRate(name=cleaned, rate_basis_points=basis_points, active=active)
    db.session.add(tax_rate)
    db.session.flush()
    record("tax_rate.create", tax_rate, after=snapshot(tax_rate, TAX_RATE_FIELDS))
    return tax_rate


def update_tax_rate(tax_rate: TaxRate, name: str, rate_text: str, active: bool) -> TaxRate:
    """Change a rate in the catalogue; invoices that copied the old values keep them."""
    cleaned = _clean_name(name)
    basis_points = parse_percent(rate_text, field="rate", value_name="tax rate")
    _check_unique_name(cleaned, exclude_id=tax_rate.id)
    before = snapshot(tax_rate, TAX_RATE_FIELDS)
    tax_rate.name, tax_rate.rate_basis_points, tax_rate.active = cleaned, basis_points, active
    after = snapshot(tax_rate, TAX_RATE_FIELDS)
    if after != before:
        record("tax_rate.update", tax_rate, before=before, after=after)
    return tax_rate


def all_tax_rates() -> list[TaxRate]:
    return list(db.session.scalars(select(TaxRate).order_by(TaxRate.active.desc(), TaxRate.name)))


def active_tax_rates() -> list[TaxRate]:
    return list(db.session.scalars(select(TaxRate).where(TaxRate.active.is_(True)).order_by(TaxRate.name)))


def get_tax_rate(tax_rate_id: int) -> TaxRate:
    tax_rate = db.session.get(TaxRate, tax_rate_id)
    if tax_rate is None:
        raise NotFound()
    return tax_rate


def load_active_rates(tax_rate_ids: list[int], *, field: str = "tax_rates") -> list[TaxRate]:
    """Load the chosen rates, raising UserError for an id that is unknown or inactive."""
    requested_ids = sorted(set(tax_rate_ids))
    if not requested_ids:
        return []
    rates = list(db.session.scalars(
        select(TaxRate).where(TaxRate.id.in_(requested_ids), TaxRate.active.is_(True))
    ))
    missing = sorted(set(requested_ids) - {rate.id for rate in rates})
    if missing:
        raise UserError(
            f"{field}: tax rate {missing[0]} does not exist or is no longer active; choose one from the list",
            field=field,
        )
    return sorted(rates, key=lambda rate: (-rate.rate_basis_points, rate.name))
