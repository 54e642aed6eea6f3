"""Batches of accounts and each account's outcome.

``batch`` keeps a batch's progress, status and timings; ``batch_account`` one row per account,
keyed by (batch_id, account) so that a task the cluster runs again (a lost worker) stores
nothing twice.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("executor", sa.String(16), nullable=False),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_batch"),
    )
    op.create_index("ix_batch_owner_created", "batch", ["owner", "created_at"])
    op.create_table(
        "batch_account",
        sa.Column(
            "batch_id",
            sa.String(36),
            sa.ForeignKey("batch.id", ondelete="CASCADE", name="fk_batch_account_batch_id_batch"),
            nullable=False,
        ),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("solver", sa.String(32)),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "account", name="pk_batch_account"),
    )
    op.create_index("ix_batch_account_position", "batch_account", ["batch_id", "position"])


def downgrade() -> None:
    op.drop_index("ix_batch_account_position", table_name="batch_account")
    op.drop_table("batch_account")
    op.drop_index("ix_batch_owner_created", table_name="batch")
    op.drop_table("batch")
