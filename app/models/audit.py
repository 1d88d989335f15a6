"""The audit trail: one append-only row per state change, chained by a keyed hash."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The acting user; no foreign key, so that the trail outlives any account.
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    login: Mapped[str] = mapped_column(String(80), default="")
    profiles: Mapped[str] = mapped_column(String(400), default="")
    # Dotted verb such as "invoice.issue" or "auth.login_failed".
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(40), default="")
    # {"before": {...}, "after": {...}} or other context; never secrets.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    request_id: Mapped[str] = mapped_column(String(36), default="")
    # "success" or "failure" (refused, invalid credentials, ...).
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    # HMAC-SHA256 of this record and the previous record's chain_hash, hex.
    chain_hash: Mapped[str] = mapped_column(String(64), default="")
