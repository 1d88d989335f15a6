"""Backup targets, backup runs, scheduler job runs and the backup.manage permission.

Revision ID: 0008
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0002"
branch_labels = None
depends_on = None

PERMISSION = "backup.manage"

profiles = sa.table("security_profiles", sa.column("id", sa.Integer), sa.column("name", sa.String),
                    sa.column("builtin", sa.Boolean))
permissions = sa.table("profile_permissions", sa.column("profile_id", sa.Integer), sa.column("permission", sa.String))


def upgrade() -> None:
    op.create_table(
        "backup_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("path", sa.String(length=400), nullable=False),
        sa.Column("schedule", sa.String(length=20), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=80), nullable=True),
        sa.Column("key_file", sa.String(length=400), nullable=True),
        sa.Column("known_hosts", sa.String(length=400), nullable=True),
        sa.Column("keep_daily", sa.Integer(), nullable=False),
        sa.Column("keep_weekly", sa.Integer(), nullable=False),
        sa.Column("keep_monthly", sa.Integer(), nullable=False),
        sa.Column("require_mount", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_targets")),
        sa.UniqueConstraint("name", name=op.f("uq_backup_targets_name")),
    )
    op.create_table(
        "backup_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("archive", sa.String(length=120), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_runs")),
    )
    op.create_index(op.f("ix_backup_runs_target"), "backup_runs", ["target"], unique=False)
    op.create_table(
        "scheduler_jobs",
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("last_started_at", sa.DateTime(), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(), nullable=True),
        sa.Column("last_outcome", sa.String(length=20), nullable=True),
        sa.Column("last_message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_scheduler_jobs")),
    )
    # Databases seeded before this permission existed get it for the built-in Administrator;
    # a database seeded by the current 0002 has it already.
    bind = op.get_bind()
    admin_id = bind.execute(sa.select(profiles.c.id).where(profiles.c.name == "Administrator",
                                                           profiles.c.builtin.is_(True))).scalar()
    if admin_id is not None:
        present = bind.execute(sa.select(permissions.c.permission).where(
            permissions.c.profile_id == admin_id, permissions.c.permission == PERMISSION)).first()
        if present is None:
            bind.execute(permissions.insert().values(profile_id=admin_id, permission=PERMISSION))


def downgrade() -> None:
    op.get_bind().execute(permissions.delete().where(permissions.c.permission == PERMISSION))
    op.drop_table("scheduler_jobs")
    op.drop_index(op.f("ix_backup_runs_target"), table_name="backup_runs")
    op.drop_table("backup_runs")
    op.drop_table("backup_targets")
