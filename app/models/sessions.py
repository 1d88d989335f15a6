"""Server-side sign-in sessions and the allowed address ranges (IP allow-lists)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.accounts import SecurityProfile, User
from app.models.base import Base, UTCDateTime, utcnow


class UserSession(Base):
    """One browser session. The cookie holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Hex SHA-256 of the cookie token, so a leaked table row cannot be replayed as a cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # None for a visitor who has not signed in (the session then holds only a CSRF token and messages).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    idle_timeout_seconds: Mapped[int] = mapped_column(Integer)
    # last_seen_at plus the idle timeout, kept as a column so expired rows are found through an index.
    idle_expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The absolute expiry: created_at plus the absolute timeout; activity never extends it.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    client_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    # The user's security stamp at sign-in; a different stamp on the user ends the session.
    security_stamp: Mapped[str] = mapped_column(String(64), default="")
    # Flask session contents (Flask-Login state, CSRF token, flash messages) as JSON text.
    data: Mapped[str] = mapped_column(Text, default="{}")

    user: Mapped[User | None] = relationship()


class AllowedNetwork(Base):
    """One allowed address range of the company list (no owner), a profile's list or a user's list."""

    __tablename__ = "allowed_networks"
    __table_args__ = (CheckConstraint("profile_id IS NULL OR user_id IS NULL", name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("security_profiles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Normalised CIDR text, e.g. 192.0.2.0/24 or 2001:db8::/32.
    network: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    profile: Mapped[SecurityProfile | None] = relationship()
