"""API keys, and an owner on every optimization (the key's name) for per-owner history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_key"),
    )
    with op.batch_alter_table("optimization") as batch:
        batch.add_column(sa.Column("owner", sa.String(64), nullable=True))
    op.create_index("ix_optimization_owner_created", "optimization", ["owner", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_optimization_owner_created", table_name="optimization")
    with op.batch_alter_table("optimization") as batch:
        batch.drop_column("owner")
    op.drop_table("api_key")
