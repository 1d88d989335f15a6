from decimal import Decimal

import pytest

from app.errors import UserError
from app.money import check_currency, exponent, format_money, parse_amount, round_major, to_major, to_minor


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("EUR", 2), ("USD", 2), ("BHD", 3), ("KWD", 3), ("CLP", 0)])
def test_exponent_follows_iso_4217(currency, digits):
    assert exponent(currency) == digits


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("0.005", "EUR", 1),
        ("0.004", "EUR", 0),
        ("2.675", "EUR", 268),
        ("-2.675", "EUR", -268),
        ("0.5", "JPY", 1),
        ("1.4999", "JPY", 1),
        ("1.0005", "BHD", 1001),
        ("1234.5", "EUR", 123450),
    ],
)
def test_to_minor_rounds_half_up(value, currency, minor):
    assert to_minor(Decimal(value), currency) == minor


def test_to_major_keeps_exponent():
    assert to_major(1001, "BHD") == Decimal("1.001")
    assert to_major(500, "JPY") == Decimal("500")
    assert round_major(Decimal("10.125"), "EUR") == Decimal("10.13")


@pytest.mark.parametrize(
    ("text", "currency", "locale", "minor"),
    [
        ("123,00", "EUR", "de", 12300),
        ("1.234,50", "EUR", "de", 123450),
        ("1234,5", "EUR", "de", 123450),
        ("1,234.50", "EUR", "en", 123450),
        ("1234.50", "EUR", "en", 123450),
        ("1500", "JPY", "en", 1500),
        ("1.500", "BHD", "en", 1500),
        ("12", "EUR", "en", 1200),
    ],
)
def test_parse_amount_reads_locale_formats(text, currency, locale, minor):
    assert parse_amount(text, currency, locale) == minor


@pytest.mark.parametrize(
    ("text", "currency", "locale", "fragment"),
    [
        ("123,00", "EUR", "en", "not a valid amount"),
        ("1.234", "EUR", "de", "ambiguous"),
        ("1,234", "EUR", "en", "ambiguous"),
        ("1.5", "JPY", "en", "more than 0 decimals"),
        ("1.2345", "BHD", "en", "more than 3 decimals"),
        ("-5", "EUR", "en", "negative"),
        ("abc", "EUR", "en", "not a valid amount"),
        ("", "EUR", "en", "missing"),
        ("1e5", "EUR", "en", "not a valid amount"),
    ],
)
def test_parse_amount_rejects_bad_input(text, currency, locale, fragment):
    with pytest.raises(UserError) as caught:
        parse_amount(text, currency, locale)
    assert fragment in caught.value.message


def test_check_currency_normalises_and_rejects():
    assert check_currency(" eur ") == "EUR"
    with pytest.raises(UserError, match="ISO 4217"):
        check_currency("EURO")
    with pytest.raises(UserError, match="ISO 4217"):
        check_currency("ABC")


def test_format_money_uses_locale():
    assert format_money(123450, "EUR", "de") == "1.234,50\xa0€"
    assert format_money(123450, "EUR", "en") == "€1,234.50"
    assert format_money(1500, "JPY", "en") == "¥1,500"
