"""The server panel on the administration page: health checks, certificate and firewall.

Each row comes from one function in ROW_PROVIDERS. A new area (for example the age of
the last good backup) adds its own function there; each returns a list of health Checks.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app

from app.api.health import FAILING, OK, WARNING, Check, run_checks
from app.errors import UserError

log = logging.getLogger(__name__)


def certificate_rows() -> list[Check]:
    from certs.store import WARN_DAYS, certificate_status

    settings = current_app.config["TRACKERBOX"]
    try:
        info = certificate_status(settings.tls_path)
    except (OSError, UserError) as exc:
        log.warning("server panel cannot read the TLS certificate: %s", exc)
        return [Check("certificate", WARNING, "unreadable by the application; run `trackerbox cert status` on the server")]
    if info is None:
        return [Check("certificate", WARNING, "none installed; run `trackerbox cert create` or `trackerbox cert import`")]
    detail = f"{', '.join(info.names) or info.subject} ({info.source}), expires {info.not_after:%Y-%m-%d}"
    if info.expired:
        return [Check("certificate", FAILING, f"{detail}: expired; renew it now")]
    if info.days_left < WARN_DAYS:
        return [Check("certificate", WARNING, f"{detail}: {info.days_left} days left; renew it soon")]
    return [Check("certificate", OK, f"{detail}: {info.days_left} days left")]


def firewall_rows() -> list[Check]:
    from appliance.firewall import CONFIRMED, PENDING, ROLLED_BACK, summary

    settings = current_app.config["TRACKERBOX"]
    state = summary(settings.data_dir / "firewall")
    applied = f" (applied {state['applied_at']})" if state.get("applied_at") else ""
    if state["status"] == CONFIRMED:
        return [Check("firewall", OK, f"loaded and confirmed{applied}")]
    if state["status"] == PENDING:
        return [Check("firewall", WARNING, f"waiting for `trackerbox firewall confirm`; rollback in "
                                           f"{state['seconds_left']} s{applied}")]
    if state["status"] == ROLLED_BACK:
        return [Check("firewall", WARNING, f"rolled back to the earlier rules after an unconfirmed change{applied}")]
    return [Check("firewall", WARNING, "never applied on this box; run `trackerbox firewall apply`")]


ROW_PROVIDERS: tuple[Callable[[], list[Check]], ...] = (run_checks, certificate_rows, firewall_rows)


def server_rows() -> list[Check]:
    rows: list[Check] = []
    for provider in ROW_PROVIDERS:
        rows.extend(provider())
    return rows
