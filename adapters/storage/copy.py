"""PostgreSQL's bulk path for prices: COPY into a staging table, then one upsert."""

import datetime as dt
from typing import TYPE_CHECKING

from adapters.storage.price_series import PG_LOCK, PG_REFRESH

if TYPE_CHECKING:  # the async side is imported where an engine is made
    from sqlalchemy.ext.asyncio import AsyncSession


async def copy_upsert(session: "AsyncSession", rows: list[tuple[str, dt.date, float]]) -> None:
    """COPY into a transaction-local staging table, then one INSERT ... ON CONFLICT, then the
    touched tickers' series rebuilt from their rows (under their locks)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    async with driver.cursor() as cursor:
        await cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS price_import_rows "
            "(ticker varchar(32), date date, close float8) ON COMMIT DELETE ROWS"
        )
        async with cursor.copy("COPY price_import_rows (ticker, date, close) FROM STDIN") as copy:
            for row in rows:
                await copy.write_row(row)
        tickers = sorted({row[0] for row in rows})
        await cursor.execute(PG_LOCK, {"tickers": tickers})
        await cursor.execute(
            "INSERT INTO price_data (ticker, date, close) "
            "SELECT ticker, date, close FROM price_import_rows ORDER BY ticker, date "
            "ON CONFLICT (ticker, date) DO UPDATE SET close = EXCLUDED.close "
            "WHERE price_data.close IS DISTINCT FROM EXCLUDED.close"
        )
        await cursor.execute(PG_REFRESH, {"tickers": tickers})
        await cursor.execute("TRUNCATE price_import_rows")
        await cursor.execute("ANALYZE price_data")
