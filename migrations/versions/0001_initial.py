"""Initial schema: portfolios, their assets, optimization history, prices, asset metadata.

Written by hand to run on SQLite and PostgreSQL alike.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portfolio",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("constraints", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_portfolio"),
        sa.UniqueConstraint("owner", "name", name="uq_portfolio_owner_name"),
    )
    op.create_index(
        "uq_portfolio_name_without_owner",
        "portfolio",
        ["name"],
        unique=True,
        sqlite_where=sa.text("owner IS NULL"),
        postgresql_where=sa.text("owner IS NULL"),
    )
    op.create_table(
        "portfolio_asset",
        sa.Column("portfolio_id", sa.String(36), nullable=False),
        sa.Column("ticker", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Numeric(20, 12), nullable=True),
        sa.Column("sector", sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolio.id"],
            name="fk_portfolio_asset_portfolio_id_portfolio",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("portfolio_id", "ticker", name="pk_portfolio_asset"),
    )
    op.create_index("ix_portfolio_asset_weight", "portfolio_asset", ["weight"])
    op.create_table(
        "optimization",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("portfolio_id", sa.String(36), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("objective", sa.String(32), nullable=False),
        sa.Column("params_json", sa.JSON(), nullable=False),
        sa.Column("results_json", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolio.id"],
            name="fk_optimization_portfolio_id_portfolio",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_optimization"),
    )
    op.create_index(
        "ix_optimization_portfolio_created", "optimization", ["portfolio_id", "created_at"]
    )
    op.create_table(
        "price_data",
        sa.Column("ticker", sa.String(32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("close", sa.Numeric(20, 8), nullable=False),
        sa.PrimaryKeyConstraint("ticker", "date", name="pk_price_data"),
    )
    op.create_index("ix_price_data_date", "price_data", ["date"])
    op.create_table(
        "asset",
        sa.Column("ticker", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("sector", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("ticker", name="pk_asset"),
    )


def downgrade() -> None:
    op.drop_table("asset")
    op.drop_index("ix_price_data_date", table_name="price_data")
    op.drop_table("price_data")
    op.drop_index("ix_optimization_portfolio_created", table_name="optimization")
    op.drop_table("optimization")
    op.drop_index("ix_portfolio_asset_weight", table_name="portfolio_asset")
    op.drop_table("portfolio_asset")
    op.drop_index("uq_portfolio_name_without_owner", table_name="portfolio")
    op.drop_table("portfolio")
