"""Parsing of the date, time, duration and yes/no cells found in tracker exports.

Each parser raises ValueError with a message that names the value and what is
accepted. The caller adds the line number and turns it into a row problem.
"""
from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import date, time
from decimal import Decimal, InvalidOperation

from app.errors import UserError


class DateOrder(str, enum.Enum):
    DMY = "dmy"
    MDY = "mdy"
    YMD = "ymd"


_YEAR_FIRST = re.compile(r"(?P<year>\d{4})[-/.](?P<a>\d{1,2})[-/.](?P<b>\d{1,2})")
_YEAR_LAST = re.compile(r"(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<year>\d{4})")
_TIME = re.compile(r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?:\s*(?P<half>[ap])\.?\s*m\.?)?", re.IGNORECASE)
_HMS_DURATION = re.compile(r"(?P<h>\d+):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?")
_DECIMAL_HOURS = re.compile(r"\d+(?:[.,]\d+)?")
_TRUE = {"yes", "y", "true", "1", "ja", "billable", "x"}
_FALSE = {"no", "n", "false", "0", "nein", "non-billable", "not billable"}
DATE_FORMATS_ACCEPTED = "2021-04-01, 01/04/2021, 04/01/2021 or 01.04.2021 (four-digit years)"


class AmbiguousDateOrder(UserError):
    """The file's dates fit both day-first and month-first; the person must choose."""

    def __init__(self, message: str):
        super().__init__(message, field="date_order")


def detect_date_order(values: Iterable[tuple[int, str]], filename: str, chosen: DateOrder | None) -> DateOrder:
    """Decide how to read the file's dates whose year comes last (``03/04/2021``).

    A chosen order always wins. Otherwise a first number above 12 proves day-first and
    a second number above 12 proves month-first. A file with both is rejected, and a file
    where no date decides is rejected with a request to choose, because a silent guess
    would move entries by months.
    """
    if chosen is not None:
        return chosen
    day_first = month_first = None
    first_year_last = None
    for line, raw in values:
        match = _YEAR_LAST.fullmatch(raw.strip())
        if not match:
            continue
        first_year_last = first_year_last or (line, raw)
        if int(match["a"]) > 12 and day_first is None:
            day_first = (line, raw)
        if int(match["b"]) > 12 and month_first is None:
            month_first = (line, raw)
    if day_first and month_first:
        raise UserError(
            f"{filename} mixes day-first dates ({day_first[1]} on line {day_first[0]}) and month-first dates "
            f"({month_first[1]} on line {month_first[0]}); correct the file so all dates use one order",
            field="date_order",
        )
    if day_first:
        return DateOrder.DMY
    if month_first:
        return DateOrder.MDY
    if first_year_last:
        line, raw = first_year_last
        raise AmbiguousDateOrder(
            f"the dates in {filename} are ambiguous: {raw} on line {line} and every other date could be "
            "day/month/year or month/day/year; choose the date order (dmy or mdy) and import again"
        )
    return DateOrder.YMD


def parse_date(raw: str, order: DateOrder) -> date:
    text = raw.strip()
    match = _YEAR_FIRST.fullmatch(text)
    if match:
        return _make_date(raw, int(match["year"]), int(match["a"]), int(match["b"]))
    match = _YEAR_LAST.fullmatch(text)
    if match is None:
        raise ValueError(f"date {raw!r} is not in a known format; accepted are {DATE_FORMATS_ACCEPTED}")
    first, second = int(match["a"]), int(match["b"])
    if order == DateOrder.MDY:
        return _make_date(raw, int(match["year"]), first, second)
    if order == DateOrder.YMD:
        raise ValueError(f"date {raw!r} has the year last, but the date order was set to year/month/day")
    return _make_date(raw, int(match["year"]), second, first)


def _make_date(raw: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"date {raw!r} does not exist (read as year {year}, month {month}, day {day})") from None


def parse_time(raw: str) -> time:
    """Parse ``16:52``, ``16:52:12``, ``1:30 PM`` or ``01:30:00 pm``."""
    match = _TIME.fullmatch(raw.strip())
    if match is None:
        raise ValueError(f"time {raw!r} is not in a known format; accepted are 16:52, 16:52:12 or 4:52 PM")
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    if match["half"]:
        if not 1 <= hour <= 12:
            raise ValueError(f"time {raw!r} has hour {hour}, but a 12-hour time needs an hour from 1 to 12")
        hour = hour % 12 + (12 if match["half"].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"time {raw!r} does not exist; use hours 0-23, minutes and seconds 0-59")
    return time(hour, minute, second)


def parse_duration(raw: str) -> int:
    """Parse ``1:30:15``, ``1:30``, ``1.5`` or ``1,5`` (decimal hours) into seconds; zero is allowed."""
    text = raw.strip()
    match = _HMS_DURATION.fullmatch(text)
    if match:
        return int(match["h"]) * 3600 + int(match["m"]) * 60 + int(match["s"] or 0)
    if _DECIMAL_HOURS.fullmatch(text):
        try:
            return int((Decimal(text.replace(",", ".")) * 3600).to_integral_value())
        except InvalidOperation:
            pass
    raise ValueError(f"duration {raw!r} is not in a known format; accepted are 1:30:00, 1:30, 1.5 or 1,5 hours")


def parse_yes_no(raw: str) -> bool | None:
    """Return True or False for yes/no cells, None for an empty cell."""
    text = raw.strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"value {raw!r} is not yes or no; accepted are Yes, No, true, false, 1 or 0")
