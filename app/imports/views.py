"""Views of the imports blueprint."""
from flask import Blueprint, render_template

from app.security.permissions import Permission, requires

bp = Blueprint("imports", __name__)


@bp.route("/import/")
@requires(Permission.DATA_IMPORT)
def import_page():
    return render_template("error.html", title="imports", message="Not built yet.")
