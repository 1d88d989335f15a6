"""Reading the audit trail: everyone reads their own events, auditors read all."""
from __future__ import annotations

from datetime import date, datetime, time, timezone

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.models import AuditEvent
from app.pagination import paginate
from app.security.permissions import Permission, has, requires

bp = Blueprint("audit", __name__)


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@bp.route("/audit/")
@requires(Permission.AUDIT_READ_OWN)
def trail():
    statement = select(AuditEvent).order_by(AuditEvent.id.desc())
    if not has(Permission.AUDIT_READ_ALL):
        statement = statement.where(AuditEvent.user_id == current_user.id)
    filters = {key: request.args.get(key, "").strip() for key in ("action", "login", "object_type", "since", "until")}
    if filters["action"]:
        statement = statement.where(AuditEvent.action.startswith(filters["action"]))
    if filters["login"]:
        statement = statement.where(AuditEvent.login == filters["login"].lower())
    if filters["object_type"]:
        statement = statement.where(AuditEvent.object_type == filters["object_type"])
    since, until = _parse_day(filters["since"]), _parse_day(filters["until"])
    if since:
        statement = statement.where(AuditEvent.created_at >= datetime.combine(since, time.min, timezone.utc))
    if until:
        statement = statement.where(AuditEvent.created_at <= datetime.combine(until, time.max, timezone.utc))
    return render_template("audit/trail.html", page=paginate(statement), filters=filters,
                           all_users=has(Permission.AUDIT_READ_ALL))
