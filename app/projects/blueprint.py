"""The projects blueprint object, shared by the modules that add its routes."""
from flask import Blueprint
from flask_login import current_user

from app.projects.forms import amount_input

bp = Blueprint("projects", __name__)


@bp.app_template_filter("amount_input")
def amount_input_filter(minor: int | None, currency: str) -> str:
    """Show an amount as the signed-in person would type it, for pre-filled inputs."""
    return amount_input(minor, currency, current_user.locale)
