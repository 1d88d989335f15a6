"""Views of the invoices blueprint."""
from flask import Blueprint, render_template

from app.security.permissions import Permission, requires

bp = Blueprint("invoices", __name__)


@bp.route("/invoices/")
@requires(Permission.INVOICES_VIEW)
def invoice_list():
    return render_template("error.html", title="invoices", message="Not built yet.")
