"""The projects blueprint object, shared by the modules that add its routes."""
from flask import Blueprint
from flask_login import current_user

from app.projects.forms import amount_input

# Routes take ids as <int(max=2147483647):...>, the largest value of the 32-bit id columns
# on PostgreSQL, so a longer id in a URL gives 404 instead of a database overflow error.
bp = Blueprint("projects", __name__)


@bp.app_template_filter("amount_input")
def amount_input_filter(minor: int | None, currency: str) -> str:
    """Show an amount as the signed-in person would type it, for pre-filled inputs."""
    return amount_input(minor, currency, current_user.locale)
