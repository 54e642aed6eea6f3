"""The store as a run sees it from its worker thread or CLI command: synchronous reads of saved
portfolios and stored prices, and the history append, all on the engine's synchronous twin."""

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine, select

from adapters.storage.errors import storage_errors
from adapters.storage.journal import run_journal
from adapters.storage.prices import SUMMARY, SeriesQuery
from domain.errors import NotFoundError
from domain.prices import PriceHistory
from domain.records import OptimizationRecord, StoredPortfolio


class StoredPriceSource:
    """``PriceSource`` over the price table, read synchronously."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def load(
        self,
        tickers: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> PriceHistory:
        with storage_errors(), self._engine.connect() as connection:
            if tickers is None:
                tickers = [row[0] for row in connection.execute(SUMMARY)]
            query = SeriesQuery(tickers, start, end)
            return query.history(query.rows(connection))


class SqlAlchemyRunStore:
    """``RunStore`` for one owner (None: every portfolio, as when API keys are off)."""

    def __init__(self, engine: Engine, owner: str | None = None) -> None:
        self._engine, self._owner = engine, owner
        self.prices = StoredPriceSource(engine)
        self._journal = run_journal(engine, owner)

    def portfolio(self, ref: str) -> StoredPortfolio:
        """By name first (among this owner's, or the unowned ones when keys are off), then by
        id, as ``ManagePortfolios.show`` finds them. The ORM is imported here, for a run
        on a saved portfolio: a run on tickers or a file never needs it (~0.1 s)."""
        from sqlalchemy.orm import Session

        from adapters.orm import PortfolioRow
        from adapters.storage.portfolios import stored_portfolio

        owned = (
            PortfolioRow.owner.is_(None)
            if self._owner is None
            else PortfolioRow.owner == self._owner
        )
        by_name = select(PortfolioRow).where(PortfolioRow.name == ref, owned)
        with storage_errors(), Session(self._engine) as session:
            row = session.scalars(by_name).first() or session.get(PortfolioRow, ref)
            if row is None or (self._owner is not None and row.owner != self._owner):
                raise NotFoundError(f"no portfolio named or with id {ref!r}", field="portfolio")
            return stored_portfolio(row)

    def append(self, record: OptimizationRecord) -> None:
        self._journal.append(record)
