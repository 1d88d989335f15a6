"""Views of the exports blueprint."""
from flask import Blueprint, render_template

from app.security.permissions import Permission, requires

bp = Blueprint("exports", __name__)


@bp.route("/export/")
@requires(Permission.DATA_EXPORT)
def export_page():
    return render_template("error.html", title="exports", message="Not built yet.")
