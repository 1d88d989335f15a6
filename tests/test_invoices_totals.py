"""Invoice arithmetic: half-up rounding per line and once per tax rate, discounts, currencies."""
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from app.errors import UserError
from app.invoices.taxes import parse_percent
from app.invoices.totals import (
    compute_totals, hours_from_seconds, line_amount_minor, percent_from_basis_points, round_half_up,
    time_amount_minor,
)

VAT = ("VAT 19 %", 1900)
SWISS = ("MWST 7.7 %", 770)
TEN = ("Ten", 1000)


@dataclass
class Tax:
    name: str
    rate_basis_points: int


@dataclass
class Line:
    amount_minor: int
    taxes: list = field(default_factory=list)


def line(amount_minor: int, *rates) -> Line:
    return Line(amount_minor, [Tax(name, basis_points) for name, basis_points in rates])


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("2.5"), 3), (Decimal("2.4999"), 2), (Decimal("-2.5"), -3), (Decimal("-2.4"), -2),
    (Decimal("0.5"), 1), (Decimal("0"), 0), (Decimal("1234.5"), 1235),
])
def test_round_half_up_table(value, expected):
    assert round_half_up(value) == expected


@pytest.mark.parametrize(("quantity", "price", "expected"), [
    (Decimal("1.5"), 10000, 15000),          # EUR 1.5 x 100.00
    (Decimal("3"), 3333, 9999),
    (Decimal("0.125"), 100, 13),             # 12.5 cents rounds up
    (Decimal("0.5"), 1, 1),                  # JPY: half a yen rounds up
    (Decimal("1.5"), 1234, 1851),            # BHD: 1.234 x 1.5 = 1.851
    (Decimal("2.0005"), 1000, 2001),         # BHD: 2.0005 fils-exact half rounds up
])
def test_line_amount_table(quantity, price, expected):
    assert line_amount_minor(quantity, price) == expected


@pytest.mark.parametrize(("seconds", "rate", "expected"), [
    (5400, 10000, 15000),    # 1.5 h at 100.00
    (6000, 10000, 16667),    # 1 h 40 min: 166.666... rounds to 166.67
    (7, 1800, 4),            # exactly 3.5 minor units: a 28-digit Decimal of the hours would round down
    (900, 8000, 2000),       # a quarter hour
    (3600, 15000, 15000),    # JPY 15000 an hour, one hour
])
def test_time_amount_uses_exact_seconds(seconds, rate, expected):
    assert time_amount_minor(seconds, rate) == expected


@pytest.mark.parametrize(("seconds", "hours"), [
    (5400, "1.5"), (6000, "1.666667"), (1, "0.000278"), (900, "0.25"), (36, "0.01"),
])
def test_hours_quantity_table(seconds, hours):
    assert hours_from_seconds(seconds) == Decimal(hours)


def test_two_tax_rates_on_one_invoice():
    totals = compute_totals([line(10000, VAT), line(5000, SWISS), line(3333, VAT, SWISS)], 0)
    assert totals.subtotal_minor == 18333
    shares = {share.name: (share.base_minor, share.tax_minor) for share in totals.taxes}
    # 19 % of 133.33 is 25.3327; 7.7 % of 83.33 is 6.41641.
    assert shares == {"VAT 19 %": (13333, 2533), "MWST 7.7 %": (8333, 642)}
    assert [share.name for share in totals.taxes] == ["VAT 19 %", "MWST 7.7 %"]
    assert totals.tax_minor == 3175
    assert totals.total_minor == 21508


def test_tax_rounded_once_per_rate_not_per_line():
    # Each line alone would carry 0.5 cents of tax; rounded per line that is 2 cents, per rate 1 cent.
    totals = compute_totals([line(5, TEN), line(5, TEN)], 0)
    assert totals.taxes[0].tax_minor == 1
    assert totals.total_minor == 11


@pytest.mark.parametrize(("amounts", "rate", "tax"), [
    ([105], TEN, 11),        # JPY: 10.5 yen of tax rounds up
    ([15], TEN, 2),          # EUR: 1.5 cents rounds up
    ([14], TEN, 1),
    ([1851], TEN, 185),      # BHD: 185.1 fils
    ([1855], TEN, 186),      # BHD: 185.5 fils rounds up
    ([250], SWISS, 19),      # 19.25 rounds down
    ([1950], SWISS, 150),    # 150.15
    ([50], VAT, 10),         # 9.5 rounds up
])
def test_tax_half_up_table(amounts, rate, tax):
    totals = compute_totals([line(amount, rate) for amount in amounts], 0)
    assert totals.tax_minor == tax


@pytest.mark.parametrize(("amounts", "discount", "expected_discount", "expected_tax"), [
    ([3335], 1000, 334, 570),         # 10 % of 33.35 is 3.335 -> 3.34; 19 % of 30.01 is 5.7019
    ([3335, 3335], 1000, 668, 1140),  # discount rounded per line, tax once on 60.02
    ([10000], 0, 0, 1900),
    ([10000], 10000, 10000, 0),       # a 100 % discount leaves nothing to tax
])
def test_discount_per_line_before_tax(amounts, discount, expected_discount, expected_tax):
    totals = compute_totals([line(amount, VAT) for amount in amounts], discount)
    assert totals.discount_minor == expected_discount
    assert totals.tax_minor == expected_tax
    assert totals.total_minor == sum(amounts) - expected_discount + expected_tax


def test_credit_note_totals_mirror_invoice():
    lines = [line(3335, VAT, SWISS), line(5, TEN), line(1851, TEN)]
    negated = [Line(-item.amount_minor, item.taxes) for item in lines]
    invoice = compute_totals(lines, 1000)
    credit = compute_totals(negated, 1000)
    assert credit.total_minor == -invoice.total_minor
    assert credit.discount_minor == -invoice.discount_minor
    assert [s.tax_minor for s in credit.taxes] == [-s.tax_minor for s in invoice.taxes]


def test_untaxed_lines_have_no_tax_share():
    totals = compute_totals([line(1000), line(2000)], 0)
    assert totals.taxes == ()
    assert totals.total_minor == 3000


@pytest.mark.parametrize(("basis_points", "shown"), [(1900, "19"), (770, "7.7"), (5, "0.05"), (0, "0"), (10000, "100")])
def test_percent_from_basis_points_table(basis_points, shown):
    assert str(percent_from_basis_points(basis_points)) == shown


@pytest.mark.parametrize(("text", "basis_points"), [
    ("19", 1900), ("7,7", 770), ("7.7", 770), ("7.7 %", 770), ("0", 0), ("100", 10000), (" 2,5% ", 250),
    ("0.05", 5),
])
def test_parse_percent_accepts(text, basis_points):
    assert parse_percent(text, field="rate") == basis_points


@pytest.mark.parametrize(("text", "message"), [
    ("", "rate: a percentage is required"),
    ("abc", "'abc' is not a valid percentage"),
    ("101", "'101' is more than 100 %"),
    ("7.777", "'7.777' is not a valid percentage"),
    ("-5", "'-5' is not a valid percentage"),
    ("1,000", "'1,000' is not a valid percentage"),
])
def test_parse_percent_rejects(text, message):
    with pytest.raises(UserError) as caught:
        parse_percent(text, field="rate")
    assert message in caught.value.message
    assert caught.value.field == "rate"
