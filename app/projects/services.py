"""Projects: creating, changing and archiving them, and the project list."""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from app import db
from app.audit.service import record, snapshot
from app.errors import ConflictError, UserError
from app.models import BillingMethod, Client, Project, TimeEntry, User
from app import inputs
from app.projects.scoping import visible_projects_query
from app.projects.unique import save_unique
from app.security.permissions import Permission

log = logging.getLogger(__name__)

PROJECT_AUDIT_FIELDS = ("client_id", "code", "name", "billing_method", "hourly_rate_minor", "fixed_fee_minor",
                        "budget_seconds", "budget_minor", "manager_id", "archived")
BILLING_METHODS = {method.value: method for method in BillingMethod}
BILLING_METHOD_LABELS = {
    BillingMethod.HOURLY: "Hourly",
    BillingMethod.FIXED_FEE: "Fixed fee",
    BillingMethod.NON_BILLABLE: "Non-billable",
}
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,29}")
# Fields that hold money; only people with rates.view see or change them.
MONEY_FIELDS = ("hourly_rate_minor", "fixed_fee_minor", "budget_minor")


def project_list_query(user: User, *, client_id: int | None = None, manager_id: int | None = None,
                       archived: str = "active") -> Select:
    """Projects ``user`` may see, with client and manager loaded, filtered and ordered by code."""
    statement = (
        visible_projects_query(user)
        .options(joinedload(Project.client), joinedload(Project.manager))
        .order_by(Project.code)
    )
    if client_id is not None:
        statement = statement.where(Project.client_id == client_id)
    if manager_id is not None:
        statement = statement.where(Project.manager_id == manager_id)
    if archived == "active":
        statement = statement.where(Project.archived.is_(False))
    elif archived == "archived":
        statement = statement.where(Project.archived.is_(True))
    return statement


def seconds_used(project_ids: list[int]) -> dict[int, int]:
    """Logged seconds per project for a page of projects, in one query; running timers are left out."""
    if not project_ids:
        return {}
    rows = db.session.execute(
        select(TimeEntry.project_id, func.sum(TimeEntry.duration_seconds))
        .where(TimeEntry.project_id.in_(project_ids), TimeEntry.duration_seconds.is_not(None))
        .group_by(TimeEntry.project_id)
    )
    return {project_id: int(total or 0) for project_id, total in rows}


def filter_choices(user: User) -> tuple[list[Client], list[User]]:
    """Clients and managers of the projects ``user`` may see, for the list filters."""
    visible = visible_projects_query(user).subquery()
    clients = list(db.session.scalars(
        select(Client).where(Client.id.in_(select(visible.c.client_id))).order_by(Client.name)
    ))
    managers = list(db.session.scalars(
        select(User).where(User.id.in_(select(visible.c.manager_id))).order_by(User.name)
    ))
    return clients, managers


def parse_code(text: str | None) -> str:
    code = (text or "").strip()
    if not CODE_PATTERN.fullmatch(code):
        raise UserError(f"code: {code!r} is not a valid project code; use 1 to 30 letters, digits, dots, dashes "
                        "or underscores, starting with a letter or digit", field="code")
    return code


def _find_client(client_id: int, project: Project | None) -> Client:
    client = db.session.get(Client, client_id)
    if client is None:
        raise UserError(f"client_id: no client with id {client_id}; pick one from the list", field="client_id")
    keeps_client = project is not None and project.client_id == client.id
    if client.archived and not keeps_client:
        raise UserError(f"client_id: client {client.name!r} is archived; unarchive it first", field="client_id")
    if project is not None and client.currency != project.client.currency:
        raise UserError(f"client_id: client {client.name!r} bills in {client.currency}, but this project's amounts "
                        f"are in {project.client.currency}; choose a client with {project.client.currency}",
                        field="client_id")
    return client


def _find_manager(manager_id: int | None, project: Project | None) -> int | None:
    if manager_id is None:
        return None
    user = db.session.get(User, manager_id)
    keeps_manager = project is not None and project.manager_id == manager_id
    if user is None or (not user.active and not keeps_manager):
        raise UserError(f"manager_id: no active user with id {manager_id}; pick one from the list",
                        field="manager_id")
    return user.id


def _code_taken(code: str, project: Project | None) -> bool:
    statement = select(Project.id).where(func.lower(Project.code) == code.lower())
    if project is not None:
        statement = statement.where(Project.id != project.id)
    return db.session.scalar(statement.limit(1)) is not None


def _duplicate_code(code: str) -> str:
    return f"code: a project with code {code!r} already exists; choose another code"


def _parse_project(actor: User, values: Mapping[str, str], project: Project | None) -> dict:
    checks = inputs.FieldChecks()
    client_id = checks.run("client_id", inputs.parse_id, values.get("client_id"), field="client_id")
    client = checks.run("client_id", _find_client, client_id, project) if client_id else None
    clean = {
        "code": checks.run("code", parse_code, values.get("code")),
        "name": checks.run("name", inputs.parse_text, values.get("name"), field="name", max_length=200,
                           required=True),
        "billing_method": checks.run("billing_method", inputs.parse_choice, values.get("billing_method"),
                                     BILLING_METHODS, field="billing_method"),
        "budget_seconds": checks.run("budget_hours", inputs.parse_budget_hours, values.get("budget_hours"),
                                     field="budget_hours"),
    }
    manager_id = checks.run("manager_id", inputs.parse_optional_id, values.get("manager_id"), field="manager_id")
    clean["manager_id"] = checks.run("manager_id", _find_manager, manager_id, project)
    clean["client_id"] = client.id if client else None
    if clean["code"] and _code_taken(clean["code"], project):
        checks.add("code", _duplicate_code(clean["code"]))
    if client is not None and actor.can(Permission.RATES_VIEW.value):
        clean |= _parse_money(checks, values, client.currency, actor.locale, clean["billing_method"])
    checks.raise_if_any()
    if clean["billing_method"] != BillingMethod.FIXED_FEE and "fixed_fee_minor" in clean:
        clean["fixed_fee_minor"] = None
    return clean


def _parse_money(checks: inputs.FieldChecks, values: Mapping[str, str], currency: str, locale: str,
                 method: BillingMethod | None) -> dict:
    money = {
        "hourly_rate_minor": checks.run("hourly_rate", inputs.parse_optional_money, values.get("hourly_rate"),
                                        currency, locale, field="hourly_rate"),
        "fixed_fee_minor": checks.run("fixed_fee", inputs.parse_optional_money, values.get("fixed_fee"),
                                      currency, locale, field="fixed_fee"),
        "budget_minor": checks.run("budget_money", inputs.parse_optional_money, values.get("budget_money"),
                                   currency, locale, field="budget_money"),
    }
    if method == BillingMethod.FIXED_FEE and not money["fixed_fee_minor"] and "fixed_fee" not in checks.errors:
        checks.add("fixed_fee", f"fixed_fee: {values.get('fixed_fee') or ''!r} is missing or zero; a fixed-fee "
                                f"project needs an agreed fee above zero in {currency}")
    return money


def create_project(actor: User, values: Mapping[str, str]) -> Project:
    """Create a project from form text; raise InvalidFields naming each bad field."""
    clean = _parse_project(actor, values, None)
    project = Project(**clean)
    save_unique(lambda: db.session.add(project), field="code", message=_duplicate_code(clean["code"]))
    record("project.create", project, after=snapshot(project, PROJECT_AUDIT_FIELDS))
    log.info("project %s created with code %s", project.id, project.code)
    return project


def update_project(actor: User, project: Project, values: Mapping[str, str]) -> Project:
    """Change a project from form text; money fields stay as they are unless ``actor`` may see rates."""
    clean = _parse_project(actor, values, project)
    before = snapshot(project, PROJECT_AUDIT_FIELDS)

    def apply() -> None:
        for name, value in clean.items():
            setattr(project, name, value)

    save_unique(apply, field="code", message=_duplicate_code(clean["code"]))
    db.session.expire(project, ["client", "manager"])
    after = snapshot(project, PROJECT_AUDIT_FIELDS)
    if after != before:
        record("project.update", project, before=before, after=after)
    return project


def archive_project(project: Project) -> None:
    if project.archived:
        raise ConflictError(f"project {project.code} is already archived")
    project.archived = True
    record("project.archive", project, before={"archived": False}, after={"archived": True})


def unarchive_project(project: Project) -> None:
    if not project.archived:
        raise ConflictError(f"project {project.code} is not archived")
    if project.client.archived:
        raise ConflictError(f"client {project.client.name!r} of project {project.code} is archived; "
                            "unarchive the client first")
    project.archived = False
    record("project.unarchive", project, before={"archived": True}, after={"archived": False})


def client_choices(project: Project | None) -> list[Client]:
    """Active clients a project may belong to, plus the project's own client when that is archived."""
    condition = Client.archived.is_(False)
    if project is not None:
        condition = condition | (Client.id == project.client_id)
    return list(db.session.scalars(select(Client).where(condition).order_by(Client.name)))


def user_choices(*, keep_id: int | None = None, exclude_ids: list[int] | None = None) -> list[User]:
    """Active users by name for a choice list, plus ``keep_id`` even when disabled."""
    condition = User.active.is_(True)
    if keep_id is not None:
        condition = condition | (User.id == keep_id)
    statement = select(User).where(condition).order_by(User.name)
    if exclude_ids:
        statement = statement.where(User.id.not_in(exclude_ids))
    return list(db.session.scalars(statement))
