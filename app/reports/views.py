"""Views of the reports blueprint."""
from flask import Blueprint, render_template

from app.security.permissions import Permission, requires

bp = Blueprint("reports", __name__)


@bp.route("/reports/")
@requires(Permission.REPORTS_VIEW)
def index():
    return render_template("error.html", title="reports", message="Not built yet.")
