"""Import a price file into the store: all rows or none, idempotent (upsert)."""

from collections.abc import Mapping

from domain.errors import InvalidPriceDataError
from domain.ports import PriceSource
from domain.records import ImportReport
from domain.repositories import UnitOfWorkFactory


class ImportPrices:
    """Validate the whole file first (errors name line and column), then upsert it in one
    transaction: a bad row anywhere leaves the store exactly as it was."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(
        self, source: PriceSource, sectors: Mapping[str, str] | None = None
    ) -> ImportReport:
        """``sectors`` (ticker -> sector) are stored in the same transaction."""
        history = source.load()
        if not history.dates:
            raise InvalidPriceDataError("the file has no price rows", field="prices")
        async with self._uow() as uow:
            rows = await uow.prices.upsert(history)
            await uow.prices.set_sectors(sectors or {})
            await uow.commit()
        return ImportReport(rows, history.tickers, history.dates[0], history.dates[-1])
