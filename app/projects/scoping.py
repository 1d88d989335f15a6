"""Owner-scoped queries and loaders for clients and projects.

Every lookup by id in a view goes through a ``get_*_for(user, id)`` loader, so an id
changed in a URL can never show another person's project or client (the loader gives
404 for objects outside the person's scope).
"""
from __future__ import annotations

from sqlalchemy import Select, or_, select
from werkzeug.exceptions import Forbidden, NotFound

from app import db
from app.models import Client, Project, ProjectMember, Task, User, client_managers
from app.security.permissions import Permission


def _can(user: User, permission: Permission) -> bool:
    return user.can(permission.value)


def sees_all_projects(user: User) -> bool:
    return _can(user, Permission.SCOPE_ALL_PROJECTS) or _can(user, Permission.PROJECTS_MANAGE)


def sees_all_clients(user: User) -> bool:
    return _can(user, Permission.SCOPE_ALL_CLIENTS) or _can(user, Permission.CLIENTS_MANAGE)


def managed_projects_query(user: User) -> Select:
    """Projects whose time and expenses ``user`` approves: those they manage, or all with the all-projects scope."""
    statement = select(Project)
    if not _can(user, Permission.SCOPE_ALL_PROJECTS):
        statement = statement.where(Project.manager_id == user.id)
    return statement


def managed_project_ids(user: User) -> Select:
    return managed_projects_query(user).with_only_columns(Project.id)


def looked_after_client_ids(user: User) -> Select:
    """Ids of the clients whose invoices and payments ``user`` may handle."""
    if sees_all_clients(user):
        return select(Client.id)
    return select(client_managers.c.client_id).where(client_managers.c.user_id == user.id)


def visible_projects_query(user: User) -> Select:
    """Projects ``user`` may see: all with a manage or scope right, else member, managed or client-managed ones."""
    statement = select(Project)
    if sees_all_projects(user):
        return statement
    member_of = select(ProjectMember.project_id).where(ProjectMember.user_id == user.id)
    conditions = [Project.id.in_(member_of), Project.manager_id == user.id]
    if _can(user, Permission.INVOICES_VIEW):
        conditions.append(Project.client_id.in_(looked_after_client_ids(user)))
    return statement.where(or_(*conditions))


def loggable_projects_query(user: User) -> Select:
    """Open projects ``user`` may log time and expenses on: the ones they are a member of."""
    member_of = select(ProjectMember.project_id).where(ProjectMember.user_id == user.id)
    return (
        select(Project)
        .where(Project.archived.is_(False), or_(Project.id.in_(member_of), Project.manager_id == user.id))
        .order_by(Project.code)
    )


def visible_clients_query(user: User) -> Select:
    statement = select(Client)
    if sees_all_clients(user):
        return statement
    project_clients = visible_projects_query(user).with_only_columns(Project.client_id)
    return statement.where(or_(Client.id.in_(looked_after_client_ids(user)), Client.id.in_(project_clients)))


def get_project_for(user: User, project_id: int) -> Project:
    project = db.session.scalar(visible_projects_query(user).where(Project.id == project_id))
    if project is None:
        raise NotFound()
    return project


def get_client_for(user: User, client_id: int) -> Client:
    client = db.session.scalar(visible_clients_query(user).where(Client.id == client_id))
    if client is None:
        raise NotFound()
    return client


def get_loggable_project(user: User, project_id: int) -> Project:
    """Load a project that ``user`` may book on, else raise 404 (also for archived projects)."""
    project = db.session.scalar(loggable_projects_query(user).where(Project.id == project_id))
    if project is None:
        raise NotFound()
    return project


def get_task_in(project: Project, task_id: int | None) -> Task | None:
    if task_id is None:
        return None
    task = db.session.scalar(select(Task).where(Task.id == task_id, Task.project_id == project.id))
    if task is None:
        raise NotFound()
    return task


def can_edit_team(user: User, project: Project) -> bool:
    """Return whether ``user`` may change the tasks and members of ``project``.

    Holders of projects.manage may change every project. A project's own manager may
    change its tasks and members, but not the project's client, billing or budget.
    """
    return _can(user, Permission.PROJECTS_MANAGE) or (project.manager_id is not None and project.manager_id == user.id)


def get_team_project_for(user: User, project_id: int) -> Project:
    """Load a project whose tasks and members ``user`` may change, else raise 404 (not visible) or 403."""
    project = get_project_for(user, project_id)
    if not can_edit_team(user, project):
        raise Forbidden()
    return project


def get_member_in(project: Project, member_id: int) -> ProjectMember:
    """Load a membership of ``project`` by its id, else raise 404."""
    member = db.session.scalar(
        select(ProjectMember).where(ProjectMember.id == member_id, ProjectMember.project_id == project.id)
    )
    if member is None:
        raise NotFound()
    return member
