"""The Litestar application: wiring only. One engine, unit-of-work factory, job board, solve
gate and auth policy per process, made in the lifespan and handed to the controllers as
dependencies (``entrypoints.http.dependencies``). Errors become problem+json in
``entrypoints.http.errors``.
"""

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from adapters.lazy import warm_up
from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine
from application.api_keys import AuthPolicy, ManageKeys
from application.frontier_jobs import FrontierJobs
from entrypoints.container import Container
from entrypoints.http.auth import auth_middleware
from entrypoints.http.controllers import CONTROLLERS
from entrypoints.http.dependencies import DEPENDENCIES
from entrypoints.http.docs import docs_assets, render_plugins
from entrypoints.http.errors import HANDLERS
from entrypoints.http.gate import SolveGate
from entrypoints.http.guard import guard_middleware
from entrypoints.http.json_bodies import JsonSafeRequest
from entrypoints.http.observability import Metrics, observe
from entrypoints.http.openapi_links import add_links
from entrypoints.http.page import page_handlers
from entrypoints.http.shutdown import Drain

SWITCH_INTERVAL_S = 0.001
"""How often a thread holding the GIL is asked to let another run (Python's default: 5 ms).
Solves run in worker threads; the event loop needs the GIL for every step of every request,
and at 5 ms a turn behind three busy solver threads a 20 ms request took half a second."""

BODY_LIMIT = 8 * 1024 * 1024
"""Request bodies above 8 MiB are refused with 413 (a 5000-asset inline covariance fits)."""


def create_app(container: Container) -> Litestar:
    drain = Drain(container.config.shutdown_grace_s())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        url = container.config.database_url()
        engine = make_engine(url)
        state = app.state
        state.container, state.engine = container, engine
        # A request's unit of work gives up on a stalled database after db_deadline_s (503).
        state.uow = SqlAlchemyUnitOfWorkFactory(engine, deadline_s=container.config.db_deadline_s())
        state.gate = SolveGate(int(os.environ.get("PFOPT_MAX_CONCURRENT_SOLVES", "4")))
        board = container.job_board(engine=engine, url=url)
        state.jobs = FrontierJobs(board, container.config.max_jobs_per_owner())
        state.auth = AuthPolicy(ManageKeys(state.uow), state.uow, container.config.auth_required())
        await asyncio.to_thread(warm_up)  # CVXPY, scikit-learn, matplotlib: before any request
        sys.setswitchinterval(float(os.environ.get("PFOPT_SWITCH_INTERVAL_S", SWITCH_INTERVAL_S)))
        await board.open()
        undo = drain.install(state.jobs, state.gate.stop)
        try:
            yield
        finally:
            undo()
            await board.close()
            await engine.dispose()

    app = Litestar(
        route_handlers=[*page_handlers(), docs_assets(), *CONTROLLERS],
        dependencies=DEPENDENCIES,
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        lifespan=[lifespan],
        middleware=[guard_middleware, auth_middleware],
        request_max_body_size=BODY_LIMIT,
        request_class=JsonSafeRequest,
        openapi_config=OpenAPIConfig(
            title="pfopt",
            version=version("pfopt"),
            description="Exact mean-variance portfolio optimization: optimizations, efficient "
            "frontiers with live progress, risk attribution, saved portfolios, prices and "
            "history. Rates and weights are annualized decimals (0.25 means 25 %). Errors are "
            "application/problem+json naming the field.",
            render_plugins=render_plugins(),
        ),
        logging_config=None,  # uvicorn logs requests; no handler bound to a stream at import
    )
    add_links(app)
    app.state.metrics = Metrics(app.state)
    # Outside Litestar's router, as its own plugins wrap it: unmatched routes are seen too.
    app.asgi_handler = observe(app.asgi_handler, app.state.metrics)
    return app
