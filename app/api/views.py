"""Machine-facing endpoints: the health check used by the proxy and monitoring."""
from __future__ import annotations

from flask import Blueprint, jsonify

from app.api.health import FAILING, overall_status, run_checks
from app.security.permissions import public

bp = Blueprint("api", __name__)


@bp.route("/healthz")
@public
def healthz():
    """Report database, schema, disk space and scheduler as JSON; 503 when any check fails."""
    checks = run_checks()
    status = overall_status(checks)
    body = {"status": status, "checks": {check.name: check.as_dict() for check in checks}}
    return jsonify(body), 503 if status == FAILING else 200
