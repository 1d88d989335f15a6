"""Creating the people, clients, projects, tasks and memberships an import needs.

Everything goes through the services of the owning domain, so imported objects pass
the same checks and leave the same audit events as objects made on their pages.
"""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app import db
from app.auth.services import LOGIN_PATTERN, create_user
from app.models import Client, Project, ProjectMember, Task, User
from app.projects.client_services import archive_client, create_client
from app.projects.services import archive_project, create_project
from app.projects.team_services import add_member, add_task

NO_CLIENT_NAME = "No client"
PAYMENT_TERMS_DAYS = "30"


def _free(candidate: str, taken) -> str:
    """Return ``candidate``, or it with the lowest suffix -2, -3, ... that ``taken`` does not report."""
    if not taken(candidate):
        return candidate
    number = 2
    while taken(f"{candidate}-{number}"):
        number += 1
    return f"{candidate}-{number}"


def _login_taken(login: str) -> bool:
    return db.session.scalar(select(User.id).where(func.lower(User.login) == login).limit(1)) is not None


def login_for(name: str, email: str) -> str:
    """Choose a free login: the part of the e-mail address before the @, else the name in lower case."""
    base = email.split("@", 1)[0].lower() if email else ""
    if not LOGIN_PATTERN.fullmatch(base):
        base = re.sub(r"[^a-z0-9._-]+", ".", name.lower()).strip(".-_")[:70]
    if not LOGIN_PATTERN.fullmatch(base):
        base = "imported.user"
    return _free(base, _login_taken)


def create_person(name: str, email: str, timezone: str) -> User:
    """Create a Worker for a person of the file; the one-time password is discarded.

    NOTE: the password is shown to no one, so the person can sign in only after an
    administrator resets it. People imported only for their history may never need to.
    """
    user, _one_time = create_user(login_for(name, email), name or email, profiles=["Worker"], email=email,
                                  timezone=timezone)
    return user


def project_code_for(name: str, requested: str = "") -> str:
    """Choose a free project code: ``requested`` when valid, else one made from the name's letters and digits."""
    from app.projects.services import CODE_PATTERN

    def taken(code: str) -> bool:
        return db.session.scalar(select(Project.id).where(func.lower(Project.code) == code.lower()).limit(1)) is not None

    if requested and CODE_PATTERN.fullmatch(requested) and not taken(requested):
        return requested
    base = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").upper()[:24].rstrip("-") or "PROJECT"
    return _free(base, taken)


def add_client(name: str, *, currency: str, address: str = "", contact_name: str = "", contact_email: str = "",
               tax_id: str = "", archived: bool = False) -> Client:
    client = create_client({
        "name": name, "address": address, "contact_name": contact_name, "contact_email": contact_email,
        "currency": currency, "payment_terms_days": PAYMENT_TERMS_DAYS, "tax_id": tax_id,
    })
    if archived:
        archive_client(client)
    return client


def add_project(actor: User, client: Client, name: str, code: str, *, archived: bool = False) -> Project:
    project = create_project(actor, {
        "client_id": str(client.id), "code": code, "name": name, "billing_method": "hourly",
    })
    if archived:
        archive_project(project)
    return project


def add_project_task(actor: User, project: Project, name: str) -> Task:
    return add_task(actor, project, {"name": name, "billable": "y"})


def add_project_member(actor: User, project: Project, user: User) -> ProjectMember:
    return add_member(actor, project, {"user_id": str(user.id)})
