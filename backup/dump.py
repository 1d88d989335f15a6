"""Logical dump and load of every table, in JSON lines that restore on SQLite and PostgreSQL.

A table dump is one header line ``{"table": ..., "columns": [...], "types": [...]}``
followed by one JSON array per row, in primary-key order. Each column's type names how
its values are written, so every value comes back exactly:

- ``int``, ``bool``, ``str``, ``float``: the JSON value as it is
- ``decimal``: the decimal as a string ("12.50")
- ``datetime``, ``date``, ``time``: ISO 8601 text, naive as the database stores it
- ``bytes``: base64 text
- ``json``: the JSON document itself

NULL is ``null`` everywhere. In a JSON column SQL NULL and a JSON ``null`` document
therefore load as the same value.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TextIO

from sqlalchemy import MetaData, Table, func, select, text, types
from sqlalchemy.engine import Connection, Engine

from app import db
from backup.errors import BackupError

# Tables the dump leaves out: the schema revision travels in the manifest instead.
SKIPPED_TABLES = {"alembic_version"}
BATCH_ROWS = 1000


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """Open one read-only transaction that sees the database as it was when it began.

    SQLite (WAL) starts a deferred read transaction; PostgreSQL uses REPEATABLE READ READ
    ONLY. Other connections keep writing meanwhile without being seen or blocked.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with connection.begin():
                connection.execute(text("SELECT 1"))
                yield connection
        return
    token = db.write_intent.set(False)
    try:
        with engine.connect() as connection, connection.begin():
            # The first read fixes the snapshot of a deferred SQLite transaction.
            connection.execute(text("SELECT count(*) FROM sqlite_master"))
            yield connection
    finally:
        db.write_intent.reset(token)


def reflect(connection: Connection) -> list[Table]:
    """Return the database's own tables in foreign-key order (parents first)."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    return [table for table in metadata.sorted_tables if table.name not in SKIPPED_TABLES]


def column_codec(column_type: types.TypeEngine) -> str:
    checks: list[tuple[type, str]] = [
        (types.JSON, "json"),
        (types.Boolean, "bool"),
        (types.DateTime, "datetime"),
        (types.Date, "date"),
        (types.Time, "time"),
        (types.Float, "float"),
        (types.Numeric, "decimal"),
        (types.Integer, "int"),
        (types._Binary, "bytes"),
        (types.String, "str"),
    ]
    for type_class, codec in checks:
        if isinstance(column_type, type_class):
            return codec
    raise BackupError(f"column type {column_type!r} has no dump format; this TrackerBox version cannot back it up")


def _encode(value: Any, codec: str, where: str) -> Any:
    if value is None or codec in {"json", "int", "bool", "str", "float"}:
        if codec == "str" and value is not None and not isinstance(value, str):
            raise BackupError(f"{where} holds {type(value).__name__} {value!r} in a text column; fix the row first")
        return value
    if codec in {"datetime", "date", "time"}:
        return value.isoformat()
    if codec == "decimal":
        return format(Decimal(value), "f")
    if codec == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    raise BackupError(f"{where}: unknown dump format {codec!r}")


_DECODERS = {
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "decimal": Decimal,
    "bytes": base64.b64decode,
}


def _decode(value: Any, codec: str) -> Any:
    if value is None or codec not in _DECODERS:
        return value
    return _DECODERS[codec](value)


def count_rows(connection: Connection, table: Table) -> int:
    return connection.scalar(select(func.count()).select_from(table))


def dump_table(connection: Connection, table: Table, out: TextIO) -> int:
    """Write ``table`` as JSON lines to ``out``; return the number of rows."""
    columns = list(table.columns)
    codecs = [column_codec(column.type) for column in columns]
    header = {"table": table.name, "columns": [c.name for c in columns], "types": codecs}
    out.write(json.dumps(header) + "\n")
    order = list(table.primary_key.columns) or columns
    result = connection.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(
        select(*columns).order_by(*order))
    count = 0
    for row in result:
        encoded = [_encode(value, codec, f"{table.name}.{columns[i].name}")
                   for i, (value, codec) in enumerate(zip(row, codecs))]
        out.write(json.dumps(encoded, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def read_header(line: str, origin: str) -> dict[str, Any]:
    try:
        header = json.loads(line)
        if not isinstance(header, dict) or len(header["columns"]) != len(header["types"]):
            raise ValueError("columns and types differ")
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{origin}: the table header is invalid ({exc})") from None
    return header


def load_table(connection: Connection, table: Table, lines: Iterable[str], origin: str) -> int:
    """Insert the rows of one table dump into ``table``; return the number of rows."""
    iterator = iter(lines)
    header = read_header(next(iterator, ""), origin)
    names = header["columns"]
    missing = set(names) - set(table.columns.keys())
    if header["table"] != table.name or missing:
        raise BackupError(f"{origin}: the dump of table {header['table']} does not match the schema "
                          f"(unknown columns: {', '.join(sorted(missing)) or 'none'}); the archive is damaged")
    codecs = header["types"]
    batch: list[dict[str, Any]] = []
    count = 0
    for line in iterator:
        values = json.loads(line)
        batch.append({name: _decode(value, codec) for name, value, codec in zip(names, values, codecs)})
        if len(batch) >= BATCH_ROWS:
            connection.execute(table.insert(), batch)
            count += len(batch)
            batch = []
    if batch:
        connection.execute(table.insert(), batch)
        count += len(batch)
    return count


def reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """Move each PostgreSQL id sequence past the highest restored id (no-op on SQLite)."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                         {"t": f'"{table.name}"', "c": column.name})
            if sequence:
                connection.execute(
                    text(f'SELECT setval(:s, COALESCE((SELECT max("{column.name}") FROM "{table.name}"), 0) + 1, false)'),
                    {"s": sequence})
