"""Task and member routes of a project.

They need projects.view, and the loader ``get_team_project_for`` then lets only holders
of projects.manage and the project's own manager through (403 for other viewers).
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import db
from app.errors import UserError
from app.projects import team_services
from app.projects.blueprint import bp
from app.projects.forms import MemberForm, MemberRateForm, TaskForm, amount_input, show_errors
from app.projects.scoping import get_member_in, get_task_in, get_team_project_for
from app.projects.views import render_project_page
from app.security.permissions import Permission, requires


def _back(project_id: int):
    return redirect(url_for("projects.project_detail", project_id=project_id))


@bp.route("/projects/<int(max=2147483647):project_id>/tasks", methods=["POST"])
@requires(Permission.PROJECTS_VIEW)
def task_add(project_id: int):
    project = get_team_project_for(current_user, project_id)
    form = TaskForm()
    try:
        task = team_services.add_task(current_user, project, form.data)
    except UserError as exc:
        show_errors(form, exc)
        return render_project_page(project_id, status=exc.status_code, task_form=form)
    flash(f"Task {task.name} added to {project.code}.", "success")
    return _back(project_id)


@bp.route("/projects/<int(max=2147483647):project_id>/tasks/<int(max=2147483647):task_id>/edit", methods=["GET", "POST"])
@requires(Permission.PROJECTS_VIEW)
def task_edit(project_id: int, task_id: int):
    project = get_team_project_for(current_user, project_id)
    task = get_task_in(project, task_id)
    form = TaskForm(obj=task)
    if request.method == "GET":
        form.hourly_rate.data = amount_input(task.hourly_rate_minor, project.currency, current_user.locale)
    if form.validate_on_submit():
        try:
            team_services.update_task(current_user, task, form.data)
        except UserError as exc:
            show_errors(form, exc)
            return render_template("projects/task_form.html", form=form, project=project, task=task), 400
        flash(f"Task {task.name} saved.", "success")
        return _back(project_id)
    return render_template("projects/task_form.html", form=form, project=project, task=task)


def _task_state(project_id: int, task_id: int, archived: bool):
    project = get_team_project_for(current_user, project_id)
    task = get_task_in(project, task_id)
    try:
        team_services.set_task_archived(task, archived)
    except UserError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return render_project_page(project_id, status=exc.status_code)
    flash(f"Task {task.name} {'archived' if archived else 'is active again'}.", "success")
    return _back(project_id)


@bp.route("/projects/<int(max=2147483647):project_id>/tasks/<int(max=2147483647):task_id>/archive", methods=["POST"])
@requires(Permission.PROJECTS_VIEW)
def task_archive(project_id: int, task_id: int):
    return _task_state(project_id, task_id, True)


@bp.route("/projects/<int(max=2147483647):project_id>/tasks/<int(max=2147483647):task_id>/unarchive", methods=["POST"])
@requires(Permission.PROJECTS_VIEW)
def task_unarchive(project_id: int, task_id: int):
    return _task_state(project_id, task_id, False)


@bp.route("/projects/<int(max=2147483647):project_id>/members", methods=["POST"])
@requires(Permission.PROJECTS_VIEW)
def member_add(project_id: int):
    project = get_team_project_for(current_user, project_id)
    form = MemberForm()
    try:
        member = team_services.add_member(current_user, project, form.data)
    except UserError as exc:
        show_errors(form, exc)
        return render_project_page(project_id, status=exc.status_code, member_form=form)
    flash(f"{member.user.name} added to {project.code}.", "success")
    return _back(project_id)


@bp.route("/projects/<int(max=2147483647):project_id>/members/<int(max=2147483647):member_id>/rate", methods=["POST"])
@requires(Permission.PROJECTS_VIEW, Permission.RATES_VIEW)
def member_rate(project_id: int, member_id: int):
    project = get_team_project_for(current_user, project_id)
    member = get_member_in(project, member_id)
    form = MemberRateForm()
    try:
        team_services.set_member_rate(current_user, member, form.hourly_rate.data)
    except UserError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return render_project_page(project_id, status=exc.status_code)
    flash(f"Rate of {member.user.name} on {project.code} saved.", "success")
    return _back(project_id)


@bp.route("/projects/<int(max=2147483647):project_id>/members/<int(max=2147483647):member_id>/remove", methods=["POST"])
@requires(Permission.PROJECTS_VIEW)
def member_remove(project_id: int, member_id: int):
    project = get_team_project_for(current_user, project_id)
    member = get_member_in(project, member_id)
    name = member.user.name
    team_services.remove_member(member)
    flash(f"{name} removed from {project.code}.", "success")
    return _back(project_id)
