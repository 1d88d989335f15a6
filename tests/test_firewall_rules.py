"""The firewall ruleset text and its inputs, without loading it (tests/test_firewall_netns.py loads it)."""
from __future__ import annotations

import pytest

from app.errors import UserError
from appliance.firewall import RulesetOptions, parse_ranges, render_ruleset, replace_table_script
from tests.cli_fixture import trackerbox  # noqa: F401  (a fixture, used by name)


def test_parse_ranges_splits_families():
    ranges = parse_ranges("192.168.1.0/24, fd00:1::/64,10.0.0.7 ,192.168.1.9/24", "lan_ranges")
    assert [str(n) for n in ranges.v4] == ["192.168.1.0/24", "10.0.0.7/32"]
    assert [str(n) for n in ranges.v6] == ["fd00:1::/64"]


@pytest.mark.parametrize(("value", "message"), [
    ("", "lan_ranges is empty"),
    ("192.168.1.0/24,office", "lan_ranges: 'office' is not an IP address or CIDR range"),
    ("fd00::/129", "lan_ranges: 'fd00::/129' is not an IP address or CIDR range"),
])
def test_parse_ranges_rejects_bad_value(value, message):
    with pytest.raises(UserError, match=message):
        parse_ranges(value, "lan_ranges")


def test_render_ruleset_ports_and_empty_set():
    options = RulesetOptions(lan=parse_ranges("192.168.1.0/24", "lan_ranges"),
                             admin=parse_ranges("fd00:9::/64", "admin_ranges"), https_port=8443, http_port=8080,
                             ssh_port=2222)
    text = render_ruleset(options)
    assert "ip saddr @lan_v4 tcp dport { 8080, 8443 } accept" in text
    assert "ip6 saddr @admin_v6 tcp dport 2222 accept" in text
    assert "policy drop;" in text
    # An empty set has no elements line, which nft would reject.
    assert "set admin_v4 {\n        type ipv4_addr\n        flags interval\n    }" in text


def test_replace_table_script_touches_only_our_table():
    script = replace_table_script("table inet trackerbox {\n}\n")
    assert script.splitlines()[:2] == ["table inet trackerbox", "delete table inet trackerbox"]
    assert "flush ruleset" not in script
    assert replace_table_script(None) == "table inet trackerbox\ndelete table inet trackerbox\n"


def test_firewall_apply_takes_ranges_from_config(trackerbox, tmp_path, monkeypatch):
    config = tmp_path / "trackerbox.conf"
    config.write_text("[trackerbox]\nlan_ranges = 192.168.7.0/24\nadmin_ranges = 192.168.7.2\n")
    monkeypatch.setenv("TRACKERBOX_CONFIG", str(config))
    code, out, err = trackerbox("firewall", "apply", "--dry-run")
    assert code == 0, err
    assert "elements = { 192.168.7.0/24 }" in out
    assert "elements = { 192.168.7.2/32 }" in out


def test_firewall_apply_without_admin_ranges_fails(trackerbox):
    code, _, err = trackerbox("firewall", "apply", "--lan", "192.168.1.0/24", "--dry-run")
    assert code == 2
    assert "admin_ranges is empty" in err
