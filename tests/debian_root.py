"""A Debian 12 root file system made with debootstrap, for the installer and image tests.

The tarball is built once and cached beside pytest's temporary folders, so both test
modules and both xdist workers share it (a file lock makes the others wait). Commands
run in the root through ``unshare --mount``: /proc, /sys and /dev are mounted in a
private mount namespace, so they vanish with the last process and never leak to the
host, even when a test fails half-way.
"""
from __future__ import annotations

import fcntl
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# Where the host's CA bundle goes inside a root, so pip there trusts what the host trusts.
ROOT_CA_BUNDLE = "/root/host-ca-certificates.crt"
REPOSITORY = Path(__file__).resolve().parent.parent
SOURCE_EXCLUDES = (".venv", ".git", "instance", "build", "test-artifacts", "__pycache__", "*.egg-info",
                   ".pytest_cache")


def require_root_tools(*tools: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root for chroot, mounts and network namespaces")
    missing = [tool for tool in ("unshare", "chroot", "ip", *tools) if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"missing programs {', '.join(missing)}; .ci/run installs them")


def mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve()) + "/"
    with open("/proc/self/mounts", encoding="utf-8") as handle:
        points = [line.split()[1] for line in handle]
    return [point for point in points if point.startswith(prefix) or point == prefix.rstrip("/")]


def remove_root(path: Path) -> None:
    """Delete a root file system, but never while anything is mounted inside it."""
    leaked = mounts_under(path)
    assert not leaked, f"still mounted under {path}: {leaked}; not deleting it"
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def debian_tarball(tmp_path_factory) -> Path:
    """A tarball of a minimal Debian 12 (debootstrap --variant=minbase)."""
    require_root_tools("debootstrap", "tar")
    cache = tmp_path_factory.getbasetemp().parent / "trackerbox-debian-cache"
    cache.mkdir(exist_ok=True)
    tarball = cache / f"{DEBIAN_SUITE}-minbase.tar"
    with open(cache / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not tarball.exists():
            build = cache / f"build-{os.getpid()}"
            try:
                subprocess.run(["debootstrap", "--variant=minbase", DEBIAN_SUITE, str(build), DEBIAN_MIRROR],
                               check=True, capture_output=True, timeout=900)
                subprocess.run(["tar", "-C", str(build), "--numeric-owner", "-cf", f"{tarball}.part", "."],
                               check=True, timeout=300)
                os.replace(f"{tarball}.part", tarball)
            finally:
                remove_root(build)
    return tarball


def extract_root(tarball: Path, destination: Path) -> Path:
    """Unpack the Debian tarball into ``destination`` and make it fit for tests."""
    destination.mkdir(parents=True)
    subprocess.run(["tar", "-C", str(destination), "--numeric-owner", "-xpf", str(tarball)], check=True, timeout=300)
    shutil.copy("/etc/resolv.conf", destination / "etc/resolv.conf")
    if HOST_CA_BUNDLE.exists():
        shutil.copy(HOST_CA_BUNDLE, destination / ROOT_CA_BUNDLE.lstrip("/"))
    # Package scripts must not start services in a chroot: Debian's policy-rc.d convention.
    policy = destination / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    return destination


def copy_source(root: Path, inside: str) -> Path:
    """Copy this repository's working tree (without caches and virtual environments) into the root."""
    target = root / inside.lstrip("/")
    shutil.copytree(REPOSITORY, target, ignore=shutil.ignore_patterns(*SOURCE_EXCLUDES), symlinks=True)
    return target


def root_environment(**extra: str) -> dict[str, str]:
    environment = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "DEBIAN_FRONTEND": "noninteractive",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CERT": ROOT_CA_BUNDLE,
    }
    environment.update(extra)
    return environment


def chroot_command(root: Path, command: list[str], netns: str | None = None) -> list[str]:
    """Wrap ``command`` to run inside ``root`` with private /proc, /sys and /dev mounts."""
    quoted = shlex.quote(str(root))
    script = (f"mount -t proc proc {quoted}/proc && mount -t sysfs sysfs {quoted}/sys && "
              f"mount --bind /dev {quoted}/dev && exec chroot {quoted} \"$@\"")
    wrapped = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *command]
    return ["ip", "netns", "exec", netns, *wrapped] if netns else wrapped


def run_in_root(root: Path, command: list[str], *, timeout: float, netns: str | None = None,
                environment: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(chroot_command(root, command, netns), env=environment or root_environment(),
                            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        pytest.fail(f"{shlex.join(command)} exited {result.returncode}\n--- stdout\n{result.stdout[-6000:]}"
                    f"\n--- stderr\n{result.stderr[-6000:]}")
    return result


class NetworkNamespace:
    """A network namespace with only loopback up; every process left in it is killed on close."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self) -> NetworkNamespace:
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
        return self

    def run(self, command: list[str], timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.name, *command], capture_output=True, text=True,
                              timeout=timeout)

    def kill_all(self) -> None:
        pids = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), 9)
            except ProcessLookupError:
                pass

    def __exit__(self, *exc) -> None:
        self.kill_all()
        subprocess.run(["ip", "netns", "del", self.name], check=False)
