"""Views of the timesheets blueprint."""
from flask import Blueprint, render_template

from app.security.permissions import Permission, requires

bp = Blueprint("timesheets", __name__)


@bp.route("/time/")
@requires(Permission.TIME_OWN)
def week():
    return render_template("error.html", title="timesheets", message="Not built yet.")


@bp.route("/approvals/")
@requires(Permission.TIME_APPROVE)
def approvals():
    return render_template("error.html", title="approvals", message="Not built yet.")
