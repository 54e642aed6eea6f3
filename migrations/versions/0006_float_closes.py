"""Closes as double precision: store exactly the float an import accepted, on both engines.

``price_data.close`` was ``Numeric(20, 8)``: PostgreSQL rounded a close of 1e-9 to 0 (and
every optimization on that ticker then failed), and refused 1e13 as an overflow inside COPY,
while SQLite kept both. A float column holds every close the validator accepts, bit for bit,
as the packed series already do. Downgrade goes back to the numeric column (rounding again),
and refuses while a stored close is one the numeric cannot hold.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("price_data") as batch:
        batch.alter_column(
            "close", type_=sa.Double(), existing_type=sa.Numeric(20, 8), existing_nullable=False
        )


NUMERIC_LIMIT = 1e12
"""The largest magnitude ``Numeric(20, 8)`` holds (12 digits before the point)."""


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # SQLite does not enforce the numeric's range
        lost = bind.execute(
            sa.text("SELECT count(*) FROM price_data WHERE close >= :limit OR close < 5e-9"),
            {"limit": NUMERIC_LIMIT},
        ).scalar_one()
        if lost:
            raise RuntimeError(
                f"{lost} stored closes are outside what revision 0005's numeric(20, 8) column "
                "holds (>= 1e12 or < 5e-9); delete or re-import them before downgrading"
            )
    with op.batch_alter_table("price_data") as batch:
        batch.alter_column(
            "close", type_=sa.Numeric(20, 8), existing_type=sa.Double(), existing_nullable=False
        )
