"""The last step of every sign-in, after the password and any second factor passed."""
from __future__ import annotations

from flask import session
from flask_login import login_user

from app.auth import services
from app.models import User


def complete_sign_in(user: User, second_factor: str = "none") -> None:
    """Audit the sign-in and start the signed-in session of ``user`` in a fresh session.

    Every way of signing in ends here, so this is the one place to change how a session starts.
    """
    services.record_sign_in(user, second_factor)
    session.clear()
    login_user(user)
