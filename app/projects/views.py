"""Views of the projects blueprint."""
from flask import Blueprint, render_template

from app.security.permissions import Permission, requires

bp = Blueprint("projects", __name__)


@bp.route("/projects/")
@requires(Permission.PROJECTS_VIEW)
def project_list():
    return render_template("error.html", title="projects", message="Not built yet.")


@bp.route("/clients/")
@requires(Permission.CLIENTS_VIEW)
def client_list():
    return render_template("error.html", title="clients", message="Not built yet.")
