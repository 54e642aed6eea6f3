"""Price series: each ticker's prices packed for reading, beside the row table.

``price_series`` holds per ticker its days (big-endian int32 since 1970-01-01, ascending) and
closes (big-endian float64), with first and last day and the count; the code rewrites it with
every upsert into ``price_data`` (``adapters/storage/price_series.py``). Upgrade builds it from
the stored rows: server-side on PostgreSQL, from the rows in ticker order on SQLite (written out
here so it keeps working whatever the code later becomes). Downgrade drops it; the rows were
never changed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import datetime as dt
from itertools import groupby

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

EPOCH = dt.date(1970, 1, 1)

series = sa.table(
    "price_series",
    sa.column("ticker", sa.String),
    sa.column("first_date", sa.Date),
    sa.column("last_date", sa.Date),
    sa.column("row_count", sa.Integer),
    sa.column("days", sa.LargeBinary),
    sa.column("closes", sa.LargeBinary),
)


def upgrade() -> None:
    op.create_table(
        "price_series",
        sa.Column("ticker", sa.String(32), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("days", sa.LargeBinary(), nullable=False),
        sa.Column("closes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("ticker", name="pk_price_series"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "INSERT INTO price_series (ticker, first_date, last_date, row_count, days, closes) "
            "SELECT ticker, min(date), max(date), count(*), "
            "string_agg(int4send((date - DATE '1970-01-01')::int4), ''::bytea ORDER BY date), "
            "string_agg(float8send(close::float8), ''::bytea ORDER BY date) "
            "FROM price_data GROUP BY ticker"
        )
        return
    rows = bind.execute(
        sa.text("SELECT ticker, date, CAST(close AS REAL) FROM price_data ORDER BY ticker, date")
    )
    for ticker, group in groupby(rows, key=lambda row: row[0]):
        dates, closes = zip(*((row[1], row[2]) for row in group), strict=True)
        days = (np.array(dates, dtype="datetime64[D]") - np.datetime64("1970-01-01")).astype(int)
        bind.execute(
            series.insert().values(
                ticker=ticker,
                first_date=EPOCH + dt.timedelta(days=int(days[0])),
                last_date=EPOCH + dt.timedelta(days=int(days[-1])),
                row_count=len(days),
                days=days.astype(">i4").tobytes(),
                closes=np.array(closes, dtype=">f8").tobytes(),
            )
        )


def downgrade() -> None:
    op.drop_table("price_series")
