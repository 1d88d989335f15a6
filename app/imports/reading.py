"""Turn the bytes of an uploaded CSV export into a header and numbered rows.

The encoding is decided by trying strict UTF-8 first (with or without a byte order
mark), then Windows-1252, which is what spreadsheet programs on Windows write. A
UTF-16 file is accepted when it starts with its byte order mark. The delimiter is
whichever of comma, semicolon or tab makes the header row one that a known format
accepts, so a file is never half-read with the wrong delimiter.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from app.errors import UserError

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "a zip archive (an Excel .xlsx or .ods workbook is one)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook",
    b"%PDF": "a PDF document",
}


class ImportFileError(UserError):
    """A file that cannot be read as a CSV export; the message names the file and line."""

    def __init__(self, message: str, *, line: int = 0):
        super().__init__(message, field="file")
        self.line = line


@dataclass
class Row:
    """One data record: the physical line it starts on and its values by normalised header."""

    line: int
    values: dict[str, str]


@dataclass
class Table:
    filename: str
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[Row] = field(default_factory=list)
    # Records whose field count differs from the header, as (line, message).
    malformed: list[tuple[int, str]] = field(default_factory=list)


def normalize_header(name: str) -> str:
    """Lower-case a column name and collapse its spaces, so ``Start date`` matches ``start  Date``."""
    return re.sub(r"\s+", " ", name.replace("\ufeff", "").strip().strip('"').strip()).lower()


def decode(data: bytes, filename: str) -> tuple[str, str]:
    """Return the text of ``data`` and the name of the encoding it was read with."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError(f"{filename} is empty; export the data from the other tool as CSV and upload that file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ImportFileError(f"{filename} starts like UTF-16 text but is not valid UTF-16") from None
    for signature, kind in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise ImportFileError(f"{filename} is {kind}, not a CSV file; save or export it as CSV first")
    if b"\x00" in data[:65536]:
        raise ImportFileError(f"{filename} is a binary file, not CSV text; export the data from the other tool as CSV")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"{filename} starts with a UTF-8 byte order mark but byte {exc.start + 3} "
                                  "is not valid UTF-8") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{filename} is neither UTF-8 nor Windows-1252 text (byte {exc.start} is invalid "
                              "in both); save it as UTF-8 CSV") from None


def _first_record(text: str, delimiter: str) -> list[str]:
    first_line = text.split("\n", 1)[0].rstrip("\r")
    try:
        return next(csv.reader([first_line], delimiter=delimiter), [])
    except csv.Error:
        return []


def read_table(data: bytes, filename: str, accepts_header: Callable[[list[str]], bool]) -> Table:
    """Decode ``data`` and split it into rows, choosing the delimiter with ``accepts_header``.

    ``accepts_header`` receives the normalised header names for each candidate delimiter
    and returns whether a known format uses them. Raises ImportFileError when no
    delimiter gives such a header, or when a quoted field is never closed.
    """
    text, encoding = decode(data, filename)
    delimiter = None
    for candidate in DELIMITERS:
        if accepts_header([normalize_header(h) for h in _first_record(text, candidate)]):
            delimiter = candidate
            break
    if delimiter is None:
        return Table(filename=filename, encoding=encoding, delimiter="", header=_best_guess_header(text))
    return _split_rows(text, filename, encoding, delimiter)


def _best_guess_header(text: str) -> list[str]:
    """Split the header with the delimiter that gives the most columns, for the error message."""
    candidates = [_first_record(text, d) for d in DELIMITERS]
    return max(candidates, key=len)


def _split_rows(text: str, filename: str, encoding: str, delimiter: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    table = Table(filename=filename, encoding=encoding, delimiter=delimiter, header=[])
    previous_end = 0
    try:
        for record in reader:
            start_line, previous_end = previous_end + 1, reader.line_num
            if not table.header:
                table.header = [normalize_header(h) for h in record]
                continue
            if not any(value.strip() for value in record):
                continue
            if len(record) != len(table.header):
                table.malformed.append((start_line, f"has {len(record)} fields but the header has "
                                                    f"{len(table.header)}; check the quoting of this line"))
                continue
            values: dict[str, str] = {}
            for name, value in zip(table.header, record):
                values.setdefault(name, value.strip())
            table.rows.append(Row(line=start_line, values=values))
    except csv.Error as exc:
        raise ImportFileError(
            f"{filename} line {previous_end + 1}: the file cannot be read as CSV ({exc}); a quoted field is "
            "probably not closed, so check that the file was exported and copied completely",
            line=previous_end + 1,
        ) from None
    return table
