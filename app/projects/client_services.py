"""Clients: creating, changing, archiving them and choosing their client managers."""
from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from app import db
from app.audit.service import record, snapshot
from app.errors import ConflictError, UserError
from app.models import Client, Invoice, Project, User
from app import inputs
from app.projects.scoping import visible_clients_query, visible_projects_query
from app.projects.unique import save_unique

log = logging.getLogger(__name__)

CLIENT_AUDIT_FIELDS = ("name", "address", "contact_name", "contact_email", "currency", "payment_terms_days",
                       "tax_id", "archived")
MAX_PAYMENT_TERMS_DAYS = 365
ARCHIVE_FILTERS = ("active", "archived", "all")


def client_list_query(user: User, *, name: str = "", archived: str = "active") -> Select:
    """Clients ``user`` may see, filtered by part of the name and by archive state, ordered by name."""
    statement = visible_clients_query(user).order_by(Client.name)
    if name.strip():
        statement = statement.where(Client.name.ilike(f"%{_escape_like(name.strip())}%", escape="\\"))
    if archived == "active":
        statement = statement.where(Client.archived.is_(False))
    elif archived == "archived":
        statement = statement.where(Client.archived.is_(True))
    return statement


def project_counts(client_ids: list[int]) -> dict[int, int]:
    """Number of projects per client, for a page of clients, in one query."""
    if not client_ids:
        return {}
    rows = db.session.execute(
        select(Project.client_id, func.count(Project.id)).where(Project.client_id.in_(client_ids))
        .group_by(Project.client_id)
    )
    return {key: count for key, count in rows}


def client_projects(user: User, client: Client) -> list[Project]:
    """Return the client's projects that ``user`` may see, archived ones last."""
    statement = (
        visible_projects_query(user).where(Project.client_id == client.id)
        .options(joinedload(Project.manager)).order_by(Project.archived, Project.code)
    )
    return list(db.session.scalars(statement))


def manager_candidates(client: Client) -> list[User]:
    """Active users who do not yet manage ``client``, for the add-manager choice."""
    current = [user.id for user in client.managers]
    statement = select(User).where(User.active.is_(True), User.id.not_in(current)).order_by(User.name)
    return list(db.session.scalars(statement))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _parse_client(values: Mapping[str, str], client: Client | None) -> dict:
    checks = inputs.FieldChecks()
    clean = {
        "name": checks.run("name", inputs.parse_text, values.get("name"), field="name", max_length=200,
                           required=True),
        "address": checks.run("address", inputs.parse_text, values.get("address"), field="address",
                              max_length=2000, multiline=True),
        "contact_name": checks.run("contact_name", inputs.parse_text, values.get("contact_name"),
                                   field="contact_name", max_length=200),
        "contact_email": checks.run("contact_email", inputs.parse_email, values.get("contact_email"),
                                    field="contact_email"),
        "currency": checks.run("currency", inputs.parse_currency, values.get("currency"), field="currency"),
        "payment_terms_days": checks.run("payment_terms_days", inputs.parse_int_range,
                                         values.get("payment_terms_days"), field="payment_terms_days",
                                         minimum=0, maximum=MAX_PAYMENT_TERMS_DAYS),
        "tax_id": checks.run("tax_id", inputs.parse_text, values.get("tax_id"), field="tax_id", max_length=60),
    }
    if clean["name"] and _name_taken(clean["name"], client):
        checks.add("name", _duplicate_name(clean["name"]))
    if client is not None and clean["currency"] and clean["currency"] != client.currency and _has_billing_data(client):
        checks.add("currency", f"currency: {clean['currency']!r} cannot replace {client.currency} because the "
                               "client already has projects or invoices whose amounts are in "
                               f"{client.currency}; create a new client for the other currency")
    checks.raise_if_any()
    return clean


def _duplicate_name(name: str) -> str:
    return f"name: a client named {name!r} already exists; choose another name"


def _name_taken(name: str, client: Client | None) -> bool:
    statement = select(Client.id).where(func.lower(Client.name) == name.lower())
    if client is not None:
        statement = statement.where(Client.id != client.id)
    return db.session.scalar(statement.limit(1)) is not None


def _has_billing_data(client: Client) -> bool:
    has_project = db.session.scalar(select(Project.id).where(Project.client_id == client.id).limit(1))
    has_invoice = db.session.scalar(select(Invoice.id).where(Invoice.client_id == client.id).limit(1))
    return has_project is not None or has_invoice is not None


def create_client(values: Mapping[str, str]) -> Client:
    """Create a client from form text; raise InvalidFields naming each bad field."""
    clean = _parse_client(values, None)
    client = Client(**clean)
    save_unique(lambda: db.session.add(client), field="name", message=_duplicate_name(clean["name"]))
    record("client.create", client, after=snapshot(client, CLIENT_AUDIT_FIELDS))
    log.info("client %s created", client.id)
    return client


def update_client(client: Client, values: Mapping[str, str]) -> Client:
    """Change a client's details from form text; nothing changes when a field is invalid."""
    clean = _parse_client(values, client)
    before = snapshot(client, CLIENT_AUDIT_FIELDS)

    def apply() -> None:
        for name, value in clean.items():
            setattr(client, name, value)

    save_unique(apply, field="name", message=_duplicate_name(clean["name"]))
    after = snapshot(client, CLIENT_AUDIT_FIELDS)
    if after != before:
        record("client.update", client, before=before, after=after)
    return client


def archive_client(client: Client) -> None:
    """Archive a client that has no active projects left."""
    if client.archived:
        raise ConflictError(f"client {client.name!r} is already archived")
    active = list(db.session.scalars(
        select(Project.code).where(Project.client_id == client.id, Project.archived.is_(False)).order_by(Project.code)
    ))
    if active:
        raise ConflictError(f"client {client.name!r} still has {len(active)} active project(s) "
                            f"({', '.join(active[:5])}); archive them first")
    _set_archived(client, True, "client.archive")


def unarchive_client(client: Client) -> None:
    if not client.archived:
        raise ConflictError(f"client {client.name!r} is not archived")
    _set_archived(client, False, "client.unarchive")


def _set_archived(client: Client, archived: bool, action: str) -> None:
    before = {"archived": client.archived}
    client.archived = archived
    record(action, client, before=before, after={"archived": archived})


def _manager_logins(client: Client) -> list[str]:
    return sorted(user.login for user in client.managers)


def add_client_manager(client: Client, user_id_text: str | None) -> User:
    """Make an active user one of the client's managers."""
    user_id = inputs.parse_id(user_id_text, field="user_id")
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise UserError(f"user_id: no active user with id {user_id}; pick one from the list", field="user_id")
    if user in client.managers:
        raise UserError(f"user_id: {user.name} already manages client {client.name!r}", field="user_id")
    before = _manager_logins(client)
    client.managers.append(user)
    record("client.add_manager", client, before={"managers": before}, after={"managers": _manager_logins(client)})
    return user


def remove_client_manager(client: Client, user_id: int) -> User:
    user = next((manager for manager in client.managers if manager.id == user_id), None)
    if user is None:
        raise UserError(f"user {user_id} does not manage client {client.name!r}", field="user_id")
    before = _manager_logins(client)
    client.managers.remove(user)
    record("client.remove_manager", client, before={"managers": before},
           after={"managers": _manager_logins(client)})
    return user
