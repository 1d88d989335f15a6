"""The one exception the backup package raises for problems an operator can fix."""
from __future__ import annotations


class BackupError(Exception):
    """A backup or restore step failed; the message names the problem and the fix."""
