"""The backups page under Administration: targets, the status per target and recent runs."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm

from app import db
from app.backups import services
from app.backups.forms import TargetForm
from app.errors import UserError
from app.security.permissions import Permission, requires

bp = Blueprint("backups", __name__)


def _page(form: TargetForm, status: int = 200):
    settings = current_app.config["TRACKERBOX"]
    statuses = services.target_statuses(settings)
    return render_template(
        "backups/index.html", form=form, delete_form=FlaskForm(), statuses=statuses,
        warnings=services.schedule_warnings([item.target for item in statuses]), runs=services.recent_runs(),
        format_age=services.format_age, smtp_on=bool(settings.smtp_host),
    ), status


@bp.route("/admin/backups", methods=["GET", "POST"])
@requires(Permission.BACKUP_MANAGE)
def index():
    form = TargetForm()
    if form.validate_on_submit():
        try:
            target = services.create_target(current_app.config["TRACKERBOX"], form.values())
        except UserError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, None) if exc.field else None
            if field is not None:
                field.errors = [*field.errors, exc.message]
            else:
                flash(exc.message, "error")
            return _page(form, exc.status_code)
        flash(f"Backup target {target.name} added; the next scheduled run writes to it.", "success")
        return redirect(url_for(".index"))
    return _page(form, 400 if form.is_submitted() else 200)


@bp.route("/admin/backups/<name>/delete", methods=["POST"])
@requires(Permission.BACKUP_MANAGE)
def delete(name: str):
    form = FlaskForm()
    if not form.validate_on_submit():
        flash("The form expired; reload the page and try again.", "error")
        return redirect(url_for(".index"))
    try:
        services.delete_target(name)
    except UserError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".index"))
    flash(f"Backup target {name} removed; archives already on it stay there.", "success")
    return redirect(url_for(".index"))
