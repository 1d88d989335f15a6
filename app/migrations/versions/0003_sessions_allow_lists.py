"""Server-side sessions, allowed address ranges and the users' security stamp.

Revision ID: 0003
Revises: 0002
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("idle_timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("idle_expires_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("client_address", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("security_stamp", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    op.create_index(op.f("ix_user_sessions_idle_expires_at"), "user_sessions", ["idle_expires_at"])
    op.create_index(op.f("ix_user_sessions_expires_at"), "user_sessions", ["expires_at"])

    op.create_table(
        "allowed_networks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("network", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("profile_id IS NULL OR user_id IS NULL", name=op.f("ck_allowed_networks_one_owner")),
        sa.ForeignKeyConstraint(["profile_id"], ["security_profiles.id"],
                                name=op.f("fk_allowed_networks_profile_id_security_profiles"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_allowed_networks_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allowed_networks")),
    )
    op.create_index(op.f("ix_allowed_networks_profile_id"), "allowed_networks", ["profile_id"])
    op.create_index(op.f("ix_allowed_networks_user_id"), "allowed_networks", ["user_id"])

    op.add_column("users", sa.Column("security_stamp", sa.String(length=64), server_default="", nullable=False))
    bind = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("security_stamp", sa.String))
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(users.update().where(users.c.id == user_id).values(security_stamp=secrets.token_hex(16)))


def downgrade() -> None:
    # SQLite (3.35 and later) drops a plain column in place, so the users table is not rebuilt.
    op.drop_column("users", "security_stamp")
    op.drop_index(op.f("ix_allowed_networks_user_id"), table_name="allowed_networks")
    op.drop_index(op.f("ix_allowed_networks_profile_id"), table_name="allowed_networks")
    op.drop_table("allowed_networks")
    op.drop_index(op.f("ix_user_sessions_expires_at"), table_name="user_sessions")
    op.drop_index(op.f("ix_user_sessions_idle_expires_at"), table_name="user_sessions")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
