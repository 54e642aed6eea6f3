"""Saved portfolios: a document read with GET can be sent back with PUT unchanged."""

from litestar import Controller, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from adapters.documents.records import (
    OptimizationRecordDocument,
    PortfolioDocument,
    portfolio_document,
    record_document,
    stored_settings,
)
from application.manage_portfolios import ManagePortfolios
from domain.errors import ValidationError
from entrypoints.http.dependencies import Uow, check_page
from entrypoints.http.problems import LIST, READ, WRITE
from entrypoints.http.requests import PortfolioRequest, to_portfolio


class PortfolioController(Controller):
    path = "/api/portfolios"
    tags = ("portfolios",)

    @get(operation_id="list_portfolios", summary="List saved portfolios", responses=LIST)
    async def list_all(self, uow: Uow) -> list[PortfolioDocument]:
        return [portfolio_document(s) for s in await ManagePortfolios(uow).list()]

    @post(operation_id="create_portfolio", summary="Save a portfolio", responses=WRITE)
    async def create(
        self, data: JSONBody[PortfolioRequest], uow: Uow
    ) -> Response[PortfolioDocument]:
        """201 with ``Location`` (clients, and schemathesis' stateful phase, follow it)."""
        portfolio = to_portfolio(
            data.name,
            data.tickers,
            data.constraints,
            data.sectors,
            data.target_weights,
            data.holdings,
        )
        stored = await ManagePortfolios(uow).create(
            portfolio, settings=stored_settings(data.settings)
        )
        doc = portfolio_document(stored)
        return Response(doc, status_code=201, headers={"location": f"{self.path}/{doc.id}"})

    @get(
        "/{portfolio_id:str}",
        operation_id="get_portfolio",
        summary="Read a saved portfolio",
        responses=READ,
    )
    async def show(self, portfolio_id: FromPath[str], uow: Uow) -> PortfolioDocument:
        return portfolio_document(await ManagePortfolios(uow).show(portfolio_id))

    @put(
        "/{portfolio_id:str}",
        operation_id="replace_portfolio",
        summary="Replace a saved portfolio",
        responses=WRITE,
    )
    async def replace(
        self, portfolio_id: FromPath[str], data: JSONBody[PortfolioRequest], uow: Uow
    ) -> PortfolioDocument:
        """A document read with GET may be sent back as it is (its ``id`` must be this one)."""
        if data.id is not None and data.id != portfolio_id:
            raise ValidationError(
                f"id {data.id!r} is not the portfolio being replaced ({portfolio_id!r})",
                field="id",
            )
        portfolio = to_portfolio(
            data.name,
            data.tickers,
            data.constraints,
            data.sectors,
            data.target_weights,
            data.holdings,
        )
        stored = await ManagePortfolios(uow).replace(
            portfolio_id, portfolio, settings=stored_settings(data.settings)
        )
        return portfolio_document(stored)

    @delete(
        "/{portfolio_id:str}",
        operation_id="delete_portfolio",
        summary="Delete a saved portfolio",
        responses=READ,
    )
    async def remove(self, portfolio_id: FromPath[str], uow: Uow) -> None:
        """Its history stays, unlinked."""
        await ManagePortfolios(uow).delete(portfolio_id)

    @get(
        "/{portfolio_id:str}/optimizations",
        operation_id="portfolio_history",
        summary="Runs of a saved portfolio",
        responses=LIST,
    )
    async def history(
        self,
        portfolio_id: FromPath[str],
        uow: Uow,
        limit: FromQuery[int] = 50,
        offset: FromQuery[int] = 0,
    ) -> list[OptimizationRecordDocument]:
        """Runs of one saved portfolio, newest first, paginated."""
        check_page(limit, offset, 500)
        stored = await ManagePortfolios(uow).show(portfolio_id)
        async with uow() as u:
            records = await u.optimizations.list(stored.id, limit=limit, offset=offset)
        return [record_document(r) for r in records]
