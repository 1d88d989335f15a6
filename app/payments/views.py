"""Views of the payments blueprint."""
from flask import Blueprint, render_template

from app.security.permissions import Permission, requires

bp = Blueprint("payments", __name__)


@bp.route("/payments/")
@requires(Permission.INVOICES_VIEW)
def payment_list():
    return render_template("error.html", title="payments", message="Not built yet.")
