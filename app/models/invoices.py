"""Invoices, credit notes, their lines and taxes, number sequences, payments and client credit."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.accounts import User
from app.models.base import Base, DecimalString, UTCDateTime, str_enum, utcnow
from app.models.projects import Client


class InvoiceKind(str, enum.Enum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(str, enum.Enum):
    DRAFT = "draft"
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


class LineKind(str, enum.Enum):
    TIME = "time"
    EXPENSE = "expense"
    FIXED_FEE = "fixed_fee"
    MANUAL = "manual"


class PaymentMethod(str, enum.Enum):
    BANK_TRANSFER = "bank_transfer"
    CHEQUE = "cheque"
    CASH = "cash"
    # Card taken on an external terminal; TrackerBox never receives card numbers.
    CARD_TERMINAL = "card_terminal"
    CLIENT_CREDIT = "client_credit"


class TaxRate(Base):
    __tablename__ = "tax_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # Hundredths of a percent: 19 % is 1900, 7.7 % is 770.
    rate_basis_points: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)


class NumberSequence(Base):
    """The next number of a gapless series; incremented inside the issuing transaction."""

    __tablename__ = "number_sequences"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer, default=1)


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InvoiceKind] = mapped_column(str_enum(InvoiceKind), default=InvoiceKind.INVOICE)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    # Assigned when issued; drafts have none.
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[InvoiceStatus] = mapped_column(str_enum(InvoiceStatus), default=InvoiceStatus.DRAFT, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    # How billable work was grouped into lines: "task", "person" or "entry".
    grouping: Mapped[str] = mapped_column(String(20), default="task")
    discount_basis_points: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    subtotal_minor: Mapped[int] = mapped_column(Integer, default=0)
    discount_minor: Mapped[int] = mapped_column(Integer, default=0)
    tax_minor: Mapped[int] = mapped_column(Integer, default=0)
    total_minor: Mapped[int] = mapped_column(Integer, default=0)
    paid_minor: Mapped[int] = mapped_column(Integer, default=0)
    # For a credit note: the invoice it cancels.
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship()
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )
    payments: Mapped[list[Payment]] = relationship(back_populates="invoice", order_by="Payment.payment_date")
    credited_invoice: Mapped[Invoice | None] = relationship(remote_side=[id])

    @property
    def balance_minor(self) -> int:
        return self.total_minor - self.paid_minor


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind), default=LineKind.MANUAL)
    description: Mapped[str] = mapped_column(Text)
    # Hours for time lines, units otherwise; exact decimal.
    quantity: Mapped[Decimal] = mapped_column(DecimalString)
    unit_price_minor: Mapped[int] = mapped_column(Integer)
    # quantity x unit price, rounded half-up to the currency's minor unit.
    amount_minor: Mapped[int] = mapped_column(Integer)
    # The project whose time, expenses or fixed fee the line bills; empty for manual lines.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    taxes: Mapped[list[InvoiceLineTax]] = relationship(
        back_populates="line", cascade="all, delete-orphan", lazy="selectin"
    )


class InvoiceLineTax(Base):
    """A tax applied to one line, with the rate copied so later rate edits never change an invoice."""

    __tablename__ = "invoice_line_taxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("invoice_lines.id", ondelete="CASCADE"), index=True)
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id"))
    name: Mapped[str] = mapped_column(String(80))
    rate_basis_points: Mapped[int] = mapped_column(Integer)

    line: Mapped[InvoiceLine] = relationship(back_populates="taxes")


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    payment_date: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod))
    reference: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")
    client: Mapped[Client] = relationship()


class ClientCredit(Base):
    """A movement of a client's credit: positive from an overpayment, negative when applied."""

    __tablename__ = "client_credits"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(Integer)
    # The overpayment that created a positive row, or the client-credit payment that a
    # negative row paid; deleting that payment removes the row.
    source_payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    applied_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
