"""The start page: what each person needs to see first, by role."""
from flask import Blueprint, render_template
from flask_login import current_user

from app.dashboard import services
from app.security.permissions import signed_in

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@signed_in
def index():
    return render_template("dashboard/index.html", panels=services.panels_for(current_user),
                           today=services.local_today(current_user))
