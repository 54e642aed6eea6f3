"""``POST /api/optimize/portfolio``: one optimization, kept in history."""

from litestar import Controller, MediaType, Request, Response, post
from litestar.params import JSONBody

from adapters.documents.codec import encode
from adapters.documents.results import OptimizationResponse
from entrypoints.http.dependencies import Solve
from entrypoints.http.disconnects import Cancel, unless_disconnected
from entrypoints.http.gate import HEAVY_ASSETS
from entrypoints.http.observability import note_solve
from entrypoints.http.problems import SOLVE
from entrypoints.http.requests import OptimizeRequest, off_loop, request_spec


class OptimizeController(Controller):
    path = "/api/optimize/portfolio"
    tags = ("optimize",)

    @post(
        status_code=200, operation_id="optimize", summary="Optimize one portfolio", responses=SOLVE
    )
    async def optimize(
        self, request: Request, data: JSONBody[OptimizeRequest], solving: Solve
    ) -> Response[OptimizationResponse]:
        """One optimization on a saved portfolio, stored prices or an inline risk model. The
        answer is the document history keeps (``GET /api/optimizations/{id}`` ``results``).
        A client that disconnects stops its solve (between the exact engine's breakpoints)."""
        runs, spec = solving.runs, await off_loop(request_spec, data)
        count, run = spec.asset_count(), None
        if count is None:  # only the store knows: resolve first, then wait for a slot that size
            run = await runs.resolve(spec)
            count = len(run.portfolio.tickers)

        def work(cancel: Cancel):  # else resolve and solve in one hop, in the slot
            return runs.run(spec, cancel) if run is None else runs.execute(run, cancel=cancel)

        async with solving.gate.slot(count >= HEAVY_ASSETS):
            gate = solving.gate
            outcome = await unless_disconnected(
                request, work, lambda: gate.stopping, gate.should_yield
            )
        document = outcome.document
        note_solve(request.scope, document["solver"], "single", document["duration_ms"])
        return Response(encode(outcome.document), media_type=MediaType.JSON)
