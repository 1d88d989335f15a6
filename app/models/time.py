"""Time entries, weekly timesheets and the approval decisions taken on them."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.accounts import User
from app.models.base import Base, UTCDateTime, str_enum, utcnow
from app.models.projects import Project, Task


class EntryStatus(str, enum.Enum):
    OPEN = "open"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class TimesheetStatus(str, enum.Enum):
    OPEN = "open"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


# A timer runs while an entry has a start and no end; this predicate backs the
# one-running-timer-per-person index on both SQLite and PostgreSQL.
RUNNING_TIMER_WHERE = text("start_at IS NOT NULL AND end_at IS NULL")


class TimeEntry(Base):
    __tablename__ = "time_entries"
    __table_args__ = (
        Index("ix_time_entries_one_running_timer", "user_id", unique=True,
              sqlite_where=RUNNING_TIMER_WHERE, postgresql_where=RUNNING_TIMER_WHERE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    # UTC instants; both empty for a duration-only entry, end empty while a timer runs.
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Seconds between the instants (exact over DST changes); empty while a timer runs.
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    # IANA zone of the person when the entry was made; decides the day it counts on.
    timezone: Mapped[str] = mapped_column(String(64))
    # The local date of the start: an entry crossing midnight counts on this day.
    work_date: Mapped[date] = mapped_column(Date, index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    billable: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[EntryStatus] = mapped_column(str_enum(EntryStatus), default=EntryStatus.OPEN, index=True)
    rejection_comment: Mapped[str] = mapped_column(Text, default="")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    # The owner's timesheet for the week of work_date, once that week has one.
    timesheet_id: Mapped[int | None] = mapped_column(ForeignKey("timesheets.id"), index=True)
    # Stable fingerprint of an imported row, so a re-import creates no duplicate.
    import_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    project: Mapped[Project] = relationship()
    task: Mapped[Task | None] = relationship()

    @property
    def running(self) -> bool:
        return self.start_at is not None and self.end_at is None and self.duration_seconds is None


class Timesheet(Base):
    """One person's week (Monday to Sunday in their time zone) and its submission state."""

    __tablename__ = "timesheets"
    __table_args__ = (UniqueConstraint("user_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    week_start: Mapped[date] = mapped_column(Date)
    status: Mapped[TimesheetStatus] = mapped_column(str_enum(TimesheetStatus), default=TimesheetStatus.OPEN)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ApprovalDecision(Base):
    """An approver's decision on one project's part of a timesheet or on an expense report."""

    __tablename__ = "approval_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    timesheet_id: Mapped[int | None] = mapped_column(ForeignKey("timesheets.id"), index=True)
    expense_report_id: Mapped[int | None] = mapped_column(ForeignKey("expense_reports.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # "approve", "reject" or "reopen".
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    approver: Mapped[User] = relationship()
