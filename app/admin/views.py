"""Views of the admin blueprint."""
from flask import Blueprint, render_template

from app.security.permissions import Permission, requires

bp = Blueprint("admin", __name__)


@bp.route("/admin/")
@requires(Permission.USERS_MANAGE)
def index():
    return render_template("error.html", title="admin", message="Not built yet.")
