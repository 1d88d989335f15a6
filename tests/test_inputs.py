"""Parsers of typed form values, and the unique-save guard."""
import pytest
from sqlalchemy import select

from app import db
from app.errors import UserError
from app.models import Client
from app import inputs
from app.projects.unique import save_unique
from tests.conftest import acting_as
from tests.factories import make_client


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [("120", 432000), ("120:30", 433800), ("7.5", 27000), ("7,5", 27000), ("0:15", 900), (" 8 ", 28800),
     ("", None), ("  ", None)],
)
def test_budget_hours_accepted(typed, seconds):
    assert inputs.parse_budget_hours(typed, field="budget_hours") == seconds


@pytest.mark.parametrize(
    ("typed", "message"),
    [("0", "is not more than zero"), ("0:00", "is not more than zero"), ("-2", "is not a number of hours"),
     ("1:60", "is not a number of hours"), ("1e3", "is not a number of hours"), ("NaN", "is not a number of hours"),
     ("100001", "more than the maximum of 100000 hours"), ("1.2.3", "is not a number of hours")],
)
def test_budget_hours_rejected(typed, message):
    with pytest.raises(UserError) as caught:
        inputs.parse_budget_hours(typed, field="budget_hours")
    assert message in caught.value.message
    assert caught.value.message.startswith(f"budget_hours: {typed!r}")
    assert caught.value.field == "budget_hours"


@pytest.mark.parametrize("name", ["Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata"])
def test_timezone_accepted(name):
    assert inputs.parse_timezone(name) == name


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "europe/berlin", "../../etc/passwd", "localtime", "Factory "])
def test_timezone_rejected(name):
    with pytest.raises(UserError) as caught:
        inputs.parse_timezone(name)
    assert "is not a known IANA time zone" in caught.value.message


@pytest.mark.parametrize(("typed", "locale", "minor"), [("1234,50", "de", 123450), ("1.234,50", "de", 123450),
                                                       ("1,234.50", "en", 123450), ("0", "en", 0), ("", "en", None)])
def test_optional_money_accepted(typed, locale, minor):
    assert inputs.parse_optional_money(typed, "EUR", locale, field="rate") == minor


@pytest.mark.parametrize(("typed", "locale", "message"), [
    ("1.234", "de", "is ambiguous"), ("1,234", "en", "is ambiguous"), ("-1", "en", "is negative"),
    ("20000000.01", "en", "larger than the maximum of 20000000.00 EUR"), ("12,3,4", "de", "is not a valid amount"),
])
def test_optional_money_rejected(typed, locale, message):
    with pytest.raises(UserError) as caught:
        inputs.parse_optional_money(typed, "EUR", locale, field="rate")
    assert message in caught.value.message
    assert caught.value.field == "rate"


@pytest.mark.parametrize(("typed", "ok"), [("0", True), ("365", True), ("30", True), ("366", False), ("-1", False),
                                           ("3.5", False), ("", False), ("9" * 20, False)])
def test_int_range(typed, ok):
    if ok:
        assert inputs.parse_int_range(typed, field="days", minimum=0, maximum=365) == int(typed)
    else:
        with pytest.raises(UserError):
            inputs.parse_int_range(typed, field="days", minimum=0, maximum=365)


@pytest.mark.parametrize(("typed", "ok"), [("a@b.example", True), ("", True), ("no-at-sign", False),
                                           ("two@@signs.example", False), ("space in@x.example", False),
                                           ("dot@end.", False)])
def test_email(typed, ok):
    if ok:
        assert inputs.parse_email(typed, field="email") == typed
    else:
        with pytest.raises(UserError):
            inputs.parse_email(typed, field="email")


def test_field_checks_collect_all_errors():
    checks = inputs.FieldChecks()
    assert checks.run("days", inputs.parse_int_range, "x", field="days", minimum=0, maximum=5) is None
    assert checks.run("email", inputs.parse_email, "bad", field="email") is None
    assert checks.run("name", inputs.parse_text, "ok", field="name", max_length=5) == "ok"
    with pytest.raises(inputs.InvalidFields) as caught:
        checks.raise_if_any()
    assert list(caught.value.errors) == ["days", "email"]
    assert caught.value.field == "days"


def test_save_unique_turns_race_into_user_error(app, make_user):
    admin = make_user("ada", "Administrator")
    make_client(app, "Acme GmbH")
    with acting_as(app, admin):
        duplicate = Client(name="Acme GmbH", currency="EUR")
        with pytest.raises(UserError) as caught:
            save_unique(lambda: db.session.add(duplicate), field="name", message="name: taken")
        assert caught.value.field == "name"
        # The outer transaction is still usable after the failed savepoint.
        assert db.session.scalar(select(Client.name)) == "Acme GmbH"


@pytest.mark.parametrize(("typed", "multiline", "ok"), [
    ("Acme\x00GmbH", False, False), ("Acme\nGmbH", False, False), ("Acme\tGmbH", False, False),
    ("Street 1\r\nCity", True, True), ("Street\x00", True, False), ("Tab\there", True, True),
])
def test_text_control_characters(typed, multiline, ok):
    if ok:
        assert "\r" not in inputs.parse_text(typed, field="address", max_length=100, multiline=multiline)
    else:
        with pytest.raises(UserError) as caught:
            inputs.parse_text(typed, field="address", max_length=100, multiline=multiline)
        assert "contains a control character" in caught.value.message


def test_clean_search_drops_control_characters():
    assert inputs.clean_search("\x00ac\x1fme ") == "acme"
    assert len(inputs.clean_search("x" * 500)) == 100
