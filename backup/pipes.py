"""The pipe between the thread that produces plaintext and the thread that encrypts or parses it."""
from __future__ import annotations

import fcntl
import os

CHUNK = 1024 * 1024


def make_pipe() -> tuple[int, int]:
    """Open a pipe with a 1 MiB buffer (Linux), so the two threads hand over fewer, larger chunks."""
    read_fd, write_fd = os.pipe()
    try:
        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, CHUNK)
    except OSError:  # above /proc/sys/fs/pipe-max-size for this user; the default buffer works too
        pass
    return read_fd, write_fd
