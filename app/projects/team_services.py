"""The tasks and members of a project, with their optional hourly rates.

Rates are changed only by people with rates.view: for anyone else a rate argument of
None means "leave the stored rate as it is", so saving a task's name never clears a
rate that the person could not see.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from app import db
from app.audit.service import record, snapshot
from app.errors import ConflictError
from app.models import Project, ProjectMember, Task, User
from app import inputs
from app.projects.unique import save_unique
from app.security.permissions import Permission

log = logging.getLogger(__name__)

TASK_AUDIT_FIELDS = ("project_id", "name", "billable", "hourly_rate_minor", "archived")
MEMBER_AUDIT_FIELDS = ("project_id", "user_id", "hourly_rate_minor")


def _parse_rate(actor: User, checks: inputs.FieldChecks, text: str | None, project: Project) -> int | None:
    if text is None:
        return None
    if not actor.can(Permission.RATES_VIEW.value):
        raise Forbidden()
    return checks.run("hourly_rate", inputs.parse_optional_money, text, project.currency, actor.locale,
                      field="hourly_rate")


def _task_name_taken(project: Project, name: str, task: Task | None) -> bool:
    statement = select(Task.id).where(Task.project_id == project.id, func.lower(Task.name) == name.lower())
    if task is not None:
        statement = statement.where(Task.id != task.id)
    return db.session.scalar(statement.limit(1)) is not None


def _duplicate_task(project: Project, name: str) -> str:
    return f"name: project {project.code} already has a task named {name!r}; choose another name"


def _parse_task(actor: User, project: Project, values: Mapping, task: Task | None) -> dict:
    checks = inputs.FieldChecks()
    name = checks.run("name", inputs.parse_text, values.get("name"), field="name", max_length=200, required=True)
    rate_text = values.get("hourly_rate")
    rate = _parse_rate(actor, checks, rate_text, project)
    if name and _task_name_taken(project, name, task):
        checks.add("name", _duplicate_task(project, name))
    checks.raise_if_any()
    clean = {"name": name, "billable": bool(values.get("billable"))}
    if rate_text is not None:
        clean["hourly_rate_minor"] = rate
    return clean


def add_task(actor: User, project: Project, values: Mapping) -> Task:
    """Add a task to ``project``; ``values`` contains the name, billable and hourly_rate text."""
    clean = _parse_task(actor, project, values, None)
    task = Task(project_id=project.id, **clean)
    save_unique(lambda: db.session.add(task), field="name", message=_duplicate_task(project, clean["name"]))
    record("task.create", task, after=snapshot(task, TASK_AUDIT_FIELDS))
    return task


def update_task(actor: User, task: Task, values: Mapping) -> Task:
    clean = _parse_task(actor, task.project, values, task)
    before = snapshot(task, TASK_AUDIT_FIELDS)

    def apply() -> None:
        for name, value in clean.items():
            setattr(task, name, value)

    save_unique(apply, field="name", message=_duplicate_task(task.project, clean["name"]))
    after = snapshot(task, TASK_AUDIT_FIELDS)
    if after != before:
        record("task.update", task, before=before, after=after)
    return task


def set_task_archived(task: Task, archived: bool) -> None:
    """Archive a task (no new time on it) or bring it back."""
    if task.archived == archived:
        state = "archived" if archived else "active"
        raise ConflictError(f"task {task.name!r} is already {state}")
    task.archived = archived
    action = "task.archive" if archived else "task.unarchive"
    record(action, task, before={"archived": not archived}, after={"archived": archived})


def add_member(actor: User, project: Project, values: Mapping) -> ProjectMember:
    """Add an active user to ``project``, with an optional person-on-project rate."""
    checks = inputs.FieldChecks()
    user_id = checks.run("user_id", inputs.parse_id, values.get("user_id"), field="user_id")
    rate = _parse_rate(actor, checks, values.get("hourly_rate"), project)
    user = db.session.get(User, user_id) if user_id else None
    if user_id and (user is None or not user.active):
        checks.add("user_id", f"user_id: no active user with id {user_id}; pick one from the list")
    elif user is not None and _is_member(project, user):
        checks.add("user_id", f"user_id: {user.name} is already a member of project {project.code}")
    checks.raise_if_any()
    member = ProjectMember(project_id=project.id, user_id=user.id, hourly_rate_minor=rate)
    save_unique(lambda: db.session.add(member), field="user_id",
                message=f"user_id: {user.name} is already a member of project {project.code}")
    record("project_member.add", member, after=snapshot(member, MEMBER_AUDIT_FIELDS))
    log.info("user %s added to project %s", user.id, project.id)
    return member


def _is_member(project: Project, user: User) -> bool:
    statement = select(ProjectMember.id).where(ProjectMember.project_id == project.id,
                                               ProjectMember.user_id == user.id)
    return db.session.scalar(statement) is not None


def set_member_rate(actor: User, member: ProjectMember, rate_text: str | None) -> None:
    """Set or clear (empty text) the person-on-project rate; needs rates.view."""
    checks = inputs.FieldChecks()
    rate = _parse_rate(actor, checks, rate_text or "", member.project)
    checks.raise_if_any()
    before = snapshot(member, MEMBER_AUDIT_FIELDS)
    member.hourly_rate_minor = rate
    after = snapshot(member, MEMBER_AUDIT_FIELDS)
    if after != before:
        record("project_member.update", member, before=before, after=after)


def remove_member(member: ProjectMember) -> None:
    """Remove a person from a project; their logged time stays where it is."""
    record("project_member.remove", member, before=snapshot(member, MEMBER_AUDIT_FIELDS))
    db.session.delete(member)
    log.info("user %s removed from project %s", member.user_id, member.project_id)
