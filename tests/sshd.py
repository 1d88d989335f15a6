"""A throwaway OpenSSH server on loopback for SFTP backup-target tests.

It runs /usr/sbin/sshd in the foreground with its own config, host key, user key and
authorized_keys file in a temporary directory, listening on 127.0.0.1 only.
"""
from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"
START_TIMEOUT_SECONDS = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "trackerbox-test", "-f", str(path)],
                   check=True)
    return path.with_suffix(".pub").read_text().strip()


@dataclass
class SshServer:
    base: Path
    port: int
    user: str
    key_file: Path
    known_hosts: Path
    remote_dir: Path
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def start(base: Path) -> SshServer:
    """Start sshd for the current user with key authentication and the internal SFTP server."""
    base.mkdir(parents=True, exist_ok=True)
    host_public = _keygen(base / "host_ed25519")
    user_public = _keygen(base / "user_ed25519")
    (base / "authorized_keys").write_text(user_public + "\n")
    remote_dir = base / "remote"
    remote_dir.mkdir()
    port = free_port()
    config = base / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {base / 'host_ed25519'}\nPidFile {base / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {base / 'authorized_keys'}\nStrictModes no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin prohibit-password\n"
        "Subsystem sftp internal-sftp\nLogLevel ERROR\nMaxStartups 20\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    known_hosts = base / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_public}\n")
    with (base / "sshd.log").open("wb") as log:
        process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited with {process.returncode}: {(base / 'sshd.log').read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        raise RuntimeError(f"sshd did not listen on port {port} within {START_TIMEOUT_SECONDS} s")
    import pwd

    user = pwd.getpwuid(os.getuid()).pw_name
    return SshServer(base, port, user, base / "user_ed25519", known_hosts, remote_dir, process)
