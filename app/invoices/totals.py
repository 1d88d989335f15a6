"""Invoice arithmetic: line amounts, discount, tax per rate and totals.

The invoice page, the PDF and the CSV export all take their figures from this module,
so the three can never disagree. All amounts are integers in minor units of the
invoice's currency, which makes the rules the same for JPY (0 decimals), EUR (2) and
BHD (3):

- A line amount is quantity x unit price, rounded half-up once.
- The invoice discount (a percentage) is taken off each line before tax. A line's
  discount is its amount x the percentage, rounded half-up, so the discounted line
  amount is again a whole number of minor units.
- Each tax rate is charged on its taxable base, which is the sum of the discounted
  amounts of the lines that carry the rate. The tax is rounded half-up once per rate.
  A line with two rates adds its amount to both bases (no tax on tax).
- The total is the sum of the discounted line amounts plus the tax of every rate.

Half-up rounds halves away from zero, so a credit note with negated lines comes
out as the exact negative of the invoice it cancels.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

BASIS_POINTS_PER_UNIT = 10_000
SECONDS_PER_HOUR = 3600
# Decimal places kept for the hours of a time line. Any whole number of seconds that
# is divisible by 9 gives an exact value; the amount always uses the exact seconds.
HOURS_PLACES = 6


class LineTaxLike(Protocol):
    name: str
    rate_basis_points: int


class LineLike(Protocol):
    amount_minor: int
    taxes: Sequence[LineTaxLike]


@dataclass(frozen=True)
class TaxShare:
    """The tax of one rate on an invoice: its base, the rate and the rounded tax."""

    name: str
    rate_basis_points: int
    base_minor: int
    tax_minor: int

    @property
    def rate_percent(self) -> Decimal:
        return percent_from_basis_points(self.rate_basis_points)


@dataclass(frozen=True)
class Totals:
    """The figures printed under an invoice's lines."""

    subtotal_minor: int
    discount_minor: int
    taxes: tuple[TaxShare, ...]

    @property
    def net_minor(self) -> int:
        return self.subtotal_minor - self.discount_minor

    @property
    def tax_minor(self) -> int:
        return sum(share.tax_minor for share in self.taxes)

    @property
    def total_minor(self) -> int:
        return self.net_minor + self.tax_minor


def round_half_up(value: Fraction | Decimal | int) -> int:
    """Round to the nearest integer; halves go away from zero."""
    exact = Fraction(value)
    magnitude = math.floor(abs(exact) + Fraction(1, 2))
    return magnitude if exact >= 0 else -magnitude


def line_amount_minor(quantity: Fraction | Decimal | int, unit_price_minor: int) -> int:
    return round_half_up(Fraction(quantity) * unit_price_minor)


def time_amount_minor(seconds: int, hourly_rate_minor: int) -> int:
    """Amount of ``seconds`` of work at an hourly rate, from the exact seconds."""
    return line_amount_minor(Fraction(seconds, SECONDS_PER_HOUR), hourly_rate_minor)


def hours_from_seconds(seconds: int) -> Decimal:
    """Hours for the quantity column, rounded half-up to HOURS_PLACES decimals."""
    hours = Fraction(seconds, SECONDS_PER_HOUR)
    scaled = round_half_up(hours * 10**HOURS_PLACES)
    return Decimal(scaled).scaleb(-HOURS_PLACES)


def line_discount_minor(amount_minor: int, discount_basis_points: int) -> int:
    return round_half_up(Fraction(amount_minor * discount_basis_points, BASIS_POINTS_PER_UNIT))


def tax_minor(base_minor: int, rate_basis_points: int) -> int:
    return round_half_up(Fraction(base_minor * rate_basis_points, BASIS_POINTS_PER_UNIT))


def percent_from_basis_points(basis_points: int) -> Decimal:
    """Convert basis points to a percentage for display: 770 gives ``Decimal('7.7')``, 1900 gives ``Decimal('19')``."""
    value = Decimal(basis_points).scaleb(-2)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def compute_totals(lines: Iterable[LineLike], discount_basis_points: int) -> Totals:
    """Compute subtotal, discount and tax per rate of ``lines`` under the invoice discount."""
    subtotal = 0
    discount = 0
    bases: dict[tuple[str, int], int] = {}
    for line in lines:
        line_discount = line_discount_minor(line.amount_minor, discount_basis_points)
        subtotal += line.amount_minor
        discount += line_discount
        for tax in line.taxes:
            key = (tax.name, tax.rate_basis_points)
            bases[key] = bases.get(key, 0) + line.amount_minor - line_discount
    shares = tuple(
        TaxShare(name, rate, base, tax_minor(base, rate))
        for (name, rate), base in sorted(bases.items(), key=lambda item: (-item[0][1], item[0][0]))
    )
    return Totals(subtotal, discount, shares)


def discounted_amount_minor(line: LineLike, discount_basis_points: int) -> int:
    """Return a line's amount after the invoice discount, as added to the tax bases."""
    return line.amount_minor - line_discount_minor(line.amount_minor, discount_basis_points)


class InvoiceLike(Protocol):
    lines: Sequence[LineLike]
    discount_basis_points: int
    subtotal_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int


def store_totals(invoice: InvoiceLike) -> Totals:
    """Recompute the invoice's totals from its lines and copy them into its columns."""
    totals = compute_totals(invoice.lines, invoice.discount_basis_points)
    invoice.subtotal_minor = totals.subtotal_minor
    invoice.discount_minor = totals.discount_minor
    invoice.tax_minor = totals.tax_minor
    invoice.total_minor = totals.total_minor
    return totals
