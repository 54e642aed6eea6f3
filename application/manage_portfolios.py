"""Saved portfolios: create, list, show, delete."""

import uuid
from typing import Any

from domain.errors import NotFoundError
from domain.model import Portfolio, check_stored_ticker
from domain.records import StoredPortfolio
from domain.repositories import UnitOfWorkFactory


def _storable(portfolio: Portfolio) -> None:
    """A saved portfolio runs on stored prices, so its tickers follow the stored ticker rule
    (checked before the store: PostgreSQL refused a 33-character one as a database error)."""
    for ticker in portfolio.tickers:
        check_stored_ticker(ticker, "tickers")


class ManagePortfolios:
    """CRUD on saved portfolios; ``ref`` is an id or a name."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def create(
        self,
        portfolio: Portfolio,
        owner: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> StoredPortfolio:
        _storable(portfolio)
        stored = StoredPortfolio(str(uuid.uuid4()), portfolio, owner, settings=settings)
        async with self._uow() as uow:
            await uow.portfolios.add(stored)
            await uow.commit()
            return await uow.portfolios.get(stored.id)

    async def list(self, owner: str | None = None) -> list[StoredPortfolio]:
        async with self._uow() as uow:
            return await uow.portfolios.list(owner)

    async def show(self, ref: str, owner: str | None = None) -> StoredPortfolio:
        async with self._uow() as uow:
            return await _find(uow, ref, owner)

    async def replace(
        self,
        ref: str,
        portfolio: Portfolio,
        owner: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> StoredPortfolio:
        """``portfolio`` and ``settings`` replace the stored ones (None: no settings)."""
        _storable(portfolio)
        async with self._uow() as uow:
            stored = await _find(uow, ref, owner)
            await uow.portfolios.replace(
                StoredPortfolio(stored.id, portfolio, stored.owner, settings=settings)
            )
            await uow.commit()
            return await uow.portfolios.get(stored.id)

    async def delete(self, ref: str, owner: str | None = None) -> StoredPortfolio:
        async with self._uow() as uow:
            stored = await _find(uow, ref, owner)
            await uow.portfolios.delete(stored.id)
            await uow.commit()
            return stored


async def _find(uow, ref: str, owner: str | None) -> StoredPortfolio:
    try:
        return await uow.portfolios.get_by_name(ref, owner)
    except NotFoundError:
        try:
            return await uow.portfolios.get(ref)
        except NotFoundError:
            raise NotFoundError(
                f"no portfolio named or with id {ref!r}", field="portfolio"
            ) from None
