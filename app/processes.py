"""Small helpers about other processes on the box."""
from __future__ import annotations

import os


def process_is_running(pid: int) -> bool:
    """True when a process with ``pid`` exists, also when it belongs to another user."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
