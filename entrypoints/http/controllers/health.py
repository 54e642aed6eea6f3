"""Liveness and readiness, apart: ``/health/live`` answers while the process serves (no
database involved, so an orchestrator does not restart a healthy server during a database
outage); ``/health/ready`` (and ``/health``, as before) also asks the database, within
``READY_DEADLINE_S``, and is 503 while it cannot answer or the server is draining."""

from litestar import Controller, Response, get
from litestar.datastructures import State
from sqlalchemy import text

from adapters.storage.deadline import Deadline
from adapters.storage.errors import storage_errors
from domain.errors import BusyError, StorageUnavailableError
from entrypoints.http.problems import problems
from entrypoints.http.responses import Health

READY_DEADLINE_S = 2.0
"""How long readiness waits for ``SELECT 1``: a stalled database is reported, not waited on."""


async def _ready(state: State) -> Health:
    if state.gate.stopping:
        raise BusyError("the server is shutting down", field="server")
    with storage_errors():  # refused, reset: the outage; a stall is said as such
        try:
            async with Deadline(READY_DEADLINE_S), state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except TimeoutError as stalled:
            raise StorageUnavailableError(
                f"the database did not answer within {READY_DEADLINE_S:g} s",
                field="database",
                reason=str(stalled),
            ) from stalled
    return Health("ok", "ok")


class HealthController(Controller):
    path = "/health"
    tags = ("health",)

    @get(operation_id="health", summary="Readiness (as /health/ready)", responses=problems(503))
    async def health(self, state: State) -> Health:
        """Ready to serve: the database answers (503 with Retry-After when it does not)."""
        return await _ready(state)

    @get(
        "/ready",
        operation_id="health_ready",
        summary="Readiness: the database answers",
        responses=problems(503),
    )
    async def ready(self, state: State) -> Health:
        """503 while the database cannot answer within 2 s, or while the server drains."""
        return await _ready(state)

    @get("/live", operation_id="health_live", summary="Liveness: the process serves")
    async def live(self) -> Health:
        """Always ``ok`` while the event loop answers; no database involved."""
        return Health("ok", "not checked")


PROMETHEUS_TEXT = "text/plain; version=0.0.4"  # Litestar adds the charset


@get(
    "/metrics",
    operation_id="metrics",
    summary="Prometheus metrics of this process",
    media_type=PROMETHEUS_TEXT,
    tags=["health"],
)
async def metrics(state: State) -> Response[bytes]:
    """Request latency per route, solve time per solver, queue depth and running solves per
    lane, frontier jobs, the database pool and errors by problem code (Prometheus text)."""
    return Response(state.metrics.exposition(), media_type=PROMETHEUS_TEXT)
