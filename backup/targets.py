"""Transports for backup targets: a local directory, or an SFTP account checked by host key.

Both offer the same small interface, so the backup run treats them alike. Every archive
is written under a temporary name and renamed only when complete, so a reader never
takes a half-written file for an archive.
"""
from __future__ import annotations

import errno
import io
import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

from paramiko import SSHException

from backup.target_config import TargetConfig

log = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
PARTIAL_SUFFIX = ".partial"
Progress = Callable[[int], None] | None


class TargetError(Exception):
    """A target cannot be reached, written or read; the message names the target and the cause."""


# Exceptions a transport raises when a target fails mid-way: a dropped SSH session raises
# SSHException or EOFError, and a local disk raises OSError. Callers catch these per target.
TRANSPORT_ERRORS = (TargetError, OSError, EOFError, SSHException)


class Transport(Protocol):
    config: TargetConfig

    def free_bytes(self) -> int | None: ...
    def list_names(self) -> list[str]: ...
    def put(self, source: BinaryIO, name: str, progress: Progress = None) -> None: ...
    def open_read(self, name: str) -> BinaryIO: ...
    def read_text(self, name: str) -> str | None: ...
    def write_text(self, name: str, text: str) -> None: ...
    def remove(self, name: str) -> None: ...


def _copy(source: BinaryIO, sink, progress: Progress) -> None:
    while chunk := source.read(CHUNK_BYTES):
        sink.write(chunk)
        if progress:
            progress(len(chunk))


class DirectoryTarget:
    """A directory on a second disk, a mounted NAS share or a USB drive."""

    def __init__(self, config: TargetConfig) -> None:
        self.config = config
        self.root = Path(config.path)

    def check(self) -> None:
        if not self.root.is_dir():
            raise TargetError(f"target {self.config.name}: directory {self.root} does not exist; "
                              "create it or mount the drive")
        if self.config.require_mount and not os.path.ismount(self.root):
            raise TargetError(f"target {self.config.name}: {self.root} is not a mount point; "
                              "mount the backup drive (require_mount = yes)")
        if not os.access(self.root, os.W_OK):
            raise TargetError(f"target {self.config.name}: directory {self.root} is not writable")

    def free_bytes(self) -> int | None:
        stats = os.statvfs(self.root)
        return stats.f_bavail * stats.f_frsize

    def list_names(self) -> list[str]:
        return sorted(entry.name for entry in os.scandir(self.root) if entry.is_file())

    def put(self, source: BinaryIO, name: str, progress: Progress = None) -> None:
        partial = self.root / (name + PARTIAL_SUFFIX)
        try:
            with partial.open("wb") as sink:
                _copy(source, sink, progress)
                sink.flush()
                os.fsync(sink.fileno())
            os.rename(partial, self.root / name)
            _fsync_directory(self.root)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise TargetError(f"target {self.config.name}: writing {name} failed: {_os_reason(exc)}") from exc

    def open_read(self, name: str) -> BinaryIO:
        return (self.root / name).open("rb")

    def read_text(self, name: str) -> str | None:
        try:
            return (self.root / name).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write_text(self, name: str, text: str) -> None:
        self.put(io.BytesIO(text.encode("utf-8")), name)

    def remove(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the target is full (no space left on device)"
    if exc.errno == errno.EROFS:
        return "the target is mounted read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or str(exc)


class SftpTarget:
    """An account on an OpenSSH server, reached with a private key.

    The server's host key must be listed in the target's known_hosts file, so an unknown
    or changed server is rejected.
    """

    def __init__(self, config: TargetConfig) -> None:
        self.config = config
        self._client = None
        self._sftp = None

    def connect(self) -> None:
        import paramiko

        config = self.config
        client = paramiko.SSHClient()
        try:
            client.load_host_keys(config.known_hosts)
        except OSError as exc:
            raise TargetError(f"target {config.name}: cannot read known_hosts {config.known_hosts}: "
                              f"{exc.strerror}") from exc
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(config.host, port=config.port, username=config.user, key_filename=config.key_file,
                           timeout=config.timeout, banner_timeout=config.timeout, auth_timeout=config.timeout,
                           allow_agent=False, look_for_keys=False)
            self._sftp = client.open_sftp()
            self._sftp.get_channel().settimeout(config.timeout)
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise TargetError(f"target {config.name}: host key of {config.host} does not match {config.known_hosts}; "
                              "check the server before you update the file") from exc
        except paramiko.SSHException as exc:
            client.close()
            raise TargetError(f"target {config.name}: SSH connection to {config.host}:{config.port} failed: {exc}; "
                              "check the user, key_file and known_hosts") from exc
        except (OSError, socket.timeout) as exc:
            client.close()
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise TargetError(f"target {config.name}: cannot reach {config.host}:{config.port}: {reason}") from exc
        self._client = client
        try:
            mode = self._sftp.stat(config.path).st_mode
        except OSError as exc:
            self.close()
            raise TargetError(f"target {config.name}: remote directory {config.path} does not exist; "
                              "create it on the server") from exc
        if mode is None or not (mode & 0o040000):
            self.close()
            raise TargetError(f"target {config.name}: remote path {config.path} is not a directory")

    def check(self) -> None:
        if self._sftp is None:
            self.connect()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = self._sftp = None

    def _remote(self, name: str) -> str:
        return f"{self.config.path.rstrip('/')}/{name}"

    def free_bytes(self) -> int | None:
        """Return the free bytes the server reports, or None when it lacks the statvfs extension."""
        from paramiko.sftp import CMD_EXTENDED, CMD_EXTENDED_REPLY

        try:
            # OpenSSH's statvfs@openssh.com extension; paramiko 5.1 sends it only through
            # its internal request call, so a change there shows up as "None" here.
            kind, message = self._sftp._request(CMD_EXTENDED, "statvfs@openssh.com", self.config.path)
        except (OSError, AttributeError, TypeError):
            return None
        if kind != CMD_EXTENDED_REPLY:
            return None
        # The reply lists bsize, frsize, blocks, bfree, bavail, ... as 64-bit integers.
        fields = [message.get_int64() for _ in range(5)]
        return fields[4] * fields[1]

    def list_names(self) -> list[str]:
        return sorted(attr.filename for attr in self._sftp.listdir_attr(self.config.path)
                      if attr.st_mode is not None and attr.st_mode & 0o100000)

    def put(self, source: BinaryIO, name: str, progress: Progress = None) -> None:
        partial = self._remote(name + PARTIAL_SUFFIX)
        try:
            with self._sftp.open(partial, "wb") as sink:
                sink.set_pipelined(True)
                _copy(source, sink, progress)
            self._sftp.posix_rename(partial, self._remote(name))
        except (OSError, EOFError) as exc:
            self._quiet_remove(partial)
            reason = _sftp_reason(exc)
            raise TargetError(f"target {self.config.name}: writing {name} failed: {reason}") from exc

    def open_read(self, name: str) -> BinaryIO:
        handle = self._sftp.open(self._remote(name), "rb")
        handle.prefetch()
        return handle

    def read_text(self, name: str) -> str | None:
        try:
            with self._sftp.open(self._remote(name), "rb") as handle:
                return handle.read().decode("utf-8")
        except FileNotFoundError:
            return None

    def write_text(self, name: str, text: str) -> None:
        self.put(io.BytesIO(text.encode("utf-8")), name)

    def remove(self, name: str) -> None:
        self._quiet_remove(self._remote(name))

    def _quiet_remove(self, remote: str) -> None:
        try:
            self._sftp.remove(remote)
        except (OSError, EOFError, AttributeError):
            log.warning("could not remove %s on target %s", remote, self.config.name)


def _sftp_reason(exc: BaseException) -> str:
    text = str(exc)
    if "Failure" in text:
        # OpenSSH's sftp-server reports a full disk or a read-only file system with the
        # generic SSH_FX_FAILURE status.
        return "the server reported a failure (full disk, read-only file system or quota)"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return text or type(exc).__name__


@contextmanager
def open_target(config: TargetConfig) -> Iterator[Transport]:
    """Connect to ``config``'s target, check it is usable, and close it afterwards."""
    transport = SftpTarget(config) if config.type == "sftp" else DirectoryTarget(config)
    try:
        transport.check()
        yield transport
    finally:
        if isinstance(transport, SftpTarget):
            transport.close()
