"""The Litestar application: one engine per process, use cases from the container.

Solves run in worker threads (the use cases call ``asyncio.to_thread``), so ``/health`` keeps
answering while they run. Errors become problem+json in ``entrypoints.http.errors``.
"""

import asyncio
import datetime as dt
import io
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Litestar, Request, Response, WebSocket, delete, get, post, put, websocket
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from adapters.csv_prices import parse_prices
from adapters.documents.codec import read
from adapters.documents.records import PortfolioDocument, record_document
from adapters.documents.specs import to_estimation
from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine
from application.api_keys import AuthPolicy, ManageKeys
from application.attribute_risk import AttributeRiskCommand, attribute_universe
from application.frontier_jobs import FrontierJobs
from application.history_source import HistoryPriceSource
from application.import_prices import ImportPrices
from application.job_board import FINAL, initial_state, public
from application.manage_portfolios import ManagePortfolios
from application.runs import AsyncRuns
from domain.errors import NotFoundError, StorageUnavailableError, ValidationError
from entrypoints.container import Container, runs_on
from entrypoints.exports import PriceRowBody, record_csv, rows_to_history
from entrypoints.http.auth import auth_middleware
from entrypoints.http.charts import render as render_chart
from entrypoints.http.errors import HANDLERS
from entrypoints.http.gate import HEAVY_ASSETS, SolveGate
from entrypoints.http.openapi_links import add_links
from entrypoints.http.page import page_handlers
from entrypoints.http.requests import (
    FrontierRequest,
    OptimizeRequest,
    PortfolioRequest,
    RiskRequest,
    request_spec,
    to_portfolio,
    universe_body,
)
from entrypoints.http.shutdown import Drain
from entrypoints.schemas import (
    OptimizationResponse,
    jsonable,
    portfolio_document,
    report_document,
)


class JobProgress:
    """Progress written into a job document, as a frontier job's state records it (a frontier
    answered at once ends in the same document as one run as a job)."""

    def __init__(self, job: dict[str, Any]) -> None:
        self._job = job

    def report(self, current: int, total: int, message: str) -> None:
        self._job.update(current=current, total=total, message=message, seq=self._job["seq"] + 1)


BODY_LIMIT = 8 * 1024 * 1024
"""Request bodies above 8 MiB are refused with 413 (a 5000-asset inline covariance fits)."""

Uow = NamedDependency[SqlAlchemyUnitOfWorkFactory]
Runs = NamedDependency[AsyncRuns]
Owner = NamedDependency[str | None]


MAX_OFFSET = 1_000_000_000


def _check_page(limit: int, offset: int, most: int) -> None:
    """Pagination within what the database can take (a huge offset overflowed it: a 500)."""
    if not 1 <= limit <= most:
        raise ValidationError(f"limit must be 1..{most}, got {limit}", field="limit")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationError(f"offset must be 0..{MAX_OFFSET}, got {offset}", field="offset")


def _event(state: dict[str, Any]) -> dict[str, Any]:
    """The WebSocket event of a job change: progress while it runs, then its final status."""
    if state["status"] not in FINAL:
        return {"current": state["current"], "total": state["total"], "message": state["message"]}
    event = {"status": state["status"]}
    if state.get("optimization_id"):
        event["optimization_id"] = state["optimization_id"]
    if state["status"] == "done":
        event["result_url"] = f"/api/optimize/efficient-frontier/{state['session_id']}"
    if state.get("error"):
        event["error"] = state["error"]
    return event


def create_app(container: Container) -> Litestar:
    drain = Drain(container.config.shutdown_grace_s())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        url = container.config.database_url()
        engine = make_engine(url)
        app.state.engine = engine
        app.state.uow = SqlAlchemyUnitOfWorkFactory(engine)
        board = container.job_board(engine=engine, url=url)
        app.state.jobs = FrontierJobs(board, container.config.max_jobs_per_owner())
        keys = ManageKeys(app.state.uow)
        app.state.auth = AuthPolicy(keys, app.state.uow, container.config.auth_required())
        await board.open()
        undo = drain.install(app.state.jobs, gate.stop)
        try:
            yield
        finally:
            undo()
            await board.close()
            await engine.dispose()

    def provide_uow(request: Request) -> SqlAlchemyUnitOfWorkFactory:
        """The store as the caller's owner sees it (everything when keys are off)."""
        return request.app.state.uow.for_owner(request.scope.get("pfopt_owner"))

    def provide_owner(request: Request) -> str | None:
        return request.scope.get("pfopt_owner")

    def provide_runs(uow: Uow) -> AsyncRuns:
        return AsyncRuns(runs_on(container, uow.run_store()))

    @get("/health")
    async def health(state: State) -> dict[str, str]:
        """Liveness and database reachability."""
        try:
            async with state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError, OSError) as error:
            raise StorageUnavailableError(
                f"the database is unavailable: {type(error).__name__}", field="database"
            ) from None
        return {"status": "ok", "database": "ok"}

    @post("/api/optimize/portfolio", status_code=200)
    async def optimize(data: JSONBody[OptimizeRequest], runs: Runs) -> OptimizationResponse:
        """One optimization on a saved portfolio, stored prices or an inline risk model."""
        run = await runs.resolve(request_spec(data))
        async with gate.slot(len(run.portfolio.tickers) >= HEAVY_ASSETS):
            outcome = await runs.execute(run)
        return read(outcome.document, OptimizationResponse)

    @get("/api/portfolios")
    async def list_portfolios(uow: Uow) -> list[PortfolioDocument]:
        return [portfolio_document(s) for s in await ManagePortfolios(uow).list()]

    @post("/api/portfolios")
    async def create_portfolio(
        data: JSONBody[PortfolioRequest], uow: Uow
    ) -> Response[PortfolioDocument]:
        """201 with ``Location`` (clients, and schemathesis' stateful phase, follow it)."""
        portfolio = to_portfolio(data.name, data.tickers, data.constraints, data.sectors)
        doc = portfolio_document(await ManagePortfolios(uow).create(portfolio))
        return Response(doc, status_code=201, headers={"location": f"/api/portfolios/{doc.id}"})

    @get("/api/portfolios/{portfolio_id:str}")
    async def get_portfolio(portfolio_id: FromPath[str], uow: Uow) -> PortfolioDocument:
        return portfolio_document(await ManagePortfolios(uow).show(portfolio_id))

    @delete("/api/portfolios/{portfolio_id:str}")
    async def delete_portfolio(portfolio_id: FromPath[str], uow: Uow) -> None:
        await ManagePortfolios(uow).delete(portfolio_id)

    @put("/api/portfolios/{portfolio_id:str}")
    async def replace_portfolio(
        portfolio_id: FromPath[str], data: JSONBody[PortfolioRequest], uow: Uow
    ) -> PortfolioDocument:
        """A document read with GET may be sent back as it is (its ``id`` must be this one)."""
        if data.id is not None and data.id != portfolio_id:
            raise ValidationError(
                f"id {data.id!r} is not the portfolio being replaced ({portfolio_id!r})",
                field="id",
            )
        portfolio = to_portfolio(data.name, data.tickers, data.constraints, data.sectors)
        return portfolio_document(await ManagePortfolios(uow).replace(portfolio_id, portfolio))

    @get("/api/portfolios/{portfolio_id:str}/optimizations")
    async def portfolio_history(
        portfolio_id: FromPath[str],
        uow: Uow,
        limit: FromQuery[int] = 50,
        offset: FromQuery[int] = 0,
    ) -> list[dict[str, Any]]:
        """Runs of one saved portfolio, newest first, paginated."""
        _check_page(limit, offset, 500)
        stored = await ManagePortfolios(uow).show(portfolio_id)
        async with uow() as u:
            records = await u.optimizations.list(stored.id, limit=limit, offset=offset)
        return [msgspec.to_builtins(record_document(r)) for r in records]

    @post("/api/prices", status_code=200)
    async def import_prices(request: Request, uow: Uow) -> dict[str, Any]:
        """A price CSV (``text/csv``, wide or long) or JSON rows ``[{date, ticker, close}]``:
        validated whole, written all or nothing."""
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("text/csv"):
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError("prices: the CSV is not UTF-8 text", field="prices") from None
            history = parse_prices(io.StringIO(text), "upload.csv")
        else:
            try:
                rows = msgspec.json.decode(raw, type=list[PriceRowBody])
            except msgspec.MsgspecError as error:  # malformed JSON or wrong shape
                raise ValidationError(f"prices: {error}", field="prices") from None
            history = rows_to_history(rows)
        report = await ImportPrices(uow).execute(HistoryPriceSource(history))
        return jsonable(report)

    @get("/api/prices/{ticker:str}")
    async def ticker_prices(
        ticker: FromPath[str],
        uow: Uow,
        start: FromQuery[dt.date | None] = None,
        end: FromQuery[dt.date | None] = None,
        limit: FromQuery[int] = 5000,
        offset: FromQuery[int] = 0,
    ) -> Response[list[dict[str, Any]]]:
        """Daily closes, oldest first, ``limit`` at a time; a ``Link: <...>; rel="next"`` header
        points at the next page while there is one."""
        _check_page(limit, offset, 50_000)
        async with uow() as u:
            history = await u.prices.load([ticker], start, end)
        closes = history.closes[:, 0]
        page = [
            {"date": history.dates[k].isoformat(), "close": float(closes[k])}
            for k in range(offset, min(offset + limit, len(history.dates)))
        ]
        headers = {}
        if offset + limit < len(history.dates):
            query = {"limit": limit, "offset": offset + limit}
            query |= {k: v.isoformat() for k, v in (("start", start), ("end", end)) if v}
            headers["link"] = f'</api/prices/{ticker}?{urlencode(query)}>; rel="next"'
        return Response(page, headers=headers)

    @get("/api/tickers")
    async def tickers(uow: Uow) -> list[dict[str, Any]]:
        """Every stored ticker with its date range, row count and sector (null if unknown)."""
        async with uow() as u:
            return [jsonable(s) for s in await u.prices.summary()]

    @put("/api/sectors")
    async def set_sectors(data: JSONBody[dict[str, str]], uow: Uow) -> dict[str, int]:
        """Sectors by ticker (``{"AAPL": "Technology"}``), for the page's sector filter."""
        for ticker, sector in data.items():
            if not (0 < len(ticker) <= 32 and 0 < len(sector) <= 100):
                raise ValidationError(
                    f"sectors[{ticker!r}]: tickers take 1..32 characters, sectors 1..100",
                    field="sectors",
                )
        async with uow() as u:
            await u.prices.set_sectors(data)
            await u.commit()
        return {"updated": len(data)}

    @get("/api/optimizations")
    async def list_optimizations(
        uow: Uow, limit: FromQuery[int] = 50, offset: FromQuery[int] = 0
    ) -> list[dict[str, Any]]:
        """Recent runs of any portfolio, newest first, without their results (fetch one by id
        for those)."""
        _check_page(limit, offset, 500)
        async with uow() as u:
            records = await u.optimizations.list(None, limit=limit, offset=offset)
        return [
            {
                "id": r.id,
                "kind": r.kind,
                "objective": r.objective,
                "status": r.status,
                "portfolio_id": r.portfolio_id,
                "tickers": r.params.get("tickers", []),
                "points": len(r.results.get("points", [])),
                "duration_ms": r.duration_ms,
                "created_at": jsonable(r.created_at),
            }
            for r in records
        ]

    @get("/api/optimizations/{optimization_id:str}")
    async def get_optimization(
        optimization_id: FromPath[str], uow: Uow, format: FromQuery[str] = "json"
    ) -> Response:
        """One run; ``?format=csv`` gives its weights (single) or points (frontier) as CSV."""
        async with uow() as u:
            record = await u.optimizations.get(optimization_id)
        if format == "csv":
            return Response(record_csv(record), media_type="text/csv")
        if format != "json":
            raise ValidationError("format must be json or csv", field="format")
        return Response(record_document(record))

    @post("/api/risk/attribution", status_code=200)
    async def risk(data: JSONBody[RiskRequest], uow: Uow) -> dict[str, Any]:
        """Risk attribution of weights (or of a stored optimization) on stored prices."""
        if (data.weights is None) == (data.optimization_id is None):
            raise ValidationError("give exactly one of weights or optimization_id", field="weights")
        weights = data.weights or {}
        if data.weights is not None and not weights:
            raise ValidationError("weights: give at least one ticker", field="weights")
        if data.inline is not None:
            if data.weights is None:
                raise ValidationError("an inline universe needs weights", field="weights")
            return report_document(attribute_universe(universe_body(data.inline), weights))
        async with uow() as u:
            if data.optimization_id is not None:
                record = await u.optimizations.get(data.optimization_id)
                weights = record.results.get("weights") or {}
                if not weights:
                    raise ValidationError(
                        "that optimization has no single set of weights", field="optimization_id"
                    )
            wanted = [*weights, *([data.benchmark] if data.benchmark else [])]
            history = await u.prices.load(wanted, data.start, data.end)
        command = AttributeRiskCommand(
            weights=weights,
            n_factors=data.factors,
            benchmark=data.benchmark,
            estimation=to_estimation(data.estimation, data.start, data.end),
        )
        use_case = container.attribute_risk(prices=HistoryPriceSource(history))
        async with gate.slot():
            return report_document(await asyncio.to_thread(use_case.execute, command))

    gate = SolveGate(int(os.environ.get("PFOPT_MAX_CONCURRENT_SOLVES", "4")))

    @post("/api/optimize/efficient-frontier")
    async def start_frontier(
        data: JSONBody[FrontierRequest],
        runs: Runs,
        state: State,
        owner: Owner,
        wait: FromQuery[bool] = False,
    ) -> Response[dict[str, Any]]:
        """The frontier as a job (202 with its URLs), or at once with ``?wait=true`` (200 with
        the job's final status document, as ``GET .../{session_id}`` gives it). The request is
        checked whole first: one that cannot run is a 4xx at once, never a 202 and a failed
        job."""
        run = await runs.resolve(request_spec(data))
        heavy = len(run.portfolio.tickers) * data.points >= HEAVY_ASSETS * 25

        if wait:
            job = public(initial_state(data.session_id or str(uuid.uuid4())))
            async with gate.slot(heavy):
                outcome = await runs.execute(run, JobProgress(job))
            job |= {"status": "done", "optimization_id": outcome.id, "result": outcome.document}
            return Response(job, status_code=200)

        async def work(progress, cancel) -> str:
            try:
                async with gate.turn(heavy):
                    outcome = await runs.execute(run, progress, cancel)
            finally:
                gate.release(heavy)
            return outcome.id

        gate.acquire(heavy)
        try:
            job = await state.jobs.start(work, data.session_id, owner)
        except Exception:
            gate.release(heavy)
            raise
        key = job["session_id"]
        return Response(
            {
                "session_id": key,
                "status_url": f"/api/optimize/efficient-frontier/{key}",
                "ws_url": f"/ws/optimize/progress/{key}",
            },
            status_code=202,
            headers={"location": f"/api/optimize/efficient-frontier/{key}"},
        )

    @get("/api/optimize/efficient-frontier/{session_id:str}")
    async def frontier_status(
        session_id: FromPath[str], uow: Uow, state: State, owner: Owner
    ) -> dict[str, Any]:
        job = await state.jobs.status(session_id, owner)
        if job.get("optimization_id"):
            async with uow() as u:
                job["result"] = (await u.optimizations.get(job["optimization_id"])).results
        return job

    @delete("/api/optimize/efficient-frontier/{session_id:str}", status_code=202)
    async def cancel_frontier(
        session_id: FromPath[str], state: State, owner: Owner
    ) -> dict[str, Any]:
        return await state.jobs.cancel(session_id, owner)

    @websocket("/ws/optimize/progress/{session_id:str}")
    async def progress_socket(socket: WebSocket, session_id: FromPath[str]) -> None:
        """Latest state first, then one event per point and a final status; then it closes.
        A client may connect just before it posts the job (with its own ``session_id``): an
        unknown session is awaited for ``PFOPT_WS_WAIT_S`` seconds before the 4404 close.
        Errors never escape a socket handler (exception handlers do not run there)."""
        await socket.accept()
        owner = socket.scope.get("pfopt_owner")  # type: ignore[call-overload]
        idle_s = container.config.ws_idle_s()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + container.config.ws_wait_s()
        while True:
            try:
                jobs = socket.app.state.jobs
                async with jobs.subscribe(session_id, owner) as subscription:
                    state = subscription.state
                    await socket.send_json(public(state))
                    while state["status"] not in FINAL:
                        try:
                            state = await asyncio.wait_for(subscription.next(), idle_s)
                        except TimeoutError:
                            await socket.close(code=4408, reason=f"no progress for {idle_s:g} s")
                            return
                        await socket.send_json(_event(state))
                break
            except NotFoundError:
                if loop.time() >= deadline:
                    await socket.close(code=4404, reason="unknown session")
                    return
                await asyncio.sleep(0.1)
            except StorageUnavailableError:
                await socket.close(code=1011, reason="the database is unavailable")
                return
        await socket.close()

    @get("/api/optimizations/{optimization_id:str}/charts/{name:str}")
    async def chart(optimization_id: FromPath[str], name: FromPath[str], uow: Uow) -> Response:
        """weights|risk (single runs) or frontier (frontier runs), as .png or .svg."""
        kind, _, fmt = name.partition(".")
        if fmt not in ("png", "svg"):
            raise NotFoundError(f"no chart {name!r}: use a .png or .svg name", field="chart")
        async with uow() as u:
            record = await u.optimizations.get(optimization_id)
        data = await render_chart(record, kind, fmt, uow, container.estimator(), container.charts())
        return Response(data, media_type="image/png" if fmt == "png" else "image/svg+xml")

    app = Litestar(
        route_handlers=[
            *page_handlers(),
            chart,
            start_frontier,
            frontier_status,
            cancel_frontier,
            progress_socket,
            health,
            optimize,
            list_portfolios,
            tickers,
            set_sectors,
            list_optimizations,
            create_portfolio,
            get_portfolio,
            delete_portfolio,
            get_optimization,
            replace_portfolio,
            portfolio_history,
            import_prices,
            ticker_prices,
            risk,
        ],
        dependencies={
            "uow": Provide(provide_uow, sync_to_thread=False),
            "owner": Provide(provide_owner, sync_to_thread=False),
            "runs": Provide(provide_runs, sync_to_thread=False),
        },
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        lifespan=[lifespan],
        middleware=[auth_middleware],
        request_max_body_size=BODY_LIMIT,
        openapi_config=OpenAPIConfig(
            title="pfopt",
            version=version("pfopt"),
            description="Exact mean-variance portfolio optimization: optimizations, efficient "
            "frontiers with live progress, risk attribution, saved portfolios, prices and "
            "history. Rates and weights are annualized decimals (0.25 means 25 %).",
        ),
        logging_config=None,  # uvicorn logs requests; no handler bound to a stream at import
    )
    add_links(app)
    return app
