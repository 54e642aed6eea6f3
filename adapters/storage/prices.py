"""Daily closes by (ticker, date), and the sector of each ticker."""

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select

from adapters.storage import price_series
from adapters.storage.copy import copy_upsert
from adapters.storage.errors import storage_errors
from adapters.tables import asset, price_data
from adapters.tables import price_series as series_table
from domain.errors import NotFoundError
from domain.prices import PriceHistory
from domain.records import TickerSummary

if TYPE_CHECKING:  # the async side is imported where an engine is made
    from sqlalchemy import Connection
    from sqlalchemy.ext.asyncio import AsyncSession

PG_SELECT = "SELECT ticker, days, closes FROM price_series WHERE ticker = ANY(%s)"
"""On PostgreSQL the series are read with a binary cursor: bytea as text is hex, twice the
bytes and a decode (a 500 x 2520 read took 80-110 ms that way, 25-40 ms in binary)."""

SQLITE_BATCH = 5000


def _upsert(dialect: str) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_do_update``), imported when a write needs
    it: a run that only reads prices loads neither dialect module."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _rows(history: PriceHistory) -> list[tuple[str, dt.date, float]]:
    """Present prices, sorted by (ticker, date) so concurrent upserts lock in one order."""
    out = []
    for j in np.argsort(history.tickers, kind="stable"):
        ticker = history.tickers[j]
        for i, day in enumerate(history.dates):
            value = float(history.closes[i, j])
            if not math.isnan(value):
                out.append((ticker, day, value))
    return out


class SeriesQuery:
    """The query for the packed series of ``tickers`` and their assembly into prices in
    [start, end], for the async repository and the synchronous ``StoredPriceSource`` alike
    (``adapters.storage.price_series`` says why series, not rows)."""

    def __init__(
        self,
        tickers: Sequence[str],
        start: dt.date | None,
        end: dt.date | None,
    ) -> None:
        self.names = list(tickers)
        if not self.names:
            raise NotFoundError("no tickers to load (the store has no prices)", field="tickers")
        self._start, self._end = start, end
        columns = series_table.c
        self.statement = select(columns.ticker, columns.days, columns.closes).where(
            columns.ticker.in_(self.names)
        )

    def rows(self, connection: "Connection") -> Sequence[Any]:
        """The series rows, read on a synchronous connection (the driver's own errors, from
        the raw cursor, as the store's)."""
        if connection.dialect.name != "postgresql":
            return connection.execute(self.statement).all()
        with storage_errors(), connection.connection.driver_connection.cursor(binary=True) as c:
            return c.execute(PG_SELECT, (self.names,)).fetchall()

    async def rows_async(self, session: "AsyncSession") -> Sequence[Any]:
        """The series rows, read in an async session."""
        if session.bind.dialect.name != "postgresql":
            return (await session.execute(self.statement)).all()
        connection = await session.connection()
        driver = (await connection.get_raw_connection()).driver_connection
        with storage_errors():
            async with driver.cursor(binary=True) as cursor:
                await cursor.execute(PG_SELECT, (self.names,))
                return await cursor.fetchall()

    def history(self, rows: Iterable[Any]) -> PriceHistory:
        """Prices on the union of the tickers' dates (NaN where one has none)."""
        return price_series.load(self.names, rows, self._start, self._end)


SUMMARY = (
    select(
        series_table.c.ticker,
        series_table.c.first_date,
        series_table.c.last_date,
        series_table.c.row_count,
        asset.c.sector,
    )
    .outerjoin(asset, asset.c.ticker == series_table.c.ticker)
    .order_by(series_table.c.ticker)
)
"""Every stored ticker with its first and last day, row count and sector."""


class SqlAlchemyPriceRepository:
    def __init__(self, session: "AsyncSession") -> None:
        self._session = session

    async def upsert(self, history: PriceHistory) -> int:
        rows = _rows(history)
        if self._session.bind.dialect.name == "postgresql":
            await copy_upsert(self._session, rows)  # and rebuilds the series
        else:
            for start in range(0, len(rows), SQLITE_BATCH):
                batch = [
                    {"ticker": t, "date": d, "close": c}
                    for t, d, c in rows[start : start + SQLITE_BATCH]
                ]
                stmt = _upsert("sqlite")(price_data)
                await self._session.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["ticker", "date"], set_={"close": stmt.excluded.close}
                    ),
                    batch,
                )
            await self._write_series(price_series.series_of(history))
        return len(rows)

    async def _write_series(self, new: Mapping[str, price_series.Series]) -> None:
        """SQLite stores the floats it is given, so each touched series is the stored one with
        the new prices merged in, without reading the rows back."""
        if not new:
            return
        stored = await self._session.execute(
            select(series_table.c.ticker, series_table.c.days, series_table.c.closes).where(
                series_table.c.ticker.in_(list(new))
            )
        )
        old = {t: price_series.unpack(d, c) for t, d, c in stored}
        packed = [price_series.pack(t, price_series.merge(old.get(t), s)) for t, s in new.items()]
        statement = _upsert("sqlite")(series_table)
        excluded = statement.excluded
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["ticker"],
                set_={c: excluded[c] for c in price_series.FIELDS},
            ),
            packed,
        )

    async def load(
        self,
        tickers: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> PriceHistory:
        if tickers is None:
            tickers = [s.ticker for s in await self.summary()]
        query = SeriesQuery(tickers, start, end)
        return query.history(await query.rows_async(self._session))

    async def summary(self) -> list[TickerSummary]:
        return [TickerSummary(*row) for row in (await self._session.execute(SUMMARY)).all()]

    async def set_sectors(self, sectors: Mapping[str, str]) -> None:
        if not sectors:
            return
        rows = [{"ticker": t, "sector": s} for t, s in sectors.items()]
        dialect = self._session.bind.dialect.name
        statement = _upsert(dialect)(asset).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=[asset.c.ticker], set_={"sector": statement.excluded.sector}
        )
        await self._session.execute(statement)
