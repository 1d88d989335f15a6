"""Reading export files: encodings, delimiters, formats, dates, times, durations and bad files."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from app.errors import UserError
from app.imports.parsing import parse_file
from app.imports.reading import ImportFileError
from app.imports.values import (
    AmbiguousDateOrder,
    DateOrder,
    detect_date_order,
    parse_date,
    parse_duration,
    parse_time,
    parse_yes_no,
)

TOGGL = "imports/toggl/detailed_2021_student_project.csv"
CLOCKIFY_HEADER = ("Project,Client,Description,Task,User,Group,Email,Tags,Billable,Start Date,Start Time,End Date,"
                   "End Time,Duration (h),Duration (decimal),Billable Rate (USD),Billable Amount (USD)\n")
HARVEST_HEADER = ("Date,Client,Project,Project Code,Task,Notes,Hours,Hours Rounded,Billable?,Invoiced?,Approved?,"
                  "First Name,Last Name,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency,"
                  "External Reference URL\n")
KIMAI_HEADER = "Date,From,To,Duration,Rate,User,Customer,Project,Activity,Description,Exported,Tags,Hourly rate\n"


def _read(fixtures_dir, name: str) -> bytes:
    return (fixtures_dir / name).read_bytes()


# Real files
@pytest.mark.parametrize("name, fmt, delimiter, rows", [
    (TOGGL, "toggl_detailed", ",", 43),
    ("imports/kimai/customers.csv", "kimai_customers", ",", 10),
    ("imports/kimai/projects.csv", "kimai_projects", ",", 3),
    ("imports/kimai/grandtotal_de.csv", "grandtotal_de", ";", 2),
    ("imports/kimai/grandtotal_en.csv", "grandtotal_en", ";", 1),
])
def test_fixture_detected_and_read(fixtures_dir, name, fmt, delimiter, rows):
    parsed = parse_file(_read(fixtures_dir, name), name)

    assert parsed.format.name == fmt
    assert parsed.table.delimiter == delimiter
    assert parsed.rows_read == rows
    assert len(parsed.records) == rows
    assert parsed.problems == []


def test_toggl_rows_keep_quoted_commas_and_midnight(fixtures_dir):
    records = parse_file(_read(fixtures_dir, TOGGL), "toggl.csv").records

    quoted = next(r for r in records if r.line == 10)
    assert quoted.notes == "Basic buttons for search and cart to basic pages, reworking on dropdown menu"
    midnight = next(r for r in records if r.line == 11)
    assert midnight.start == datetime(2021, 5, 7, 22, 12)
    assert midnight.end == datetime(2021, 5, 8, 0, 2)
    assert midnight.work_date == date(2021, 5, 7)
    assert midnight.file_duration_seconds == 6600
    assert sum(r.file_duration_seconds for r in records) == 149_108


def test_kimai_customers_multiline_and_hidden(fixtures_dir):
    records = {r.name: r for r in parse_file(_read(fixtures_dir, "imports/kimai/customers.csv"), "c.csv").records}

    assert sorted(records)[:3] == ["Cassin LLC", "Gaylord-Kling", "Kub, Lowe and Daugherty"]
    cassin = records["Cassin LLC"]
    assert cassin.address == "Cassin Limited\n7170 Scottie Motorway Suite 828\nBridgettestad, MO 04855-1492\nYE"
    assert cassin.currency == "EUR"
    assert cassin.timezone == "Pacific/Pitcairn"
    assert cassin.tax_id == "AT U33445071"
    assert records["Smitham, Balistreri and Ondricka"].archived is True
    assert records["Stanton PLC"].archived is False
    assert records["Kub, Lowe and Daugherty"].line == 6


def test_grandtotal_german_notes_lose_br_tags(fixtures_dir):
    first, second = parse_file(_read(fixtures_dir, "imports/kimai/grandtotal_de.csv"), "g.csv").records

    assert first.name == "Keleo"
    assert first.contact_name == "Bc Alex Example"
    assert first.address == "IT Abteilung\nAcme Street\nDowntown\n1022 Vienna\nDE"
    assert first.notes == "sakdjhfg laksjhdfasd f#asd\nfas\ndfasdfasdf\nasdfasdfasdf"
    assert "<br>" not in first.notes
    assert second.line == 7


# Encodings
def test_windows_1252_file_is_read(fixtures_dir):
    data = _read(fixtures_dir, "imports/kimai/grandtotal_de.csv").decode("utf-8").replace("Keleo", "Kéleo Straße")
    parsed = parse_file(data.encode("cp1252"), "g.csv")

    assert parsed.table.encoding == "windows-1252"
    assert parsed.format.name == "grandtotal_de"
    assert parsed.records[0].name == "Kéleo Straße"


def test_utf8_bom_file_is_read(fixtures_dir):
    parsed = parse_file(b"\xef\xbb\xbf" + _read(fixtures_dir, TOGGL), "bom.csv")

    assert parsed.table.encoding == "utf-8-sig"
    assert parsed.format.name == "toggl_detailed"
    assert len(parsed.records) == 43


def test_utf16_file_with_bom_is_read(fixtures_dir):
    parsed = parse_file(_read(fixtures_dir, "imports/kimai/grandtotal_en.csv").decode().encode("utf-16"), "u.csv")

    assert parsed.table.encoding == "utf-16"
    assert parsed.records[0].name == "Keleo"


# Other formats, from samples with the columns those products write
def test_clockify_twelve_hour_times_and_decimal_duration():
    data = CLOCKIFY_HEADER + (
        'Website,"Acme, Inc.",Landing page,Design,Jane Doe,,jane@example.test,,Yes,'
        "04/15/2021,09:30:00 PM,04/16/2021,12:15:00 AM,02:45:00,2.75,100.00,275.00\n"
    )
    record = parse_file(data.encode(), "clockify.csv").records[0]

    assert record.client == "Acme, Inc."
    assert record.start == datetime(2021, 4, 15, 21, 30)
    assert record.end == datetime(2021, 4, 16, 0, 15)
    assert record.file_duration_seconds == 9900
    assert record.billable is True


def test_harvest_rows_are_duration_only():
    data = HARVEST_HEADER + (
        "2021-03-04,Acme,Website,WEB-1,Design,Mock-ups,1.5,1.5,Yes,No,Yes,Jane,Doe,Designer,Yes,100,150,40,60,EUR,\n"
    )
    record = parse_file(data.encode(), "harvest.csv").records[0]

    assert record.person_name == "Jane Doe"
    assert record.project_code == "WEB-1"
    assert record.start is None
    assert record.work_date == date(2021, 3, 4)
    assert record.file_duration_seconds == 5400


def test_kimai_timesheet_past_midnight_ends_next_day():
    data = KIMAI_HEADER + "2021-03-04,22:00,01:30,3:30,0,jane,Acme,Website,Design,Late fix,0,,100\n"
    record = parse_file(data.encode(), "kimai.csv").records[0]

    assert record.start == datetime(2021, 3, 4, 22, 0)
    assert record.end == datetime(2021, 3, 5, 1, 30)
    assert record.task == "Design"


def test_kimai_timesheet_german_semicolon_header():
    data = ("Datum;Von;Bis;Dauer;Benutzer;Kunde;Projekt;Tätigkeit;Beschreibung\n"
            "15.03.2021;08:00;09:30;1,5;jane;Müller GmbH;Website;Design;Besprechung\n")
    parsed = parse_file(data.encode("cp1252"), "kimai_de.csv")

    assert parsed.format.name == "kimai_timesheets"
    assert parsed.date_order == DateOrder.DMY
    assert parsed.records[0].client == "Müller GmbH"
    assert parsed.records[0].work_date == date(2021, 3, 15)


# Dates
def test_ambiguous_dates_are_rejected_without_order():
    data = CLOCKIFY_HEADER + (
        "Website,Acme,A,,Jane,,jane@example.test,,No,03/04/2021,09:00:00 AM,03/04/2021,10:00:00 AM,01:00:00,1,,\n"
        "Website,Acme,B,,Jane,,jane@example.test,,No,04/05/2021,09:00:00 AM,04/05/2021,10:00:00 AM,01:00:00,1,,\n"
    )
    with pytest.raises(AmbiguousDateOrder) as caught:
        parse_file(data.encode(), "ambiguous.csv")
    assert "03/04/2021 on line 2" in caught.value.message
    assert "choose the date order (dmy or mdy)" in caught.value.message

    day_first = parse_file(data.encode(), "ambiguous.csv", DateOrder.DMY).records
    assert [r.work_date for r in day_first] == [date(2021, 4, 3), date(2021, 5, 4)]
    month_first = parse_file(data.encode(), "ambiguous.csv", DateOrder.MDY).records
    assert [r.work_date for r in month_first] == [date(2021, 3, 4), date(2021, 4, 5)]


@pytest.mark.parametrize("values, order", [
    ([(2, "13/04/2021"), (3, "03/04/2021")], DateOrder.DMY),
    ([(2, "04/13/2021"), (3, "03/04/2021")], DateOrder.MDY),
    ([(2, "2021-04-03")], DateOrder.YMD),
    ([(2, "01.02.2021"), (3, "31.12.2021")], DateOrder.DMY),
])
def test_date_order_decided_by_file(values, order):
    assert detect_date_order(values, "f.csv", None) == order


def test_date_order_mixed_is_rejected():
    with pytest.raises(UserError) as caught:
        detect_date_order([(2, "13/04/2021"), (3, "04/13/2021")], "f.csv", None)
    assert "mixes day-first dates (13/04/2021 on line 2) and month-first dates (04/13/2021 on line 3)" in \
        caught.value.message


@pytest.mark.parametrize("raw, order, expected", [
    ("2021-04-03", DateOrder.DMY, date(2021, 4, 3)),
    ("2021/4/3", DateOrder.MDY, date(2021, 4, 3)),
    ("03/04/2021", DateOrder.DMY, date(2021, 4, 3)),
    ("03/04/2021", DateOrder.MDY, date(2021, 3, 4)),
    ("3.4.2021", DateOrder.DMY, date(2021, 4, 3)),
])
def test_parse_date_accepts(raw, order, expected):
    assert parse_date(raw, order) == expected


@pytest.mark.parametrize("raw, order, fragment", [
    ("13/13/2021", DateOrder.DMY, "does not exist"),
    ("31/04/2021", DateOrder.DMY, "does not exist (read as year 2021, month 4, day 31)"),
    ("03/04/21", DateOrder.DMY, "not in a known format"),
    ("03/04/2021", DateOrder.YMD, "has the year last"),
    ("yesterday", DateOrder.DMY, "not in a known format"),
])
def test_parse_date_rejects(raw, order, fragment):
    with pytest.raises(ValueError) as caught:
        parse_date(raw, order)
    assert fragment in str(caught.value)


# Times, durations, yes/no
@pytest.mark.parametrize("raw, expected", [
    ("16:52", time(16, 52)),
    ("16:52:12", time(16, 52, 12)),
    ("1:30 PM", time(13, 30)),
    ("01:30:00 pm", time(13, 30)),
    ("12:05 AM", time(0, 5)),
    ("12:05 PM", time(12, 5)),
    ("9:15a.m.", time(9, 15)),
])
def test_parse_time_accepts(raw, expected):
    assert parse_time(raw) == expected


@pytest.mark.parametrize("raw", ["25:00", "13:00 PM", "0:30 AM", "noon", "16:60", "16:52m"])
def test_parse_time_rejects(raw):
    with pytest.raises(ValueError):
        parse_time(raw)


@pytest.mark.parametrize("raw, seconds", [
    ("00:03:58", 238), ("1:30", 5400), ("30:00:00", 108_000), ("1.5", 5400), ("1,25", 4500), ("0", 0),
])
def test_parse_duration_accepts(raw, seconds):
    assert parse_duration(raw) == seconds


@pytest.mark.parametrize("raw", ["-1:00", "1:75", "one hour", "1.2.3"])
def test_parse_duration_rejects(raw):
    with pytest.raises(ValueError):
        parse_duration(raw)


@pytest.mark.parametrize("raw, expected", [("Yes", True), ("no", False), ("1", True), ("0", False), ("", None)])
def test_parse_yes_no(raw, expected):
    assert parse_yes_no(raw) is expected


# Bad files
@pytest.mark.parametrize("data, fragment", [
    (b"", "bad.csv is empty"),
    (b"\xef\xbb\xbf\r\n", "bad.csv is empty"),
    (b"PK\x03\x04rest-of-zip", "bad.csv is a zip archive"),
    (b"\x00\x01\x02binary", "bad.csv is a binary file"),
    (b"Foo;Bar\n1;2\n", "bad.csv line 1: the header is not one TrackerBox can import (columns found: Foo, Bar)"),
    (b"\x81\x8d\x8f\x90", "neither UTF-8 nor Windows-1252"),
])
def test_bad_file_rejected_with_reason(data, fragment):
    with pytest.raises(ImportFileError) as caught:
        parse_file(data, "bad.csv")
    assert fragment in caught.value.message


def test_header_without_rows_is_rejected(fixtures_dir):
    header = _read(fixtures_dir, TOGGL).split(b"\n")[0] + b"\n"
    with pytest.raises(ImportFileError) as caught:
        parse_file(header, "head.csv")
    assert caught.value.message == "head.csv has a header but no data rows; export a period that contains data"


def test_truncated_quote_names_line(fixtures_dir):
    data = _read(fixtures_dir, TOGGL)
    cut = data[:data.index(b'"Basic buttons') + 20]
    with pytest.raises(ImportFileError) as caught:
        parse_file(cut, "cut.csv")
    assert caught.value.line == 10
    assert caught.value.message.startswith("cut.csv line 10: the file cannot be read as CSV")
    assert "quoted field is probably not closed" in caught.value.message


def test_row_problems_are_collected_with_lines(fixtures_dir):
    lines = _read(fixtures_dir, TOGGL).decode().splitlines()
    lines[3] = lines[3].replace("2021-04-20,18:06:40", "2021-04-31,18:06:40")
    lines[5] = lines[5].replace("21:50:08", "half past nine")
    lines[7] = "Worker One,short row"
    parsed = parse_file("\n".join(lines).encode(), "edited.csv")

    assert [(p.line, p.reason) for p in parsed.problems] == [
        (4, "date '2021-04-31' does not exist (read as year 2021, month 4, day 31)"),
        (6, "time 'half past nine' is not in a known format; accepted are 16:52, 16:52:12 or 4:52 PM"),
        (8, "the row has 2 fields but the header has 14; check the quoting of this line"),
    ]
    assert len(parsed.records) == 40
    assert parsed.rows_read == 43
