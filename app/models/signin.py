"""Password history and the counters that slow down and stop repeated wrong sign-ins."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class PasswordHistory(Base):
    """The bcrypt hash of a password a person chose, kept to refuse its reuse."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignInThrottle(Base):
    """Failed sign-ins counted for one login name or one client address.

    ``scope`` is "login" or "address". For a login, ``key`` is an HMAC-SHA256 of the
    normalised login name, so known and unknown names are stored alike and the table
    does not list the names people typed. For an address, ``key`` is the address itself.
    """

    __tablename__ = "sign_in_throttles"

    scope: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Consecutive failures of a login, or failures of an address since first_failure_at.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
