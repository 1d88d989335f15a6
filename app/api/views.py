"""Views of the api blueprint."""
from flask import Blueprint, render_template

from app.security.permissions import public

bp = Blueprint("api", __name__)


@bp.route("/healthz")
@public
def healthz():
    return render_template("error.html", title="api", message="Not built yet.")
