"""Daily closes by (ticker, date), and the sector of each ticker."""

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Float, cast, func, select, text

from adapters.orm import AssetRow, PriceRow
from adapters.storage.copy import copy_upsert
from domain.errors import NotFoundError
from domain.prices import PriceHistory
from domain.records import TickerSummary

if TYPE_CHECKING:  # the async side is imported where an engine is made
    from sqlalchemy.ext.asyncio import AsyncSession

SQLITE_BATCH = 5000


def _upsert(dialect: str) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_do_update``), imported when a write needs
    it: a run that only reads prices loads neither dialect module."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


EPOCH = dt.date(1970, 1, 1)
EPOCH_ORDINAL = EPOCH.toordinal()


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
    """The query for the closes of ``tickers`` in [start, end] and the assembly of its rows, for
    the async repository and the synchronous ``StoredPriceSource`` alike. On PostgreSQL one row
    per ticker with its days and closes packed as binary arrays: the server does the per-row
    work and numpy decodes, instead of a Python object per price."""

    def __init__(
        self,
        dialect: str,
        tickers: Sequence[str],
        start: dt.date | None,
        end: dt.date | None,
    ) -> None:
        self.names = list(tickers)
        if not self.names:
            raise NotFoundError("no tickers to load (the store has no prices)", field="tickers")
        self._packed = dialect == "postgresql"
        if self._packed:
            self.statement: Any = text(
                "SELECT ticker, string_agg(int4send((date - DATE '1970-01-01')::int4), "
                "''::bytea ORDER BY date), string_agg(float8send(close::float8), ''::bytea "
                "ORDER BY date) FROM price_data WHERE ticker = ANY(:tickers) AND date >= :start "
                "AND date <= :end GROUP BY ticker"
            )
            self.parameters = {
                "tickers": self.names,
                "start": start or dt.date.min,
                "end": end or dt.date.max,
            }
            return
        query = select(PriceRow.ticker, PriceRow.date, cast(PriceRow.close, Float)).where(
            PriceRow.ticker.in_(self.names)
        )
        if start is not None:
            query = query.where(PriceRow.date >= start)
        if end is not None:
            query = query.where(PriceRow.date <= end)
        self.statement, self.parameters = query, {}

    def _series(self, rows: Iterable[Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        if self._packed:
            return {
                t: (np.frombuffer(d, ">i4").astype(np.int64), np.frombuffer(c, ">f8"))
                for t, d, c in rows
            }
        grouped: dict[str, tuple[list[int], list[float]]] = {}
        for ticker, day, close in rows:
            days, values = grouped.setdefault(ticker, ([], []))
            days.append(day.toordinal() - EPOCH_ORDINAL)
            values.append(close)
        return {t: (np.array(d, dtype=np.int64), np.array(c)) for t, (d, c) in grouped.items()}

    def history(self, rows: Iterable[Any]) -> PriceHistory:
        """Prices on the union of the tickers' dates (NaN where one has none)."""
        series = self._series(rows)
        missing = [t for t in self.names if t not in series]
        if missing:
            raise NotFoundError(
                f"no stored prices for {missing[0]!r} in that date range", field="tickers"
            )
        days = np.unique(np.concatenate([d for d, _ in series.values()]))
        closes = np.full((days.size, len(self.names)), np.nan)
        for j, ticker in enumerate(self.names):
            d, c = series[ticker]
            closes[np.searchsorted(days, d), j] = c
        return PriceHistory([EPOCH + dt.timedelta(days=int(x)) for x in days], self.names, closes)


SUMMARY = (
    select(
        PriceRow.ticker,
        func.min(PriceRow.date),
        func.max(PriceRow.date),
        func.count(),
        AssetRow.sector,
    )
    .outerjoin(AssetRow, AssetRow.ticker == PriceRow.ticker)
    .group_by(PriceRow.ticker, AssetRow.sector)
    .order_by(PriceRow.ticker)
)
"""Every stored ticker with its first and last day, row count and sector."""


class SqlAlchemyPriceRepository:
    def __init__(self, session: "AsyncSession") -> None:
        self._session = session

    async def upsert(self, history: PriceHistory) -> int:
        rows = _rows(history)
        if self._session.bind.dialect.name == "postgresql":
            await copy_upsert(self._session, rows)
        else:
            table = PriceRow.__table__
            for start in range(0, len(rows), SQLITE_BATCH):
                batch = [
                    {"ticker": t, "date": d, "close": c}
                    for t, d, c in rows[start : start + SQLITE_BATCH]
                ]
                stmt = _upsert("sqlite")(table)
                await self._session.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["ticker", "date"], set_={"close": stmt.excluded.close}
                    ),
                    batch,
                )
        return len(rows)

    async def load(
        self,
        tickers: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> PriceHistory:
        if tickers is None:
            tickers = [s.ticker for s in await self.summary()]
        query = SeriesQuery(self._session.bind.dialect.name, tickers, start, end)
        return query.history(await self._session.execute(query.statement, query.parameters))

    async def summary(self) -> list[TickerSummary]:
        return [TickerSummary(*row) for row in (await self._session.execute(SUMMARY)).all()]

    async def set_sectors(self, sectors: Mapping[str, str]) -> None:
        if not sectors:
            return
        rows = [{"ticker": t, "sector": s} for t, s in sectors.items()]
        dialect = self._session.bind.dialect.name
        statement = _upsert(dialect)(AssetRow).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=[AssetRow.ticker], set_={"sector": statement.excluded.sector}
        )
        await self._session.execute(statement)
