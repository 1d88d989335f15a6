"""Small builders for test data, written straight through the ORM in their own transaction."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import joinedload, selectinload

from app import db
from app.models import BillingMethod, Client, Project, ProjectMember, Task, User


def make_client(app, name: str = "Acme GmbH", *, currency: str = "EUR", payment_terms_days: int = 30,
                managers: list[User] = (), **fields) -> Client:
    with app.app_context(), db.transaction():
        client = Client(name=name, currency=currency, payment_terms_days=payment_terms_days,
                        address=fields.pop("address", "Hauptstrasse 1\n10115 Berlin"), **fields)
        client.managers = [db.session.get(User, u.id) for u in managers]
        db.session.add(client)
        db.session.flush()
        client_id = client.id
    with app.app_context():
        return db.session.get(Client, client_id, options=[selectinload(Client.managers)])


def make_project(app, client: Client, code: str = "ACME-1", *, name: str | None = None,
                 manager: User | None = None, members: list[User] = (),
                 billing_method: BillingMethod = BillingMethod.HOURLY, hourly_rate_minor: int | None = 10000,
                 tasks: tuple[str, ...] = ("Development",), **fields) -> Project:
    with app.app_context(), db.transaction():
        project = Project(client_id=client.id, code=code, name=name or f"Project {code}",
                          billing_method=billing_method, hourly_rate_minor=hourly_rate_minor,
                          manager_id=manager.id if manager else None, **fields)
        project.members = [ProjectMember(user_id=u.id) for u in members]
        project.tasks = [Task(name=t, billable=billing_method != BillingMethod.NON_BILLABLE) for t in tasks]
        db.session.add(project)
        db.session.flush()
        project_id = project.id
    with app.app_context():
        # Loaded eagerly, because the object is used after its session has ended.
        return db.session.get(Project, project_id, options=[
            selectinload(Project.tasks), selectinload(Project.members), joinedload(Project.client)])


@contextmanager
def count_queries(app):
    """Count the SQL statements run inside the block: ``with count_queries(app) as counter: ...; counter.count``."""

    class Counter:
        count = 0
        statements: list[str] = []

    counter = Counter()
    counter.statements = []
    engine = app.extensions["trackerbox_engine"]

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")):
            counter.count += 1
            counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)



def berlin_today():
    """Today for the test users (Europe/Berlin), the date invoices are issued on; not the machine's date."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Berlin")).date()
