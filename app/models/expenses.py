"""Expenses, their categories and the expense reports that group them for approval."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.accounts import User
from app.models.base import Base, DecimalString, UTCDateTime, str_enum, utcnow
from app.models.projects import Project


class ExpenseStatus(str, enum.Enum):
    OPEN = "open"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReportStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    REIMBURSED = "reimbursed"


class ExpenseCategory(Base):
    __tablename__ = "expense_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # For unit-priced categories such as mileage: the unit name ("km") and price per unit.
    unit: Mapped[str] = mapped_column(String(20), default="")
    unit_rate_minor: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ExpenseReport(Base):
    __tablename__ = "expense_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[ReportStatus] = mapped_column(str_enum(ReportStatus), default=ReportStatus.DRAFT, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str] = mapped_column(Text, default="")
    reimbursed_on: Mapped[date | None] = mapped_column(Date)
    reimbursement_reference: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    expenses: Mapped[list[Expense]] = relationship(back_populates="report", order_by="Expense.expense_date")


class Expense(Base):
    __tablename__ = "expenses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("expense_categories.id"))
    expense_date: Mapped[date] = mapped_column(Date, index=True)
    # Units for unit-priced categories (kilometres driven); empty otherwise.
    quantity: Mapped[Decimal | None] = mapped_column(DecimalString)
    # Gross amount including tax, and the tax inside it, in minor units of currency.
    amount_minor: Mapped[int] = mapped_column(Integer)
    tax_minor: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    notes: Mapped[str] = mapped_column(Text, default="")
    billable: Mapped[bool] = mapped_column(Boolean, default=True)
    reimbursable: Mapped[bool] = mapped_column(Boolean, default=True)
    # Receipt stored under a random name in the upload directory, outside the web root.
    receipt_name: Mapped[str | None] = mapped_column(String(80))
    receipt_original_name: Mapped[str] = mapped_column(String(255), default="")
    receipt_content_type: Mapped[str] = mapped_column(String(60), default="")
    receipt_size: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[ExpenseStatus] = mapped_column(str_enum(ExpenseStatus), default=ExpenseStatus.OPEN, index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("expense_reports.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    project: Mapped[Project] = relationship()
    category: Mapped[ExpenseCategory] = relationship()
    report: Mapped[ExpenseReport | None] = relationship(back_populates="expenses")
