"""Append-only audit trail triggers; backup and session permissions for the Administrator profile.

The triggers reject UPDATE and DELETE on audit_events on both backends, and TRUNCATE on
PostgreSQL (SQLite has no TRUNCATE statement). Together with the HMAC chain they make a
change to the trail either impossible through SQL or visible to ``trackerbox audit verify``.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Permissions this revision grants to built-in profiles that already exist. The lists are
# written out rather than imported, so later code changes never rewrite this revision.
# tests/test_permission_docs.py adds them to the seed of revision 0002 and compares the
# result with BUILTIN_PROFILES.
BUILTIN_PERMISSIONS_ADDED = {
    "Administrator": ["backup.manage", "backup.run", "sessions.manage"],
}
# Ids revision 0002 gave the built-in profiles; used when an administrator renamed one.
SEEDED_IDS = {"Administrator": 1, "Worker": 2, "Project Manager": 3, "Account Manager": 4, "Client Manager": 5}

APPEND_ONLY_MESSAGE = "audit_events is append-only"

SQLITE_TRIGGERS = {
    "audit_events_no_update": "UPDATE",
    "audit_events_no_delete": "DELETE",
}

profiles = sa.table("security_profiles", sa.column("id", sa.Integer), sa.column("name", sa.String),
                    sa.column("builtin", sa.Boolean))
permissions = sa.table("profile_permissions", sa.column("profile_id", sa.Integer), sa.column("permission", sa.String))


def _create_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}: % is not allowed', TG_OP; END; $$"
        )
        op.execute("CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()")
        op.execute("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()")
        return
    for name, operation in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} BEFORE {operation} ON audit_events "
                   f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: {operation} is not allowed'); END")


def _drop_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _profile_id(bind, name: str) -> int | None:
    """Return the id of the built-in profile ``name``, found by name or, if renamed, by its seeded id."""
    matches = sa.or_(profiles.c.name == name, profiles.c.id == SEEDED_IDS[name])
    return bind.scalar(sa.select(profiles.c.id).where(matches, profiles.c.builtin.is_(True))
                       .order_by(sa.case((profiles.c.name == name, 0), else_=1)).limit(1))


def upgrade() -> None:
    bind = op.get_bind()
    _create_triggers(bind.dialect.name)
    for name, added in BUILTIN_PERMISSIONS_ADDED.items():
        profile_id = _profile_id(bind, name)
        if profile_id is None:
            continue
        present = set(bind.scalars(sa.select(permissions.c.permission).where(permissions.c.profile_id == profile_id)))
        rows = [{"profile_id": profile_id, "permission": p} for p in added if p not in present]
        if rows:
            bind.execute(permissions.insert(), rows)


def downgrade() -> None:
    bind = op.get_bind()
    for name, added in BUILTIN_PERMISSIONS_ADDED.items():
        profile_id = _profile_id(bind, name)
        if profile_id is not None:
            bind.execute(permissions.delete().where(permissions.c.profile_id == profile_id,
                                                    permissions.c.permission.in_(added)))
    _drop_triggers(bind.dialect.name)
