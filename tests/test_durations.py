import pytest

from app.durations import format_duration, parse_duration
from app.errors import UserError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1:30", 5400), ("0:45", 2700), ("1:30:15", 5415), ("1.5", 5400), ("1,5", 5400), ("2", 7200),
        ("90m", 5400), ("90 min", 5400), ("1h30m", 5400), ("1h 30m", 5400), ("2h", 7200), ("0.25", 900),
        ("30:00", 108000),
    ],
)
def test_parse_duration_accepts_common_forms(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "required"), ("0", "not more than zero"), ("0:00", "not more than zero"), ("-1:00", "not more than zero"),
    ("abc", "not a duration"), ("1:75", "not a duration"), ("200", "longer than one week"),
])
def test_parse_duration_rejects_bad_input(text, fragment):
    with pytest.raises(UserError) as caught:
        parse_duration(text)
    assert fragment in caught.value.message


@pytest.mark.parametrize(("seconds", "shown"), [(0, "0:00"), (5400, "1:30"), (108000, "30:00"), (90061, "25:01")])
def test_format_duration_never_wraps_days(seconds, shown):
    assert format_duration(seconds) == shown
