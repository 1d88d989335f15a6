"""The LAN firewall: one nftables table of our own, replaced in one transaction, with automatic rollback.

``apply`` keeps the table's previous ruleset and starts a detached watcher
(``python -m app.commands.firewall rollback --after N --token T``, the
``trackerbox firewall rollback`` command). Unless ``confirm`` runs before the
watcher wakes, the watcher restores the previous ruleset, so a wrong range cannot lock
the administrator out of SSH for longer than the rollback delay.
"""
from __future__ import annotations

import fcntl
import ipaddress
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from app.errors import UserError
from appliance import render_template

log = logging.getLogger(__name__)

TABLE = "inet trackerbox"
NFT = "/usr/sbin/nft"
DEFAULT_ROLLBACK_SECONDS = 60
STATE_FILE = "state.json"
PREVIOUS_FILE = "previous.nft"
LOCK_FILE = "lock"
WATCHER_LOG = "rollback.log"
PENDING, CONFIRMED, ROLLED_BACK = "pending", "confirmed", "rolled-back"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class Ranges:
    v4: list[Network]
    v6: list[Network]


@dataclass
class RulesetOptions:
    lan: Ranges
    admin: Ranges
    https_port: int = 443
    http_port: int = 80
    ssh_port: int = 22


def parse_ranges(value: str | None, setting: str) -> Ranges:
    """Split a comma-separated list of addresses or CIDR ranges into IPv4 and IPv6 networks."""
    v4: list[Network] = []
    v6: list[Network] = []
    for part in (value or "").replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            network = ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise UserError(f"{setting}: {part!r} is not an IP address or CIDR range; "
                            "use for example 192.168.1.0/24 or fd00:1::/64") from None
        target = v4 if network.version == 4 else v6
        if network not in target:
            target.append(network)
    if not v4 and not v6:
        raise UserError(f"{setting} is empty; name at least one range, for example {setting} = 192.168.1.0/24 "
                        "in /etc/trackerbox/trackerbox.conf or --" + setting.replace("_ranges", "").replace("_", "-"))
    return Ranges(v4, v6)


def render_ruleset(options: RulesetOptions) -> str:
    """Return the nftables definition of our table."""
    sets = [
        {"name": "lan_v4", "type": "ipv4_addr", "elements": [str(n) for n in options.lan.v4]},
        {"name": "lan_v6", "type": "ipv6_addr", "elements": [str(n) for n in options.lan.v6]},
        {"name": "admin_v4", "type": "ipv4_addr", "elements": [str(n) for n in options.admin.v4]},
        {"name": "admin_v6", "type": "ipv6_addr", "elements": [str(n) for n in options.admin.v6]},
    ]
    return render_template("firewall.nft.j2", sets=sets, https_port=options.https_port,
                           http_port=options.http_port, ssh_port=options.ssh_port)


def replace_table_script(table_definition: str | None) -> str:
    """Return an ``nft -f`` script that drops our table and loads ``table_definition`` in one transaction.

    The leading ``table`` line creates the table when it is missing, so the ``delete``
    never fails. With no definition, the script only removes our table.
    """
    script = f"table {TABLE}\ndelete table {TABLE}\n"
    return script + (table_definition or "")


def _nft() -> str:
    return shutil.which("nft") or NFT


def _run_nft(args: list[str], script: str | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([_nft(), *args], input=script, capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise UserError(f"{NFT} not found; install the nftables package (apt-get install nftables)") from None


def run_nft_script(script: str) -> None:
    result = _run_nft(["-f", "-"], script)
    if result.returncode != 0:
        raise UserError(f"nft rejected the ruleset, nothing was changed: {result.stderr.strip()}")


def current_table() -> str | None:
    """Return our table as ``nft list`` prints it, or None when it is not loaded."""
    result = _run_nft(["list", "table", *TABLE.split()])
    if result.returncode == 0:
        return result.stdout
    if "No such file or directory" in result.stderr:
        return None
    raise UserError(f"nft could not list the table {TABLE}: {result.stderr.strip()}; run the command as root")


class StateDir:
    """The firewall's state directory: pending rollback, the previous ruleset and a lock."""

    def __init__(self, path: Path):
        self.path = path

    @contextmanager
    def locked(self):
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.path / LOCK_FILE, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def read(self) -> dict:
        try:
            return json.loads((self.path / STATE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("firewall state file %s is unreadable: %s", self.path / STATE_FILE, exc)
            return {}

    def write(self, state: dict) -> None:
        temporary = self.path / f".{STATE_FILE}.tmp"
        temporary.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, self.path / STATE_FILE)

    def save_previous(self, definition: str | None) -> None:
        path = self.path / PREVIOUS_FILE
        if definition is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(definition, encoding="utf-8")

    def previous(self) -> str | None:
        try:
            return (self.path / PREVIOUS_FILE).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _start_watcher(state_dir: Path, seconds: int, token: str) -> int:
    log_file = open(state_dir / WATCHER_LOG, "a")
    with log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.commands.firewall", "rollback", "--after", str(seconds), "--token", token,
             "--state-dir", str(state_dir)],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, start_new_session=True, close_fds=True,
        )
    return process.pid


def apply(options: RulesetOptions, state: StateDir, rollback_seconds: int = DEFAULT_ROLLBACK_SECONDS) -> dict:
    """Load the ruleset and arm the automatic rollback; return the new state."""
    definition = render_ruleset(options)
    with state.locked():
        current = state.read()
        pending = current.get("status") == PENDING
        if pending:
            # A second apply before confirm keeps the ruleset from before the first one:
            # that is the last one known to let the administrator in.
            had_previous = current.get("had_previous", False)
        else:
            state.save_previous(current_table())
            had_previous = (state.path / PREVIOUS_FILE).exists()
        run_nft_script(replace_table_script(definition))
        if pending:
            # Only now: had nft failed, the earlier watcher would still have to roll back.
            _stop_watcher(current)
        token = secrets.token_hex(16)
        new_state = {"status": PENDING, "token": token, "applied_at": _now(),
                     "deadline": time.time() + rollback_seconds, "had_previous": had_previous}
        state.write(new_state)
        new_state["watcher_pid"] = _start_watcher(state.path, rollback_seconds, token)
        state.write(new_state)
    log.info("firewall table %s applied; rollback in %s s unless confirmed", TABLE, rollback_seconds)
    return new_state


def _stop_watcher(current: dict) -> None:
    pid, token = current.get("watcher_pid"), current.get("token")
    if not pid or not token:
        return
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return
    # The pid may have been reused since; only a process carrying our token is ours.
    if token.encode() in cmdline:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def confirm(state: StateDir) -> dict:
    with state.locked():
        current = state.read()
        if current.get("status") != PENDING:
            raise UserError("no firewall change is waiting for confirmation; run `trackerbox firewall apply` first")
        _stop_watcher(current)
        current.update(status=CONFIRMED, confirmed_at=_now())
        current.pop("token", None)
        current.pop("watcher_pid", None)
        state.write(current)
    log.info("firewall table %s confirmed", TABLE)
    return current


def rollback(state: StateDir, token: str | None = None) -> bool:
    """Restore the ruleset from before the pending apply; return False when nothing was pending.

    With ``token``, only the apply that issued it is rolled back (the watcher's case).
    """
    with state.locked():
        current = state.read()
        if current.get("status") != PENDING or (token is not None and current.get("token") != token):
            return False
        previous = state.previous() if current.get("had_previous") else None
        run_nft_script(replace_table_script(previous))
        current.update(status=ROLLED_BACK, rolled_back_at=_now())
        current.pop("token", None)
        current.pop("watcher_pid", None)
        state.write(current)
    log.warning("firewall table %s rolled back to the ruleset before the unconfirmed apply", TABLE)
    return True


def summary(state_dir: Path) -> dict:
    """Read the state directory's record for the status command and the dashboard, without calling nft."""
    current = StateDir(state_dir).read()
    result = {"status": current.get("status", "never applied"), "applied_at": current.get("applied_at")}
    if current.get("status") == PENDING:
        result["seconds_left"] = max(0, int(current.get("deadline", 0) - time.time()))
    return result
