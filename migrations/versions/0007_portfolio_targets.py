"""A saved portfolio keeps the weights it was saved with (target weights) and its run settings.

The page's "Save as portfolio" stored the tickers and constraints but dropped the weights the
user was looking at; ``portfolio_asset.target_weight`` keeps them (a decimal per asset, NULL
where none was given), ``portfolio.settings`` the run settings (objective, estimation,
risk-free rate, points) as a JSON document, NULL for a portfolio saved without them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("portfolio_asset") as batch:
        batch.add_column(sa.Column("target_weight", sa.Double(), nullable=True))
    with op.batch_alter_table("portfolio") as batch:
        batch.add_column(sa.Column("settings", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portfolio") as batch:
        batch.drop_column("settings")
    with op.batch_alter_table("portfolio_asset") as batch:
        batch.drop_column("target_weight")
