"""The time report page."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from app.errors import UserError
from app.reports import services
from app.security.permissions import Permission, has, requires
from app.timesheets.weeks import today_in

bp = Blueprint("reports", __name__)


@bp.route("/reports/")
@requires(Permission.REPORTS_VIEW)
def index():
    today = today_in(current_user.timezone)
    grouping = request.args.get("group", "project")
    try:
        start, end = services.parse_period(request.args.get("start"), request.args.get("end"), today)
        report = services.build_report(current_user, start, end, grouping)
    except UserError as exc:
        return render_template("reports/index.html", error=exc.message, report=None, args=request.args,
                               groupings=services.GROUPINGS), 400
    return render_template("reports/index.html", report=report, totals=services.totals_by_currency(report),
                           show_money=has(Permission.RATES_VIEW), args=request.args, groupings=services.GROUPINGS,
                           error=None)
