"""People, security profiles and the permissions those profiles grant."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow

user_profiles = Table(
    "user_profiles",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("profile_id", ForeignKey("security_profiles.id", ondelete="CASCADE"), primary_key=True),
)


class SecurityProfile(Base):
    """A named set of permissions; a user's rights are the union of their profiles."""

    __tablename__ = "security_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(String(400), default="")
    # Built-in profiles may be edited but not deleted.
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Members must sign in with a TOTP second factor; those without one enrol first.
    require_totp: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    permissions: Mapped[list[ProfilePermission]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", lazy="selectin"
    )
    users: Mapped[list[User]] = relationship(secondary=user_profiles, back_populates="profiles")

    @property
    def permission_names(self) -> set[str]:
        return {p.permission for p in self.permissions}


class ProfilePermission(Base):
    __tablename__ = "profile_permissions"
    __table_args__ = (UniqueConstraint("profile_id", "permission"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("security_profiles.id", ondelete="CASCADE"), index=True)
    # A name from app.security.permissions.Permission.
    permission: Mapped[str] = mapped_column(String(60))
    profile: Mapped[SecurityProfile] = relationship(back_populates="permissions")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    # Set for one-time passwords: the next sign-in must choose a new password.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    # IANA time zone name used for days, weeks and DST handling of this person's time.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Babel locale for number input and display (decimal comma or point).
    locale: Mapped[str] = mapped_column(String(16), default="en")
    # Default hourly billing rate and internal hourly cost, in minor units of currency.
    default_rate_minor: Mapped[int | None] = mapped_column(Integer)
    cost_rate_minor: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Random value replaced whenever the password, the account state or the profiles change;
    # a session made under another stamp is ended (see app.security.stamps).
    security_stamp: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16), server_default="")

    profiles: Mapped[list[SecurityProfile]] = relationship(
        secondary=user_profiles, back_populates="users", lazy="selectin"
    )

    # Flask-Login protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active and not self.suspended

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def permissions(self) -> set[str]:
        names: set[str] = set()
        for profile in self.profiles:
            names |= profile.permission_names
        return names

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def __repr__(self) -> str:
        return f"<User {self.id} {self.login}>"
