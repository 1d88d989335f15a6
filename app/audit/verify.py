"""Checking the audit trail's HMAC chain, streaming the records in id order.

Each record's ``chain_hash`` covers its own content and the stored hash of the record
before it. Walking the records in id order therefore finds the first place where the
chain breaks. The break is classified like this:

- reordered: the record's content fits after a later record's hash (rows were swapped
  or moved);
- removed: the ids before the record have a gap, so the record it chained to is gone;
- changed: anything else, that is, the record's content or hash was altered.

Removing the newest records leaves an intact but shorter chain. Only a head kept
elsewhere (``ID:HASH`` of the newest record, as a backup manifest holds it) shows that,
so ``verify_chain`` takes an optional expected head.

NOTE: on PostgreSQL an audit insert that was rolled back leaves an unused id, so an id
gap alone is not proof of removal; it is reported only together with a broken link.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import chain_hash
from app.models import AuditEvent

BATCH_ROWS = 500
HEAD_FORMAT = re.compile(r"(\d{1,18}):([0-9a-f]{64})")


@dataclass(frozen=True)
class Head:
    """The newest record of the chain: its id and chain hash."""

    id: int
    hash: str

    def __str__(self) -> str:
        return f"{self.id}:{self.hash}"


@dataclass(frozen=True)
class Finding:
    """The first break of the chain: its kind, the record it names and a sentence for the operator."""

    kind: str  # "changed", "removed" or "reordered"
    record_id: int
    message: str


@dataclass(frozen=True)
class VerifyResult:
    records: int
    head: Head | None
    finding: Finding | None


def parse_head(text: str) -> Head:
    """Parse ``ID:HASH`` (decimal id, 64 lower-case hex digits); raise ValueError naming the problem."""
    match = HEAD_FORMAT.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"{text[:100]!r} is not ID:HASH; write the record id, a colon and the 64 hex digits of "
                         "its chain hash, e.g. 1042:3f5a...")
    return Head(int(match.group(1)), match.group(2))


def current_head(session: Session) -> Head | None:
    """Return the newest record's id and hash, or None for an empty trail."""
    row = session.execute(select(AuditEvent.id, AuditEvent.chain_hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    return Head(row.id, row.chain_hash) if row else None


def _events(session: Session, after_id: int = 0) -> Iterator[AuditEvent]:
    """Yield the records after ``after_id`` in id order, fetched BATCH_ROWS at a time.

    Callers close the generator (``contextlib.closing``) when they stop early, which
    closes the server-side cursor PostgreSQL uses for the batches.
    """
    statement = select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id)
    result = session.scalars(statement.execution_options(yield_per=BATCH_ROWS))
    try:
        for event in result:
            yield event
            session.expunge(event)
    finally:
        result.close()


def _links(key: bytes, previous_hash: str, event: AuditEvent) -> bool:
    return chain_hash(key, previous_hash, event) == event.chain_hash


def _later_predecessor(session: Session, key: bytes, broken: AuditEvent) -> int | None:
    """Return the id of a later record whose hash ``broken``'s content follows, if there is one."""
    with closing(_events(session, after_id=broken.id)) as events:
        for event in events:
            if _links(key, event.chain_hash, broken):
                return event.id
    return None


def _explain(session: Session, key: bytes, previous: AuditEvent | None, broken: AuditEvent) -> Finding:
    moved_after = _later_predecessor(session, key, broken)
    if moved_after is not None:
        return Finding("reordered", broken.id, f"record {broken.id} is out of order: its content belongs after "
                                               f"record {moved_after}, so records were swapped or moved")
    previous_id = previous.id if previous is not None else 0
    if broken.id > previous_id + 1:
        first, last = previous_id + 1, broken.id - 1
        missing = f"record {first}" if first == last else f"records {first} to {last}"
        return Finding("removed", first, f"{missing} were removed: record {broken.id} no longer links to the "
                                         f"record before it")
    return Finding("changed", broken.id, f"record {broken.id} was changed: its content or hash does not match "
                                         "the chain")


def _check_head(expected: Head, last: AuditEvent | None, session: Session) -> Finding | None:
    if last is None or last.id < expected.id:
        newest = last.id if last is not None else "none"
        return Finding("removed", expected.id, f"record {expected.id} (the expected head) and any records after "
                                               f"record {newest} were removed: the newest record is {newest}")
    stored = session.scalar(select(AuditEvent.chain_hash).where(AuditEvent.id == expected.id))
    if stored is None:
        return Finding("removed", expected.id, f"record {expected.id} (the expected head) was removed")
    if stored != expected.hash:
        return Finding("changed", expected.id, f"record {expected.id} does not have the expected head hash; the "
                                               "trail was rewritten from that record on")
    return None


def verify_chain(session: Session, key: bytes, expected_head: Head | None = None) -> VerifyResult:
    """Walk the chain in id order and return the record count, the head and the first break found."""
    previous: AuditEvent | None = None
    count = 0
    with closing(_events(session)) as events:
        for event in events:
            if not _links(key, previous.chain_hash if previous is not None else "", event):
                events.close()
                return VerifyResult(count, None, _explain(session, key, previous, event))
            previous = event
            count += 1
    finding = _check_head(expected_head, previous, session) if expected_head is not None else None
    head = Head(previous.id, previous.chain_hash) if previous is not None else None
    return VerifyResult(count, head, finding)
