"""Reading and exporting the audit trail: everyone reads their own events, auditors read all."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user

from app.audit import queries
from app.errors import UserError
from app.pagination import paginate
from app.security.permissions import Permission, requires

bp = Blueprint("audit", __name__)


def _render_trail(filters: queries.AuditFilters, form_values: dict[str, str], error: str = "", status: int = 200):
    page = paginate(queries.trail_query(current_user, filters))
    return render_template("audit/trail.html", page=page, filters=form_values, error=error, outcomes=queries.OUTCOMES,
                           all_users=queries.may_read_all(current_user)), status


def _raw_filters(values) -> dict[str, str]:
    return {key: (values.get(key) or "").strip()[:100] for key in queries.FILTER_FIELDS}


@bp.route("/audit/")
@requires(Permission.AUDIT_READ_OWN)
def trail():
    raw = _raw_filters(request.args)
    try:
        filters = queries.parse_filters(request.args)
    except UserError as exc:
        # Show the page unfiltered with the reason, instead of a list that silently ignores a filter.
        return _render_trail(queries.AuditFilters(), raw, exc.message, 400)
    return _render_trail(filters, filters.as_text())


@bp.route("/audit/export", methods=["POST"])
@requires(Permission.AUDIT_READ_OWN)
def export():
    """Download the records that match the posted filters as CSV; the export is audited."""
    raw = _raw_filters(request.form)
    try:
        filters = queries.parse_filters(request.form)
    except UserError as exc:
        return _render_trail(queries.AuditFilters(), raw, f"Nothing was exported: {exc.message}", 400)
    filename, chunks = queries.start_export(current_user, filters)
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
