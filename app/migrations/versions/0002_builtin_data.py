"""Built-in security profiles, number sequences and starter expense categories.

The permission lists are written out here rather than imported, so that later changes
to the code's defaults never rewrite what this revision created.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WORKER = ["audit.read_own", "expenses.own", "projects.view", "time.own"]
BILLING = ["clients.view", "data.export", "invoices.issue", "invoices.manage", "invoices.view", "payments.record",
           "rates.view", "reports.view"]
PROFILES = {
    "Administrator": (
        "Everything, including users, profiles, settings and the audit trail",
        ["audit.read_all", "audit.read_own", "backup.manage", "clients.manage", "clients.view", "data.export", "data.import",
         "expenses.approve", "expenses.own", "expenses.reimburse", "invoices.issue", "invoices.manage",
         "invoices.view", "invoices.void", "payments.record", "periods.close", "profiles.manage", "projects.manage",
         "projects.view", "rates.view", "reports.view", "scope.all_clients", "scope.all_projects", "settings.manage",
         "time.approve", "time.own", "time.reopen", "time.view_all", "users.manage"],
    ),
    "Worker": ("Logs own time and expenses", WORKER),
    "Project Manager": (
        "Approves time and expenses of the projects they manage and watches their budgets",
        WORKER + ["clients.view", "expenses.approve", "rates.view", "reports.view", "time.approve", "time.reopen"],
    ),
    "Account Manager": (
        "Turns approved work of every client into invoices and records payments",
        WORKER + BILLING + ["expenses.reimburse", "invoices.void", "scope.all_clients", "time.view_all"],
    ),
    "Client Manager": ("Looks after the invoices and payments of their own clients", WORKER + BILLING),
}
CATEGORIES = [("Travel", "", None), ("Meals", "", None), ("Accommodation", "", None),
              ("Materials", "", None), ("Mileage", "km", 30)]

profiles = sa.table("security_profiles", sa.column("id", sa.Integer), sa.column("name", sa.String),
                    sa.column("description", sa.String), sa.column("builtin", sa.Boolean))
permissions = sa.table("profile_permissions", sa.column("profile_id", sa.Integer), sa.column("permission", sa.String))
sequences = sa.table("number_sequences", sa.column("name", sa.String), sa.column("next_value", sa.Integer))
categories = sa.table("expense_categories", sa.column("name", sa.String), sa.column("unit", sa.String),
                      sa.column("unit_rate_minor", sa.Integer), sa.column("currency", sa.String),
                      sa.column("active", sa.Boolean))


def upgrade() -> None:
    bind = op.get_bind()
    for position, (name, (description, names)) in enumerate(PROFILES.items(), start=1):
        bind.execute(profiles.insert().values(id=position, name=name, description=description, builtin=True))
        bind.execute(permissions.insert(), [{"profile_id": position, "permission": p} for p in names])
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT setval('security_profiles_id_seq', (SELECT max(id) FROM security_profiles))"))
    bind.execute(categories.insert(), [
        {"name": name, "unit": unit, "unit_rate_minor": rate, "currency": "EUR", "active": True}
        for name, unit, rate in CATEGORIES
    ])


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(categories.delete().where(categories.c.name.in_([c[0] for c in CATEGORIES])))
    bind.execute(sequences.delete())
    bind.execute(permissions.delete().where(permissions.c.profile_id.in_(range(1, len(PROFILES) + 1))))
    bind.execute(profiles.delete().where(profiles.c.name.in_(list(PROFILES))))
