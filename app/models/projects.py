"""Clients, their projects, the tasks inside projects and who works on what."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Column, Enum, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.accounts import User
from app.models.base import Base, UTCDateTime, utcnow

# Client managers look after the invoices and payments of the clients listed here.
client_managers = Table(
    "client_managers",
    Base.metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class BillingMethod(str, enum.Enum):
    HOURLY = "hourly"
    FIXED_FEE = "fixed_fee"
    NON_BILLABLE = "non_billable"


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    tax_id: Mapped[str] = mapped_column(String(60), default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    projects: Mapped[list[Project]] = relationship(back_populates="client", order_by="Project.code")
    managers: Mapped[list[User]] = relationship(secondary=client_managers)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    billing_method: Mapped[BillingMethod] = mapped_column(
        Enum(BillingMethod, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=BillingMethod.HOURLY,
    )
    # Project-level hourly rate in minor units of the client's currency.
    hourly_rate_minor: Mapped[int | None] = mapped_column(Integer)
    # Agreed price for fixed-fee projects, in minor units of the client's currency.
    fixed_fee_minor: Mapped[int | None] = mapped_column(Integer)
    budget_seconds: Mapped[int | None] = mapped_column(Integer)
    budget_minor: Mapped[int | None] = mapped_column(Integer)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship(back_populates="projects")
    manager: Mapped[User | None] = relationship()
    members: Mapped[list[ProjectMember]] = relationship(back_populates="project", cascade="all, delete-orphan")
    tasks: Mapped[list[Task]] = relationship(back_populates="project", order_by="Task.name", cascade="all, delete-orphan")

    @property
    def currency(self) -> str:
        return self.client.currency

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


class ProjectMember(Base):
    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Rate of this person on this project; wins over task, project and personal rates.
    hourly_rate_minor: Mapped[int | None] = mapped_column(Integer)

    project: Mapped[Project] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    billable: Mapped[bool] = mapped_column(Boolean, default=True)
    hourly_rate_minor: Mapped[int | None] = mapped_column(Integer)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    project: Mapped[Project] = relationship(back_populates="tasks")
