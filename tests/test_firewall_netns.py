"""`trackerbox firewall` in real network namespaces: real nftables, real TCP connections."""
from __future__ import annotations

import json
import os
import signal

import pytest

from tests.netns_lab import Lab

pytestmark = pytest.mark.sqlite_only

LAN = "10.231.1.0/24,fd00:231:1::/64"
OUTSIDE = "10.231.2.0/24,fd00:231:2::/64"
ADMIN = "10.231.3.0/24,fd00:231:3::/64"
OTHER_TABLE = """\
table ip other {
    set blocked {
        type ipv4_addr
        elements = { 198.51.100.7 }
    }
    chain input {
        type filter hook input priority 10; policy accept;
        ip saddr @blocked drop
    }
}
"""


def expect(ports_open: set[int]) -> dict[tuple[int, int], bool]:
    return {(version, port): port in ports_open for version in (4, 6) for port in (22, 80, 443)}


@pytest.fixture(scope="module")
def lab():
    if os.geteuid() != 0:
        pytest.fail("the firewall tests create network namespaces and need root (CI runs as root)")
    lab = Lab()
    try:
        lab.start()
        yield lab
    finally:
        lab.stop()


@pytest.fixture
def state_dir(lab, tmp_path):
    """A fresh state directory and a server namespace with only the other table loaded."""
    lab.nft("flush", "ruleset")
    lab.exec(lab.server, "nft", "-f", "-", input=OTHER_TABLE)
    path = tmp_path / "data" / "firewall"
    yield path
    state_file = path / "state.json"
    if state_file.exists():
        pid = json.loads(state_file.read_text()).get("watcher_pid")
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def apply(lab, state_dir, lan=LAN, admin=ADMIN, rollback_after="60"):
    return lab.firewall(state_dir, "apply", "--lan", lan, "--admin", admin, "--rollback-after", rollback_after)


def test_firewall_lab_reaches_everything_without_rules(lab, state_dir):
    reachable = lab.reachable("lan", "out", "admin")
    for client in ("lan", "out", "admin"):
        assert reachable[client] == expect({22, 80, 443}), client


def test_firewall_apply_limits_by_range(lab, state_dir):
    apply(lab, state_dir)
    lab.firewall(state_dir, "confirm")
    reachable = lab.reachable("lan", "out", "admin")
    assert reachable["lan"] == expect({80, 443})
    assert reachable["out"] == expect(set())
    assert reachable["admin"] == expect({22})


def test_firewall_apply_leaves_other_table_alone(lab, state_dir):
    before = lab.nft("list", "table", "ip", "other").stdout
    apply(lab, state_dir)
    lab.firewall(state_dir, "confirm")
    assert lab.nft("list", "table", "ip", "other").stdout == before
    assert lab.table() is not None


def test_firewall_apply_twice_is_idempotent(lab, state_dir):
    apply(lab, state_dir)
    lab.firewall(state_dir, "confirm")
    first = lab.table()
    apply(lab, state_dir)
    lab.firewall(state_dir, "confirm")
    assert lab.table() == first
    assert lab.nft("list", "tables").stdout.split("\n").count("table inet trackerbox") == 1


def test_firewall_rollback_restores_previous_rules(lab, state_dir):
    apply(lab, state_dir)
    lab.firewall(state_dir, "confirm")
    confirmed = lab.table()
    before_other = lab.nft("list", "table", "ip", "other").stdout

    apply(lab, state_dir, lan=OUTSIDE, admin=OUTSIDE, rollback_after="3")
    assert lab.reachable("out") == expect({22, 80, 443})
    assert "Rollback pending" in lab.firewall(state_dir, "status").stdout

    assert lab.wait_for_table(confirmed) == confirmed
    reachable = lab.reachable("lan", "out")
    assert reachable["out"] == expect(set())
    assert reachable["lan"] == expect({80, 443})
    assert lab.nft("list", "table", "ip", "other").stdout == before_other
    assert "Last change: rolled-back" in lab.firewall(state_dir, "status").stdout


def test_firewall_rollback_removes_table_that_was_absent(lab, state_dir):
    apply(lab, state_dir, rollback_after="2")
    assert lab.table() is not None
    assert lab.wait_for_table(None) is None
    assert lab.reachable("out") == expect({22, 80, 443})


def test_firewall_second_apply_keeps_first_previous(lab, state_dir):
    apply(lab, state_dir)
    lab.firewall(state_dir, "confirm")
    confirmed = lab.table()
    apply(lab, state_dir, lan=OUTSIDE, admin=OUTSIDE, rollback_after="60")
    apply(lab, state_dir, lan=OUTSIDE, admin=LAN, rollback_after="60")
    lab.firewall(state_dir, "rollback")
    assert lab.table() == confirmed


def test_firewall_confirm_stops_rollback(lab, state_dir):
    apply(lab, state_dir, rollback_after="2")
    lab.firewall(state_dir, "confirm")
    applied = lab.table()
    status = lab.firewall(state_dir, "status").stdout
    assert "Table inet trackerbox: loaded" in status
    assert "Last change: confirmed" in status
    # Longer than the rollback delay: the watcher was stopped, the rules stay.
    assert lab.wait_for_table(None, timeout=4) == applied


def test_firewall_confirm_without_apply_fails(lab, state_dir):
    result = lab.firewall(state_dir, "confirm", check=False)
    assert result.returncode == 2
    assert "no firewall change is waiting for confirmation" in result.stderr


def test_firewall_rejects_bad_range_without_change(lab, state_dir):
    result = lab.firewall(state_dir, "apply", "--lan", "10.231.1.0/33", "--admin", ADMIN, check=False)
    assert result.returncode == 2
    assert "lan_ranges: '10.231.1.0/33' is not an IP address or CIDR range" in result.stderr
    assert lab.table() is None


def test_firewall_dry_run_prints_without_loading(lab, state_dir):
    result = lab.firewall(state_dir, "apply", "--lan", LAN, "--admin", ADMIN, "--dry-run")
    assert result.stdout.startswith("table inet trackerbox\ndelete table inet trackerbox\n")
    assert "elements = { 10.231.1.0/24 }" in result.stdout
    assert lab.table() is None
