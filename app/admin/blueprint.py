"""The admin blueprint object and the any-of permission check its overview pages use."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint
from flask_login import current_user

from app.security.permissions import Permission, deny_access

# User routes take ids as <int(max=2147483647):...>, the largest 32-bit id, so a longer
# id in a URL gives 404 instead of a database overflow error.
bp = Blueprint("admin", __name__)


def requires_any(*permissions: Permission) -> Callable:
    """Abort with 403 unless the signed-in person has at least one of ``permissions``.

    Use it under ``@signed_in``, which declares the route for the request guard.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not any(current_user.can(permission.value) for permission in permissions):
                deny_access(permissions, any_of=True)
            return view(*args, **kwargs)

        # Read by the route-by-profile access test.
        wrapper.any_of_permissions = permissions  # type: ignore[attr-defined]
        return wrapper

    return decorate
