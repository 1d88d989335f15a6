"""Machine-facing endpoints: the health check used by the proxy and monitoring."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import db, migrate
from app.security.permissions import public

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__)


@bp.route("/healthz")
@public
def healthz():
    """Report whether the database responds and its schema is current (503 when not), without secrets."""
    checks = {"database": "ok", "schema": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
        current = migrate.current_revision(current_app.extensions["trackerbox_engine"])
        if current != migrate.head_revision():
            checks["schema"] = f"at {current or 'empty'}, expected {migrate.head_revision()}"
    except SQLAlchemyError as exc:
        log.warning("health check found the database unreachable: %s", type(exc).__name__)
        checks["database"] = "unreachable"
        checks["schema"] = "unknown"
    healthy = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if healthy else "failing", checks=checks), 200 if healthy else 503
