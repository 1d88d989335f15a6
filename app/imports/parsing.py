"""Read a whole export file into records of one kind, collecting every row problem."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.imports.converting import CLIENT_CONVERTERS, PROJECT_CONVERTERS, RowReader, convert_time_row
from app.imports.formats import TIME, ImportFormat, detect_format, find_format
from app.imports.reading import ImportFileError, Table, read_table
from app.imports.records import ClientRecord, Problem, ProjectRecord, TimeRecord
from app.imports.values import DateOrder, detect_date_order


@dataclass
class ParsedFile:
    format: ImportFormat
    table: Table
    records: list[TimeRecord | ClientRecord | ProjectRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The order used for year-last dates; None for formats without dates.
    date_order: DateOrder | None = None

    @property
    def rows_read(self) -> int:
        return len(self.table.rows) + len(self.table.malformed)


def parse_file(data: bytes, filename: str, date_order: DateOrder | None = None) -> ParsedFile:
    """Decode, detect and convert ``data``; raise ImportFileError or a UserError for a file-wide fault.

    Faults of single rows do not raise. They are collected in ``problems``, so the
    import page and the CLI list all of them at once.
    """
    table = read_table(data, filename, lambda header: find_format(header) is not None)
    fmt = detect_format(table)
    if not table.rows and not table.malformed:
        raise ImportFileError(f"{filename} has a header but no data rows; export a period that contains data", line=2)
    parsed = ParsedFile(format=fmt, table=table)
    parsed.problems.extend(Problem(line, f"the row {message}") for line, message in table.malformed)
    reader = RowReader(fmt, table.header)
    if fmt.kind == TIME:
        parsed.date_order = detect_date_order(reader.date_values(table.rows), filename, date_order)
        convert = lambda row: convert_time_row(reader, row, parsed.date_order)  # noqa: E731
    else:
        converter = (CLIENT_CONVERTERS | PROJECT_CONVERTERS)[fmt.name]
        convert = lambda row: converter(reader, row)  # noqa: E731
    for row in table.rows:
        try:
            parsed.records.append(convert(row))
        except ValueError as exc:
            parsed.problems.append(Problem(row.line, str(exc)))
    parsed.problems.sort(key=lambda p: p.line)
    return parsed
