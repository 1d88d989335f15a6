"""The TOTP second factor of a person and their single-use recovery codes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class UserTotp(Base):
    """One person's TOTP secret: pending while ``confirmed_at`` is empty, in force once it is set."""

    __tablename__ = "user_totp"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # AES-256-GCM ciphertext of the base32 secret (nonce first, URL-safe base64), under a
    # key from the two_factor.key file, with the user id as associated data.
    secret_encrypted: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last accepted 30-second time step (Unix time // 30); a code of that step or an
    # earlier one is rejected as a replay.
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Wrong codes in a row at the sign-in step; reset by an accepted code.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def enabled(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(Base):
    """A code that replaces a TOTP code once, stored only as a keyed hash."""

    __tablename__ = "totp_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # HMAC-SHA256 of the normalised code, hex, under a key derived from two_factor.key.
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
