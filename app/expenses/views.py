"""Views of the expenses blueprint."""
from flask import Blueprint, render_template

from app.security.permissions import Permission, requires

bp = Blueprint("expenses", __name__)


@bp.route("/expenses/")
@requires(Permission.EXPENSES_OWN)
def index():
    return render_template("error.html", title="expenses", message="Not built yet.")
