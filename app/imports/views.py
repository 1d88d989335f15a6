"""The import pages: upload a file, review the preview and mappings, then confirm."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.imports import services
from app.imports.forms import ConfirmForm, UploadForm, mappings_from
from app.imports.summary import ImportOptions, ImportSummary, describe_lines, group_problems
from app.security.permissions import Permission, requires

bp = Blueprint("imports", __name__)


def _preview(form: ConfirmForm, summary: ImportSummary, options: ImportOptions, status: int = 200):
    people, projects = services.mapping_choices()
    user_rows = list(dict.fromkeys([*options.user_map, *summary.unknown_people]))
    project_rows = list(dict.fromkeys([*options.project_map, *summary.unknown_projects]))
    return render_template("imports/preview.html", form=form, summary=summary, people=people, projects=projects,
                           user_rows=user_rows, project_rows=project_rows, user_map=options.user_map,
                           project_map=options.project_map, problem_groups=_grouped(summary.problems),
                           warning_groups=_grouped(summary.warnings)), status


def _grouped(problems) -> list[tuple[str, str]]:
    """Pair each distinct reason with all the lines it occurs on, e.g. ('lines 2, 3', reason)."""
    return [("whole file" if lines == [0] else describe_lines(lines, None), reason)
            for reason, lines in group_problems(problems)]


@bp.route("/import/", methods=["GET", "POST"])
@requires(Permission.DATA_IMPORT)
def import_page():
    form = UploadForm()
    if request.method == "GET":
        form.timezone.data = current_user.timezone
    if not form.validate_on_submit():
        return render_template("imports/upload.html", form=form, summary=None), 400 if form.errors else 200
    upload = form.file.data
    options = form.to_options({}, {}, dry_run=True)
    token, summary = services.preview_upload(current_user, upload.read(), upload.filename or "", options)
    if token is None:
        return render_template("imports/upload.html", form=form, summary=summary), 400
    confirm_form = ConfirmForm(formdata=None, data={
        "token": token, "timezone": options.timezone, "date_order": form.date_order.data,
        "create_missing": options.create_missing, "default_project": options.default_project,
    })
    return _preview(confirm_form, summary, options)


@bp.route("/import/confirm", methods=["POST"])
@requires(Permission.DATA_IMPORT)
def confirm():
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("The import form was incomplete; upload the file again.", "error")
        return redirect(url_for("imports.import_page"))
    importing = request.form.get("action") == "import"
    options = form.to_options(mappings_from(request.form, "map_user"), mappings_from(request.form, "map_project"),
                              dry_run=not importing)
    summary = services.import_upload(current_user, form.token.data, options)
    if summary.committed:
        flash(_result_message(summary), "success")
        if summary.people_created:
            flash("The new people have no password yet: reset their password under Administration before they "
                  "sign in.", "warning")
        return redirect(url_for("imports.import_page"))
    return _preview(form, summary, options, 400 if importing and summary.problems else 200)


@bp.route("/import/cancel", methods=["POST"])
@requires(Permission.DATA_IMPORT)
def cancel():
    services.cancel_upload(current_user, request.form.get("token", ""))
    flash("The import was cancelled and the uploaded file deleted.", "info")
    return redirect(url_for("imports.import_page"))


def _result_message(summary: ImportSummary) -> str:
    parts = []
    if summary.entries_created or summary.entries_skipped:
        parts.append(f"{summary.entries_created} time entries ({summary.entries_skipped} already imported)")
    if summary.clients_created or summary.clients_skipped:
        parts.append(f"{summary.clients_created} clients ({summary.clients_skipped} already present)")
    if summary.projects_created or summary.projects_skipped:
        parts.append(f"{summary.projects_created} projects ({summary.projects_skipped} already present)")
    if summary.people_created:
        parts.append(f"{len(summary.people_created)} people")
    return f"Imported {summary.filename}: " + (", ".join(parts) or "nothing new") + "."
