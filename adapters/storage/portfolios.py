"""Saved portfolios: a row, its assets in order, its constraints as JSON."""

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from adapters.constraint_codec import decode, encode
from adapters.orm import OptimizationRow, PortfolioAssetRow, PortfolioRow
from adapters.storage.times import utc
from domain.errors import ConflictError, NotFoundError
from domain.model import Asset, Portfolio
from domain.records import StoredPortfolio

if TYPE_CHECKING:  # the async side is imported where an engine is made
    from sqlalchemy.ext.asyncio import AsyncSession


def stored_portfolio(row: PortfolioRow) -> StoredPortfolio:
    assets = tuple(Asset(a.ticker, a.sector) for a in row.assets)
    weights = {a.ticker: float(a.weight) for a in row.assets if a.weight is not None}
    targets = {a.ticker: a.target_weight for a in row.assets if a.target_weight is not None}
    portfolio = Portfolio(
        row.name, assets, decode(row.constraints), weights or None, targets or None
    )
    return StoredPortfolio(
        row.id,
        portfolio,
        row.owner,
        utc(row.created_at),
        utc(row.updated_at),
        row.settings,
    )


def _asset_rows(p: Portfolio) -> list[PortfolioAssetRow]:
    weights, targets = p.current_weights or {}, p.target_weights or {}
    return [
        PortfolioAssetRow(
            ticker=a.ticker,
            position=i,
            sector=a.sector,
            weight=weights.get(a.ticker),
            target_weight=targets.get(a.ticker),
        )
        for i, a in enumerate(p.assets)
    ]


class SqlAlchemyPortfolioRepository:
    """``owner`` set: only that owner's portfolios exist for this repository."""

    def __init__(self, session: "AsyncSession", owner: str | None = None) -> None:
        self._session, self._owner = session, owner

    async def _row(self, portfolio_id: str) -> PortfolioRow:
        row = await self._session.get(PortfolioRow, portfolio_id)
        if row is None or (self._owner is not None and row.owner != self._owner):
            raise NotFoundError(f"no portfolio with id {portfolio_id!r}", field="portfolio_id")
        return row

    async def add(self, stored: StoredPortfolio) -> None:
        p = stored.portfolio
        owner = self._owner if self._owner is not None else stored.owner
        row = PortfolioRow(
            id=stored.id,
            name=p.name,
            owner=owner,
            constraints=encode(p.constraints),
            settings=stored.settings,
        )
        row.assets = _asset_rows(p)
        self._session.add(row)
        try:
            await self._session.flush()
        except IntegrityError:
            raise ConflictError(
                f"a portfolio named {p.name!r} already exists", field="name"
            ) from None

    async def replace(self, stored: StoredPortfolio) -> None:
        row = await self._row(stored.id)
        p = stored.portfolio
        row.name, row.constraints = p.name, encode(p.constraints)
        row.settings = stored.settings
        row.assets.clear()
        try:
            await self._session.flush()  # the old assets go before new ones reuse their keys
            row.assets.extend(_asset_rows(p))
            await self._session.flush()
        except IntegrityError:
            raise ConflictError(
                f"a portfolio named {p.name!r} already exists", field="name"
            ) from None

    async def get(self, portfolio_id: str) -> StoredPortfolio:
        return stored_portfolio(await self._row(portfolio_id))

    async def get_by_name(self, name: str, owner: str | None = None) -> StoredPortfolio:
        owner = self._owner if self._owner is not None else owner
        owner_clause = (
            PortfolioRow.owner.is_(None) if owner is None else (PortfolioRow.owner == owner)
        )
        row = (
            await self._session.scalars(
                select(PortfolioRow).where(PortfolioRow.name == name, owner_clause)
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no portfolio named {name!r}", field="name")
        return stored_portfolio(row)

    async def list(self, owner: str | None = None) -> list[StoredPortfolio]:
        owner = self._owner if self._owner is not None else owner
        query = select(PortfolioRow).order_by(PortfolioRow.name)
        if owner is not None:
            query = query.where(PortfolioRow.owner == owner)
        return [stored_portfolio(r) for r in await self._session.scalars(query)]

    async def delete(self, portfolio_id: str) -> None:
        row = await self._row(portfolio_id)
        await self._session.execute(
            OptimizationRow.__table__.update()
            .where(OptimizationRow.portfolio_id == portfolio_id)
            .values(portfolio_id=None)
        )
        await self._session.delete(row)
        await self._session.flush()
