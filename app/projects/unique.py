"""Saving rows with unique columns, so that a race between two requests gives a clear message."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from app import db
from app.errors import UserError


def save_unique(apply: Callable[[], None], *, field: str, message: str) -> None:
    """Run ``apply`` and flush inside a savepoint, turning a unique-constraint violation into UserError.

    Callers check uniqueness with a query first, so this fires only when two requests
    save the same value at the same moment. The savepoint keeps the outer transaction
    usable on PostgreSQL, where a failed statement would otherwise abort it.
    """
    try:
        with db.session.begin_nested():
            apply()
            db.session.flush()
    except IntegrityError:
        raise UserError(message, field=field) from None
