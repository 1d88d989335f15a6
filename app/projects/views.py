"""Project pages: list, create, edit, archive and the project page with budget, tasks and members.

Importing this module also registers the client, task and member routes of the blueprint.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import db
from app.errors import UserError
from app.models import Project
from app.pagination import paginate
from app.projects import budget, services
from app.projects.blueprint import bp
from app.projects.forms import MemberForm, ProjectForm, TaskForm, amount_input, hours_input, show_errors
from app.projects.scoping import can_edit_team, get_project_for
from app.security.permissions import Permission, requires

__all__ = ["bp"]


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.route("/projects/")
@requires(Permission.PROJECTS_VIEW)
def project_list():
    client_id, manager_id = _int_arg("client"), _int_arg("manager")
    archived = request.args.get("archived", "active")
    if archived not in ("active", "archived", "all"):
        archived = "active"
    statement = services.project_list_query(current_user, client_id=client_id, manager_id=manager_id,
                                            archived=archived)
    page = paginate(statement)
    used = services.seconds_used([project.id for project in page.items])
    clients, managers = services.filter_choices(current_user)
    return render_template("projects/project_list.html", page=page, used=used, clients=clients,
                           managers=managers, client_id=client_id, manager_id=manager_id, archived=archived)


def _project_form(project: Project | None) -> ProjectForm:
    form = ProjectForm()
    form.client_id.choices = [(str(c.id), f"{c.name} ({c.currency})") for c in services.client_choices(project)]
    form.billing_method.choices = [(m.value, label) for m, label in services.BILLING_METHOD_LABELS.items()]
    keep = project.manager_id if project else None
    form.manager_id.choices = [("", "No manager")] + [
        (str(u.id), f"{u.name} ({u.login})") for u in services.user_choices(keep_id=keep)
    ]
    return form


def _fill_project_form(form: ProjectForm, project: Project) -> None:
    locale, currency = current_user.locale, project.currency
    form.client_id.data = str(project.client_id)
    form.code.data = project.code
    form.name.data = project.name
    form.billing_method.data = project.billing_method.value
    form.hourly_rate.data = amount_input(project.hourly_rate_minor, currency, locale)
    form.fixed_fee.data = amount_input(project.fixed_fee_minor, currency, locale)
    form.budget_hours.data = hours_input(project.budget_seconds)
    form.budget_money.data = amount_input(project.budget_minor, currency, locale)
    form.manager_id.data = str(project.manager_id or "")


@bp.route("/projects/new", methods=["GET", "POST"])
@requires(Permission.PROJECTS_VIEW, Permission.PROJECTS_MANAGE)
def project_create():
    form = _project_form(None)
    if request.method == "GET":
        form.client_id.data = request.args.get("client_id", "")
    if form.validate_on_submit():
        try:
            project = services.create_project(current_user, form.data)
        except UserError as exc:
            show_errors(form, exc)
            return render_template("projects/project_form.html", form=form, project=None), 400
        flash(f"Project {project.code} created.", "success")
        return redirect(url_for("projects.project_detail", project_id=project.id))
    return render_template("projects/project_form.html", form=form, project=None)


@bp.route("/projects/<int(max=2147483647):project_id>/edit", methods=["GET", "POST"])
@requires(Permission.PROJECTS_VIEW, Permission.PROJECTS_MANAGE)
def project_edit(project_id: int):
    project = get_project_for(current_user, project_id)
    form = _project_form(project)
    if request.method == "GET":
        _fill_project_form(form, project)
    if form.validate_on_submit():
        try:
            services.update_project(current_user, project, form.data)
        except UserError as exc:
            show_errors(form, exc)
            return render_template("projects/project_form.html", form=form, project=project), 400
        flash(f"Project {project.code} saved.", "success")
        return redirect(url_for("projects.project_detail", project_id=project.id))
    return render_template("projects/project_form.html", form=form, project=project)


@bp.route("/projects/<int(max=2147483647):project_id>")
@requires(Permission.PROJECTS_VIEW)
def project_detail(project_id: int):
    return render_project_page(project_id)


def render_project_page(project_id: int, *, status: int = 200, task_form: TaskForm | None = None,
                        member_form: MemberForm | None = None):
    """Render the project page; the add forms come back filled with their errors after a failed post."""
    project = budget.load_project_page(current_user, project_id)
    editable = can_edit_team(current_user, project)
    if editable:
        task_form = task_form or TaskForm(formdata=None, billable=project.billing_method.value != "non_billable")
        member_form = member_form or MemberForm(formdata=None)
        members = [m.user_id for m in project.members]
        member_form.user_id.choices = [(str(u.id), f"{u.name} ({u.login})")
                                       for u in services.user_choices(exclude_ids=members)]
    return render_template(
        "projects/project_detail.html", project=project, budget=budget.measure_budget(project),
        member_rates=budget.member_rates(project), editable=editable, task_form=task_form,
        member_form=member_form, billing_labels=services.BILLING_METHOD_LABELS,
    ), status


def _archive_action(project_id: int, change, message: str):
    project = get_project_for(current_user, project_id)
    try:
        change(project)
    except UserError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return render_project_page(project_id, status=exc.status_code)
    flash(message.format(code=project.code), "success")
    return redirect(url_for("projects.project_detail", project_id=project.id))


@bp.route("/projects/<int(max=2147483647):project_id>/archive", methods=["POST"])
@requires(Permission.PROJECTS_VIEW, Permission.PROJECTS_MANAGE)
def project_archive(project_id: int):
    return _archive_action(project_id, services.archive_project, "Project {code} archived.")


@bp.route("/projects/<int(max=2147483647):project_id>/unarchive", methods=["POST"])
@requires(Permission.PROJECTS_VIEW, Permission.PROJECTS_MANAGE)
def project_unarchive(project_id: int):
    return _archive_action(project_id, services.unarchive_project, "Project {code} is active again.")


from app.projects import client_views, team_views  # noqa: E402,F401  (register their routes on bp)
