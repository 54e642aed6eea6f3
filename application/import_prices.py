"""Import a price file into the store: all rows or none, idempotent (upsert)."""

from collections.abc import Mapping

from domain.errors import InvalidPriceDataError
from domain.ports import PriceSource
from domain.prices import price_changes
from domain.records import ImportReport
from domain.repositories import UnitOfWorkFactory


class ImportPrices:
    """Validate the whole file first (errors name line and column), then upsert it in one
    transaction: a bad row anywhere leaves the store exactly as it was. A file the store
    already holds, close for close and sector for sector, writes nothing and says so."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(
        self, source: PriceSource, sectors: Mapping[str, str] | None = None
    ) -> ImportReport:
        """``sectors`` (ticker -> sector) are stored in the same transaction."""
        history = source.load()
        if not history.dates:
            raise InvalidPriceDataError("the file has no price rows", field="prices")
        sectors = dict(sectors or {})
        async with self._uow() as uow:
            summary = {s.ticker: s for s in await uow.prices.summary()}
            known = [t for t in history.tickers if t in summary]
            stored = await uow.prices.load(known) if known else None
            rows, added, changed = price_changes(stored, history)
            sectors_changed = sum(
                1 for t, s in sectors.items() if t not in summary or summary[t].sector != s
            )
            if added or changed:
                await uow.prices.upsert(history)
            if sectors_changed:
                await uow.prices.set_sectors(sectors)
            await uow.commit()
        return ImportReport(
            rows,
            history.tickers,
            history.dates[0],
            history.dates[-1],
            added,
            changed,
            sectors_changed,
        )
