"""Client pages: list, create, edit, archive and client managers."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import company, db
from app.errors import UserError
from app.models import Client
from app.pagination import paginate
from app.projects import client_services
from app.projects.blueprint import bp
from app.projects.forms import ClientForm, ClientManagerForm, show_errors
from app.inputs import clean_search
from app.projects.scoping import get_client_for
from app.security.permissions import Permission, has, requires


@bp.route("/clients/")
@requires(Permission.CLIENTS_VIEW)
def client_list():
    name = clean_search(request.args.get("name"))
    archived = request.args.get("archived", "active")
    if archived not in client_services.ARCHIVE_FILTERS:
        archived = "active"
    page = paginate(client_services.client_list_query(current_user, name=name, archived=archived))
    counts = client_services.project_counts([client.id for client in page.items])
    return render_template("projects/client_list.html", page=page, counts=counts, name=name, archived=archived)


@bp.route("/clients/new", methods=["GET", "POST"])
@requires(Permission.CLIENTS_VIEW, Permission.CLIENTS_MANAGE)
def client_create():
    form = ClientForm()
    if request.method == "GET":
        form.currency.data = company.get("default_currency")
    if form.validate_on_submit():
        try:
            client = client_services.create_client(form.data)
        except UserError as exc:
            show_errors(form, exc)
            return render_template("projects/client_form.html", form=form, client=None), 400
        flash(f"Client {client.name} created.", "success")
        return redirect(url_for("projects.client_detail", client_id=client.id))
    return render_template("projects/client_form.html", form=form, client=None)


@bp.route("/clients/<int(max=2147483647):client_id>")
@requires(Permission.CLIENTS_VIEW)
def client_detail(client_id: int):
    return _render_client_page(get_client_for(current_user, client_id))


def _render_client_page(client: Client, status: int = 200):
    manager_form = None
    if has(Permission.CLIENTS_MANAGE):
        manager_form = ClientManagerForm(formdata=None)
        manager_form.user_id.choices = [(str(u.id), f"{u.name} ({u.login})")
                                        for u in client_services.manager_candidates(client)]
    projects = client_services.client_projects(current_user, client)
    return render_template("projects/client_detail.html", client=client, projects=projects,
                           manager_form=manager_form), status


def _render_rejected(client_id: int, exc: UserError):
    """Roll back, then show the client page again with the reason the action was not carried out."""
    db.session.rollback()
    flash(exc.message, "error")
    return _render_client_page(get_client_for(current_user, client_id), exc.status_code)


@bp.route("/clients/<int(max=2147483647):client_id>/edit", methods=["GET", "POST"])
@requires(Permission.CLIENTS_VIEW, Permission.CLIENTS_MANAGE)
def client_edit(client_id: int):
    client = get_client_for(current_user, client_id)
    form = ClientForm(obj=client)
    if request.method == "GET":
        form.payment_terms_days.data = str(client.payment_terms_days)
    if form.validate_on_submit():
        try:
            client_services.update_client(client, form.data)
        except UserError as exc:
            show_errors(form, exc)
            return render_template("projects/client_form.html", form=form, client=client), 400
        flash(f"Client {client.name} saved.", "success")
        return redirect(url_for("projects.client_detail", client_id=client.id))
    return render_template("projects/client_form.html", form=form, client=client)


@bp.route("/clients/<int(max=2147483647):client_id>/archive", methods=["POST"])
@requires(Permission.CLIENTS_VIEW, Permission.CLIENTS_MANAGE)
def client_archive(client_id: int):
    client = get_client_for(current_user, client_id)
    try:
        client_services.archive_client(client)
    except UserError as exc:
        return _render_rejected(client_id, exc)
    flash(f"Client {client.name} archived.", "success")
    return redirect(url_for("projects.client_detail", client_id=client.id))


@bp.route("/clients/<int(max=2147483647):client_id>/unarchive", methods=["POST"])
@requires(Permission.CLIENTS_VIEW, Permission.CLIENTS_MANAGE)
def client_unarchive(client_id: int):
    client = get_client_for(current_user, client_id)
    try:
        client_services.unarchive_client(client)
    except UserError as exc:
        return _render_rejected(client_id, exc)
    flash(f"Client {client.name} is active again.", "success")
    return redirect(url_for("projects.client_detail", client_id=client.id))


@bp.route("/clients/<int(max=2147483647):client_id>/managers", methods=["POST"])
@requires(Permission.CLIENTS_VIEW, Permission.CLIENTS_MANAGE)
def client_manager_add(client_id: int):
    client = get_client_for(current_user, client_id)
    form = ClientManagerForm()
    try:
        user = client_services.add_client_manager(client, form.user_id.data)
    except UserError as exc:
        return _render_rejected(client_id, exc)
    flash(f"{user.name} now manages {client.name}.", "success")
    return redirect(url_for("projects.client_detail", client_id=client.id))


@bp.route("/clients/<int(max=2147483647):client_id>/managers/<int(max=2147483647):user_id>/remove", methods=["POST"])
@requires(Permission.CLIENTS_VIEW, Permission.CLIENTS_MANAGE)
def client_manager_remove(client_id: int, user_id: int):
    client = get_client_for(current_user, client_id)
    try:
        user = client_services.remove_client_manager(client, user_id)
    except UserError as exc:
        return _render_rejected(client_id, exc)
    flash(f"{user.name} no longer manages {client.name}.", "success")
    return redirect(url_for("projects.client_detail", client_id=client.id))
