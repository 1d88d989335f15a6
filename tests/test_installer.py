"""install.sh on a fresh Debian 12 root: install, HTTPS sign-in through nginx, upgrade, uninstall.

The root is made with debootstrap and entered with chroot, so install.sh runs with
--no-systemd --no-firewall. The services are started the way their units would start
them: the test reads ExecStart, User and Environment from the installed unit files.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tests.debian_root import (
    NetworkNamespace,
    chroot_command,
    copy_source,
    debian_tarball,  # noqa: F401 (a fixture)
    extract_root,
    remove_root,
    require_root_tools,
    root_environment,
    run_in_root,
)

REPOSITORY = Path(__file__).resolve().parent.parent
SERVER_NAME = "tracker.test"
ADMIN_LOGIN = "boss"
SOURCE_IN_ROOT = "/root/trackerbox-src"
INSTALL_OPTIONS = ["--unattended", "--no-systemd", "--no-firewall", "--server-name", SERVER_NAME,
                   "--admin-login", ADMIN_LOGIN]
INSTALL_TIMEOUT = 900


def run_installer(root: Path, *options: str) -> subprocess.CompletedProcess:
    return run_in_root(root, ["bash", f"{SOURCE_IN_ROOT}/install.sh", *options], timeout=INSTALL_TIMEOUT)


def unit_settings(path: Path) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def start_unit(root: Path, netns: str, unit: Path) -> subprocess.Popen:
    """Start the unit's ExecStart inside the root as its User, with its Environment."""
    settings = unit_settings(unit)
    command = shlex.split(settings["ExecStart"][0])
    environment = [value for line in settings.get("Environment", []) for value in shlex.split(line)]
    user = settings.get("User", ["root"])[0]
    inner = ["runuser", "-u", user, "--", "env", *environment, *command] if user != "root" else command
    return subprocess.Popen(chroot_command(root, ["sh", "-c", 'cd "$0" && exec "$@"',
                                                  settings.get("WorkingDirectory", ["/"])[0], *inner], netns),
                            env=root_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for(namespace: NetworkNamespace, url: str, process: subprocess.Popen | None = None) -> None:
    for _ in range(60):
        if namespace.run(["curl", "-fsS", "-o", "/dev/null", "--max-time", "2", url], timeout=10).returncode == 0:
            return
        if process is not None and process.poll() is not None:
            pytest.fail(f"the server for {url} exited {process.returncode}: {process.stderr.read()[-3000:]}")
        time.sleep(1)
    pytest.fail(f"{url} did not answer within 60 seconds")


class Office:
    """curl in the test's network namespace, trusting the CA that install.sh made."""

    def __init__(self, namespace: NetworkNamespace, ca_file: Path, cookie_jar: Path):
        self.namespace, self.ca_file, self.cookie_jar = namespace, ca_file, cookie_jar

    def curl(self, url: str, *options: str) -> subprocess.CompletedProcess:
        command = ["curl", "-sS", "--max-time", "20", "--cacert", str(self.ca_file),
                   "--resolve", f"{SERVER_NAME}:443:127.0.0.1", "--resolve", f"{SERVER_NAME}:80:127.0.0.1",
                   "-c", str(self.cookie_jar), "-b", str(self.cookie_jar), *options, url]
        return self.namespace.run(command, timeout=30)

    def sign_in(self, password: str) -> str:
        """Sign in through nginx; return the URL the browser ends on."""
        page = self.curl(f"https://{SERVER_NAME}/login")
        assert page.returncode == 0, page.stderr
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.stdout)
        assert token, page.stdout[:500]
        result = self.curl(f"https://{SERVER_NAME}/login", "-L", "-o", "/dev/null", "-w", "%{url_effective}",
                           "--data-urlencode", f"login={ADMIN_LOGIN}", "--data-urlencode", f"password={password}",
                           "--data-urlencode", f"csrf_token={token.group(1)}")
        assert result.returncode == 0, result.stderr
        return result.stdout


def serve_and_sign_in(root: Path, cookie_jar: Path, password: str) -> tuple[str, str]:
    """Start waitress and nginx as their units would; return (sign-in landing URL, HTTP redirect)."""
    with NetworkNamespace(f"tbinst-{os.getpid()}") as namespace:
        web = start_unit(root, namespace.name, root / "etc/systemd/system/trackerbox-web.service")
        try:
            wait_for(namespace, "http://127.0.0.1:8000/healthz", web)
            nginx_unit = unit_settings(root / "lib/systemd/system/nginx.service")
            run_in_root(root, shlex.split(nginx_unit["ExecStart"][0]), netns=namespace.name, timeout=60)
            office = Office(namespace, root / "etc/trackerbox/tls/ca.crt", cookie_jar)
            landing = office.sign_in(password)
            redirect = office.curl(f"http://{SERVER_NAME}/login", "-o", "/dev/null", "-w",
                                   "%{http_code} %{redirect_url}")
            return landing, redirect.stdout
        finally:
            web.terminate()
            web.communicate(timeout=30)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def owner_name(root: Path, path: Path) -> str:
    uid = path.stat().st_uid
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if int(fields[2]) == uid:
            return fields[0]
    return str(uid)


@pytest.fixture
def debian_root(debian_tarball, tmp_path):  # noqa: F811 (the fixture imported above)
    require_root_tools("curl")
    root = extract_root(debian_tarball, tmp_path / "root")
    copy_source(root, SOURCE_IN_ROOT)
    yield root
    remove_root(root)


def missing_commands() -> list[str]:
    """Command groups install.sh calls that this source tree does not have (yet)."""
    from app.cli import cli

    return [group for group in ("cert", "proxy", "firewall", "scheduler", "backup") if group not in cli.commands]


def test_installer_lifecycle_in_debian_root(debian_root, tmp_path):
    root = debian_root
    options = ["--lan", "192.168.50.0/24", "--admin-ranges", "192.168.50.10/32", *INSTALL_OPTIONS]

    missing = missing_commands()
    if missing:
        # A release that lacks a command a later step calls is not switched to.
        result = run_in_root(root, ["bash", f"{SOURCE_IN_ROOT}/install.sh", *options], timeout=INSTALL_TIMEOUT,
                             check=False)
        assert result.returncode != 0
        assert f"lacks 'trackerbox {missing[0]}'" in result.stderr
        assert not os.path.lexists(root / "opt/trackerbox/current")
        pytest.skip(f"the rest needs trackerbox {', '.join(missing)}, which this source tree lacks")

    installed = run_installer(root, *options)
    password = re.search(r"one-time password: (\S+)", installed.stdout)
    assert password, installed.stdout[-3000:]
    assert f"https://{SERVER_NAME}/" in installed.stdout

    # Layout, owners and modes.
    etc = root / "etc/trackerbox"
    assert mode(etc) == 0o700
    assert mode(etc / "trackerbox.conf") == 0o600
    assert owner_name(root, etc / "trackerbox.conf") == "trackerbox"
    for key in ("secret_key", "password_hmac.key", "audit_chain.key"):
        assert mode(etc / "keys" / key) == 0o600, key
        assert owner_name(root, etc / "keys" / key) == "trackerbox", key
    assert mode(root / "var/lib/trackerbox") == 0o700
    assert (root / "var/lib/trackerbox/trackerbox.db").exists()
    assert "lan_ranges = 192.168.50.0/24" in (etc / "trackerbox.conf").read_text()
    first_release = Path(os.readlink(root / "opt/trackerbox/current"))
    assert first_release.parent == Path("/opt/trackerbox/releases")

    web_unit = unit_settings(root / "etc/systemd/system/trackerbox-web.service")
    scheduler_unit = unit_settings(root / "etc/systemd/system/trackerbox-scheduler.service")
    for unit in (web_unit, scheduler_unit):
        assert unit["Restart"] == ["on-failure"]
        assert unit["NoNewPrivileges"] == ["yes"]
        assert unit["ProtectSystem"] == ["strict"]
        assert unit["PrivateTmp"] == ["yes"]
        assert unit["ReadWritePaths"][0].split()[0] == "/var/lib/trackerbox"
        assert unit["User"] == ["trackerbox"]
    assert web_unit["ReadWritePaths"] == ["/var/lib/trackerbox"]
    assert "-/var/backups/trackerbox" in scheduler_unit["ReadWritePaths"][0].split()
    # Links inside the root are absolute, so they are read, not followed.
    assert os.readlink(root / "etc/nginx/sites-enabled/trackerbox") == "/etc/nginx/sites-available/trackerbox"
    assert "server_name tracker.test;" in (root / "etc/nginx/sites-available/trackerbox").read_text()
    assert not os.path.lexists(root / "etc/nginx/sites-enabled/default")

    landing, redirect = serve_and_sign_in(root, tmp_path / "first-cookies.txt", password.group(1))
    assert landing == f"https://{SERVER_NAME}/account/password"
    assert redirect.startswith(f"308 https://{SERVER_NAME}/")

    # Upgrade in place: a backup first, a new release beside the old one, data kept.
    upgraded = run_installer(root, "--unattended", "--no-systemd", "--no-firewall")
    assert "Upgraded to" in upgraded.stdout, upgraded.stdout[-3000:]
    second_release = Path(os.readlink(root / "opt/trackerbox/current"))
    assert second_release != first_release
    assert (root / first_release.relative_to("/")).is_dir()
    users = run_in_root(root, ["runuser", "-u", "trackerbox", "--", "/usr/local/sbin/trackerbox", "user", "list"],
                        timeout=120)
    assert ADMIN_LOGIN in users.stdout
    landing, _ = serve_and_sign_in(root, tmp_path / "upgraded-cookies.txt", password.group(1))
    assert landing == f"https://{SERVER_NAME}/account/password"

    # Uninstall keeps data, settings, keys and the user.
    removed = run_installer(root, "--uninstall", "--no-systemd", "--no-firewall")
    assert "are kept" in removed.stdout
    assert not os.path.lexists(root / "opt/trackerbox")
    assert not os.path.lexists(root / "usr/local/sbin/trackerbox")
    assert not (root / "etc/systemd/system/trackerbox-web.service").exists()
    assert not os.path.lexists(root / "etc/nginx/sites-enabled/trackerbox")
    assert (root / "var/lib/trackerbox/trackerbox.db").exists()
    assert (etc / "keys/password_hmac.key").exists()
    assert "trackerbox:" in (root / "etc/passwd").read_text()

    # --purge deletes them too.
    run_installer(root, "--uninstall", "--purge", "--unattended", "--no-systemd", "--no-firewall")
    assert not (root / "var/lib/trackerbox").exists()
    assert not etc.exists()
    assert "trackerbox:" not in (root / "etc/passwd").read_text()


BAD_OPTIONS = [
    (["--server-name", "bad_name!"], "--server-name bad_name! is not a host name"),
    (["--lan", "300.1.1.0/24"], "300.1.1.0/24 has a part above 255"),
    (["--lan", "10.0.0.0/33"], "has the prefix length /33; use 0 to 32"),
    (["--admin-ranges", "fe80::1::2/64"], "has '::' more than once"),
    (["--admin-ranges", ""], "--admin-ranges needs a value"),
    (["--admin-login", "X"], "--admin-login X is not a valid login"),
    (["--cert", "/nonexistent.crt", "--key", "/nonexistent.key"], "--cert /nonexistent.crt is not a readable file"),
    (["--cert", "/etc/hostname"], "--cert and --key go together"),
    (["--purge"], "--purge only goes with --uninstall"),
    (["--frobnicate"], "unknown option --frobnicate"),
    (["--unattended", "--server-name", "a.lan"], "--unattended needs --lan --admin-ranges"),
    (["--local", "--unattended"], "--local takes no other options"),
]


@pytest.mark.parametrize(("options", "message"), BAD_OPTIONS, ids=[" ".join(o) or "empty" for o, _ in BAD_OPTIONS])
def test_installer_rejects_bad_option(options, message):
    result = subprocess.run(["bash", str(REPOSITORY / "install.sh"), *options], capture_output=True, text=True,
                            timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


SHELL_SCRIPTS = ["install.sh", "appliance/installer/system.sh", "docker/entrypoint.sh"]


@pytest.mark.parametrize("script", SHELL_SCRIPTS)
def test_shell_script_passes_shellcheck(script):
    syntax = subprocess.run(["bash", "-n", script], cwd=REPOSITORY, capture_output=True, text=True, timeout=30)
    assert syntax.returncode == 0, syntax.stderr
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is missing; .ci/run installs it")
    lint = subprocess.run(["shellcheck", "-x", script], cwd=REPOSITORY, capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout


def run_installer_function(script: str, stdin: str = "") -> subprocess.CompletedProcess:
    """Run bash ``script`` with install.sh's helpers and system.sh's functions loaded, nothing installed."""
    prelude = ('say() { printf "==> %s\\n" "$*"; }; die() { printf "install.sh: %s\\n" "$*" >&2; exit 1; }; '
               f'SOURCE_DIR={shlex.quote(str(REPOSITORY))}; . "$SOURCE_DIR/appliance/installer/system.sh"; ')
    return subprocess.run(["bash", "-c", prelude + script], input=stdin, capture_output=True, text=True, timeout=30)


def test_ask_repeats_until_answer_valid():
    result = run_installer_function('ask LAN "LAN ranges" "" ranges_check; echo "got $LAN"',
                                    stdin="10.0.0.0/40\n10.1.0.0/16, fd00::/64\n")
    assert result.returncode == 0, result.stderr
    assert "10.0.0.0/40 has the prefix length /40; use 0 to 32 (attempt 1 of 3)" in result.stderr
    assert result.stdout.strip().endswith("got 10.1.0.0/16, fd00::/64")


def test_ask_gives_up_after_three_answers():
    result = run_installer_function('ask NAME "Server name" "" server_name_check',
                                    stdin="bad name\nbad_name\n-bad\n")
    assert result.returncode == 1
    assert "(attempt 3 of 3)" in result.stderr
    assert "no valid answer to: Server name" in result.stderr


def test_ask_takes_default_on_empty_answer():
    result = run_installer_function('ask LOGIN "Login" admin login_problem; echo "got $LOGIN"', stdin="\n")
    assert result.stdout.strip().endswith("got admin")


def test_given_ranges_are_normalized():
    result = run_installer_function('LAN_RANGES="192.168.1.0/24 FD00::/64,10.0.0.1"; ADMIN_RANGES=10.0.0.2; '
                                    'SERVER_NAME=Tracker.Office.LAN; validate_given_options; '
                                    'echo "$LAN_RANGES|$ADMIN_RANGES|$SERVER_NAME"')
    assert result.stdout.strip() == "192.168.1.0/24,fd00::/64,10.0.0.1|10.0.0.2|tracker.office.lan"
