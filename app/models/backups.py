"""Backup targets added in the admin UI, the outcome of each backup per target, and scheduler runs."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class BackupTarget(Base):
    """A target configured in the admin UI; targets from the config file are not stored here."""

    __tablename__ = "backup_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(400))
    schedule: Mapped[str] = mapped_column(String(20), default="daily")
    host: Mapped[str | None] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=22)
    user: Mapped[str | None] = mapped_column(String(80))
    key_file: Mapped[str | None] = mapped_column(String(400))
    known_hosts: Mapped[str | None] = mapped_column(String(400))
    keep_daily: Mapped[int] = mapped_column(Integer, default=7)
    keep_weekly: Mapped[int] = mapped_column(Integer, default=4)
    keep_monthly: Mapped[int] = mapped_column(Integer, default=12)
    require_mount: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BackupRun(Base):
    """One archive written to one target: verified, or failed with the reason."""

    __tablename__ = "backup_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(40), index=True)
    # "daily", "weekly" or "manual".
    kind: Mapped[str] = mapped_column(String(20))
    archive: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "verified" or "failed"; only a verified run counts as a backup.
    outcome: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(Text, default="")


class SchedulerJob(Base):
    """The last run of each scheduled job, so runs missed while the box was off are caught up."""

    __tablename__ = "scheduler_jobs"

    job_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "ok" or "failed".
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    last_message: Mapped[str] = mapped_column(Text, default="")
