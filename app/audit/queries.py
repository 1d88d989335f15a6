"""Filtering the audit trail for the trail page and its CSV export.

A person with audit.read_all sees every record; everyone else sees only the records
of their own actions.
"""
from __future__ import annotations

import csv
import io
import ipaddress
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import Select, func, select

from app import db
from app.audit.service import record
from app.errors import UserError
from app.exports.columns import escape_cell
from app.models import AuditEvent, User
from app.security.permissions import Permission
from app.inputs import parse_optional_date

OUTCOMES = ("success", "failure")
FILTER_FIELDS = ("login", "action", "object_type", "object_id", "since", "until", "ip", "outcome")
CSV_HEADER = ("id", "time_utc", "user_id", "login", "profiles", "action", "object_type", "object_id", "outcome",
              "ip", "user_agent", "request_id", "details", "chain_hash")
# Rows fetched per round trip while the export streams.
STREAM_BATCH_ROWS = 500
STREAM_CHUNK_CHARS = 64 * 1024


@dataclass(frozen=True)
class AuditFilters:
    login: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None
    ip: str = ""
    outcome: str = ""

    def as_text(self) -> dict[str, str]:
        """Return the filters as the strings the filter form shows, empty for unset ones."""
        return {key: (value.isoformat() if isinstance(value, date) else value or "")
                for key, value in asdict(self).items()}


def may_read_all(user: User) -> bool:
    return user.can(Permission.AUDIT_READ_ALL.value)


def _parse_ip(raw: str) -> str:
    if not raw:
        return ""
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise UserError(f"ip: {raw[:60]!r} is not an IP address; write one address such as 192.0.2.10 or "
                        "2001:db8::1", field="ip") from None


def parse_filters(values: Mapping[str, str]) -> AuditFilters:
    """Check the filter values of the trail page; raise UserError naming the first invalid one."""
    text = {key: (values.get(key) or "").strip()[:100] for key in FILTER_FIELDS}
    if text["outcome"] and text["outcome"] not in OUTCOMES:
        raise UserError(f"outcome: {text['outcome']!r} is not one of {', '.join(OUTCOMES)}; leave it empty for both",
                        field="outcome")
    filters = AuditFilters(
        login=text["login"].lower(), action=text["action"], object_type=text["object_type"],
        object_id=text["object_id"], since=parse_optional_date(text["since"], field="since"),
        until=parse_optional_date(text["until"], field="until"), ip=_parse_ip(text["ip"]), outcome=text["outcome"],
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise UserError(f"until: {filters.until.isoformat()} is before the start date {filters.since.isoformat()}; "
                        "swap the two dates", field="until")
    return filters


def trail_query(user: User, filters: AuditFilters) -> Select:
    """Return the records ``user`` may read that match ``filters``, newest first."""
    statement = select(AuditEvent).order_by(AuditEvent.id.desc())
    if not may_read_all(user):
        statement = statement.where(AuditEvent.user_id == user.id)
    if filters.login:
        statement = statement.where(func.lower(AuditEvent.login) == filters.login)
    if filters.action:
        statement = statement.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.object_type:
        statement = statement.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        statement = statement.where(AuditEvent.object_id == filters.object_id)
    if filters.since:
        statement = statement.where(AuditEvent.created_at >= datetime.combine(filters.since, time.min, timezone.utc))
    if filters.until:
        statement = statement.where(AuditEvent.created_at <= datetime.combine(filters.until, time.max, timezone.utc))
    if filters.ip:
        statement = statement.where(AuditEvent.ip == filters.ip)
    if filters.outcome:
        statement = statement.where(AuditEvent.outcome == filters.outcome)
    return statement


def export_filename(filters: AuditFilters) -> str:
    parts = ["trackerbox", "audit"]
    if filters.since:
        parts.append(f"from-{filters.since.isoformat()}")
    if filters.until:
        parts.append(f"to-{filters.until.isoformat()}")
    return "-".join(parts) + ".csv"


def _csv_row(event: AuditEvent) -> list[str]:
    cells = [
        str(event.id), event.created_at.isoformat(), "" if event.user_id is None else str(event.user_id),
        event.login, event.profiles, event.action, event.object_type, event.object_id, event.outcome, event.ip,
        event.user_agent, event.request_id, json.dumps(event.details, sort_keys=True, ensure_ascii=False),
        event.chain_hash,
    ]
    # Numbers and times that TrackerBox writes itself stay as they are; every text cell is escaped.
    return cells[:2] + [cells[2]] + [escape_cell(cell) for cell in cells[3:]]


def csv_chunks(statement: Select) -> Iterator[str]:
    """Yield the CSV text of the records of ``statement`` in batches, UTF-8 byte order mark first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(CSV_HEADER)
    token = db.write_intent.set(False)
    try:
        for event in db.session.scalars(statement.execution_options(yield_per=STREAM_BATCH_ROWS)):
            writer.writerow(_csv_row(event))
            if buffer.tell() >= STREAM_CHUNK_CHARS:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()
    finally:
        db.write_intent.reset(token)


def start_export(user: User, filters: AuditFilters) -> tuple[str, Iterator[str]]:
    """Audit the export itself, then return the file name and the CSV text (oldest record first) as chunks.

    The export covers the records up to the newest one at the start, so its own audit
    record and anything written while it streams are not part of the file.
    """
    newest = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    statement = trail_query(user, filters).where(AuditEvent.id <= newest).order_by(None).order_by(AuditEvent.id)
    rows = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    details = {key: value for key, value in filters.as_text().items() if value}
    scope = "all" if may_read_all(user) else "own"
    record("audit.export", object_type="audit_trail", details=details | {"rows": rows, "scope": scope})
    return export_filename(filters), csv_chunks(statement)
