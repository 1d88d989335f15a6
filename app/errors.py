"""The small exception vocabulary shared by services and views."""
from __future__ import annotations


class UserError(Exception):
    """A request that cannot be carried out as given; the message is shown to the user.

    ``field`` names the form field at fault when there is one, so a view can put the
    message next to it.
    """

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ConflictError(UserError):
    """The object changed state since the page was loaded (for example already approved)."""

    status_code = 409


class IllegalTransition(ConflictError):
    """A status change that the state machine does not allow from the current status."""

    def __init__(self, kind: str, current: str, action: str):
        super().__init__(f"cannot {action} a {kind} that is {current.replace('_', ' ')}")
        self.kind = kind
        self.current = current
        self.action = action
