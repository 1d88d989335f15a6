"""The server panel on the administration page: health, certificate days left and firewall state."""
from __future__ import annotations

import json
import re
import time

from app.api import health
from certs import authority, store
from certs.names import parse_server_names
from tests.conftest import sign_in


def panel_rows(client) -> dict[str, tuple[str, str]]:
    html = client.get("/admin/").get_data(as_text=True)
    rows = re.findall(r'<tr><td>([^<]+)</td><td><span class="badge badge-health-(\w+)">\w+</span></td><td>([^<]*)</td></tr>',
                      html)
    return {name: (status, detail) for name, status, detail in rows}


def install_certificate(app, days: int) -> None:
    names = parse_server_names(["tracker.office.test"])
    ca_key, ca_cert = authority.create_authority(names)
    key, cert = authority.issue_server_certificate(ca_key, ca_cert, names, days=days)
    store.install_server_certificate(app.config["TRACKERBOX"].tls_path, [cert], key, store.SOURCE_LOCAL_CA)


def test_server_panel_lists_checks(app, client, make_user):
    make_user("ada", "Administrator")
    sign_in(client, "ada")
    (app.config["TRACKERBOX"].data_dir / health.HEARTBEAT_FILE).write_text("")
    rows = panel_rows(client)
    assert set(rows) == {"Database", "Schema", "Disk", "Scheduler", "Certificate", "Firewall"}
    assert rows["Database"][0] == "ok"
    assert rows["Scheduler"][0] == "ok"
    assert rows["Certificate"] == ("warning", "none installed; run `trackerbox cert create` or `trackerbox cert import`")
    assert rows["Firewall"] == ("warning", "never applied on this box; run `trackerbox firewall apply`")


def test_server_panel_warns_30_days_before_expiry(app, client, make_user):
    make_user("ada", "Administrator")
    sign_in(client, "ada")
    install_certificate(app, days=20)
    status, detail = panel_rows(client)["Certificate"]
    assert status == "warning"
    assert detail.endswith("19 days left; renew it soon") or detail.endswith("20 days left; renew it soon")


def test_server_panel_certificate_ok_with_time_left(app, client, make_user):
    make_user("ada", "Administrator")
    sign_in(client, "ada")
    install_certificate(app, days=200)
    status, detail = panel_rows(client)["Certificate"]
    assert status == "ok"
    assert detail.startswith("tracker.office.test (local-ca), expires ")


def test_server_panel_shows_firewall_state(app, client, make_user):
    make_user("ada", "Administrator")
    sign_in(client, "ada")
    state_dir = app.config["TRACKERBOX"].data_dir / "firewall"
    state_dir.mkdir()
    (state_dir / "state.json").write_text(json.dumps({"status": "pending", "applied_at": "2026-01-05T10:00:00+00:00",
                                                      "deadline": time.time() + 45}))
    status, detail = panel_rows(client)["Firewall"]
    assert status == "warning"
    assert detail.startswith("waiting for `trackerbox firewall confirm`; rollback in 4")
    (state_dir / "state.json").write_text(json.dumps({"status": "confirmed", "applied_at": "2026-01-05T10:00:00+00:00"}))
    assert panel_rows(client)["Firewall"] == ("ok", "loaded and confirmed (applied 2026-01-05T10:00:00+00:00)")


def test_server_panel_hidden_without_settings_permission(app, client, make_user):
    make_user("pm", "Project Manager")
    sign_in(client, "pm")
    response = client.get("/admin/")
    assert response.status_code == 403 or "server-status" not in response.get_data(as_text=True)
