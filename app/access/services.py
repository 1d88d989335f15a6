"""Queries behind the session and allow-list pages."""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.exceptions import NotFound

from app import db
from app.models import SecurityProfile, User, UserSession, utcnow


def live_sessions(user: User | None = None) -> list[UserSession]:
    """Return the signed-in sessions that have not expired, newest activity first; only ``user``'s when given."""
    now = utcnow()
    query = (select(UserSession).where(UserSession.user_id.is_not(None), UserSession.expires_at > now,
                                       UserSession.idle_expires_at > now)
             .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    if user is not None:
        query = query.where(UserSession.user_id == user.id)
    return list(db.session.scalars(query))


def get_session_for(user: User, session_id: int) -> UserSession:
    """Return ``user``'s own session ``session_id``; another person's session is not found."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id:
        raise NotFound()
    return row


def get_signed_in_session(session_id: int) -> UserSession:
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id is None:
        raise NotFound()
    return row


def all_profiles() -> list[SecurityProfile]:
    return list(db.session.scalars(select(SecurityProfile).order_by(SecurityProfile.name)))


def get_profile(profile_id: int) -> SecurityProfile:
    profile = db.session.get(SecurityProfile, profile_id)
    if profile is None:
        raise NotFound()
    return profile


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def browser_label(user_agent: str) -> str:
    """Return a short "browser on system" label for a User-Agent header, or the header's start when unknown."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or user_agent[:60] or "unknown"
