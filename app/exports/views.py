"""The export page: choose what to export and the filters, then download a CSV file."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user

from app.errors import UserError
from app.exports import services
from app.exports.forms import ExportForm
from app.security.permissions import signed_in

bp = Blueprint("exports", __name__)


def _render(form: ExportForm, status: int = 200, error: str = ""):
    can_export_all = services.may_export_all(current_user)
    return render_template("exports/export.html", form=form, can_export_all=can_export_all, error=error), status


@bp.route("/export/")
@signed_in
def export_page():
    form = ExportForm(formdata=None)
    form.fill_choices(services.export_choices(current_user))
    return _render(form)


@bp.route("/export/download", methods=["POST"])
@signed_in
def download():
    form = ExportForm()
    form.fill_choices(services.export_choices(current_user))
    if not form.validate_on_submit():
        return _render(form, 400)
    try:
        filters = services.parse_filters(current_user, request.form)
    except UserError as exc:
        getattr(form, exc.field or "kind").errors = [exc.message]
        return _render(form, 400, exc.message)
    filename, chunks = services.start_export(current_user, filters)
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
