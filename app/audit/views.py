"""Views of the audit blueprint."""
from flask import Blueprint, render_template

from app.security.permissions import Permission, requires

bp = Blueprint("audit", __name__)


@bp.route("/audit/")
@requires(Permission.AUDIT_READ_OWN)
def trail():
    return render_template("error.html", title="audit", message="Not built yet.")
