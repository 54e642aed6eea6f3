"""Frontiers as jobs: start (or answer at once), status, cancel, and live progress on a
WebSocket."""

import asyncio
import uuid
from typing import Any

from litestar import Controller, Request, Response, WebSocket, delete, get, post, websocket
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from application.job_board import FINAL, initial_state, public
from domain.errors import NotFoundError, StorageUnavailableError
from entrypoints.http.dependencies import Gate, Jobs, Owner, Runs, Services, Uow
from entrypoints.http.gate import HEAVY_ASSETS
from entrypoints.http.observability import note_solve
from entrypoints.http.problems import READ, SOLVE, problems
from entrypoints.http.requests import FrontierRequest, off_loop, request_spec
from entrypoints.http.responses import FrontierAccepted, FrontierJob, job_document


class JobProgress:
    """Progress written into a job state as a frontier job records it, so a frontier answered
    at once ends in the same document as one run as a job."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    def report(self, current: int, total: int, message: str) -> None:
        seq = self.state["seq"] + 1
        self.state.update(current=current, total=total, message=message, seq=seq)


class FrontierController(Controller):
    path = "/api/optimize/efficient-frontier"
    tags = ("frontiers",)

    @post(
        operation_id="start_frontier",
        summary="Start a frontier (a job, or at once with ?wait=true)",
        status_code=202,
        responses={
            200: ResponseSpec(FrontierJob, description="with ?wait=true: the finished job"),
            **SOLVE,
            **problems(409, 429),
        },
    )
    async def start(
        self,
        request: Request,
        data: JSONBody[FrontierRequest],
        runs: Runs,
        gate: Gate,
        jobs: Jobs,
        owner: Owner,
        wait: FromQuery[bool] = False,
    ) -> Response[FrontierAccepted]:
        """The frontier as a job: 202 with its URLs. With ``?wait=true``: 200 with the finished
        job's status document, the one its status URL gives. The request is checked whole
        first: one that cannot run is a 4xx at once, never a 202 and a failed job."""
        run = await runs.resolve(await off_loop(request_spec, data))
        heavy = len(run.portfolio.tickers) * data.points >= HEAVY_ASSETS * 25
        if wait:
            progress = JobProgress(public(initial_state(data.session_id or str(uuid.uuid4()))))
            async with gate.slot(heavy):
                outcome = await runs.execute(run, progress)
            document = outcome.document
            note_solve(request.scope, document["method"], "frontier", document["duration_ms"])
            state = {**progress.state, "status": "done", "optimization_id": outcome.id}
            return Response(job_document(state, outcome.document), status_code=200)  # type: ignore[arg-type]

        async def work(progress, cancel) -> str:
            try:
                async with gate.turn(heavy):
                    outcome = await runs.execute(run, progress, cancel)
            finally:
                gate.release(heavy)
            seconds = outcome.document["duration_ms"] / 1000
            solves.labels(outcome.document["method"], "frontier").observe(seconds)
            return outcome.id

        solves = request.app.state.metrics.solves

        gate.acquire(heavy)
        try:
            job = await jobs.start(work, data.session_id, owner)
        except Exception:
            gate.release(heavy)
            raise
        key = job["session_id"]
        url = f"{self.path}/{key}"
        return Response(
            FrontierAccepted(key, url, f"/ws/optimize/progress/{key}"),
            status_code=202,
            headers={"location": url},
        )

    @get(
        "/{session_id:str}",
        operation_id="frontier_status",
        summary="A frontier job's status and result",
        responses=READ,
    )
    async def status(
        self, session_id: FromPath[str], uow: Uow, jobs: Jobs, owner: Owner
    ) -> FrontierJob:
        """Progress while it runs; when done, ``result`` is the stored frontier document."""
        state = await jobs.status(session_id, owner)
        result = None
        if state.get("optimization_id"):
            async with uow() as u:
                result = (await u.optimizations.get(state["optimization_id"])).results
        return job_document(state, result)

    @delete(
        "/{session_id:str}",
        status_code=202,
        operation_id="cancel_frontier",
        summary="Cancel a frontier job",
        responses=READ,
    )
    async def cancel(self, session_id: FromPath[str], jobs: Jobs, owner: Owner) -> FrontierJob:
        """Ask a running job to stop after its current point (202: it ends as cancelled)."""
        return job_document(await jobs.cancel(session_id, owner))


def _event(state: dict[str, Any]) -> dict[str, Any]:
    """The WebSocket event of a job change: progress while it runs, then its final status."""
    if state["status"] not in FINAL:
        return {"current": state["current"], "total": state["total"], "message": state["message"]}
    event = {"status": state["status"]}
    if state.get("optimization_id"):
        event["optimization_id"] = state["optimization_id"]
    if state["status"] == "done":
        event["result_url"] = f"{FrontierController.path}/{state['session_id']}"
    if state.get("error"):
        event["error"] = state["error"]
    return event


@websocket("/ws/optimize/progress/{session_id:str}")
async def progress_socket(
    socket: WebSocket, session_id: FromPath[str], jobs: Jobs, owner: Owner, container: Services
) -> None:
    """Latest state first, then one event per point and a final status; then it closes.
    A client may connect just before it posts the job (with its own ``session_id``): an
    unknown session is awaited for ``PFOPT_WS_WAIT_S`` seconds before the 4404 close.
    Errors never escape a socket handler (exception handlers do not run there)."""
    await socket.accept()
    idle_s = container.config.ws_idle_s()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + container.config.ws_wait_s()
    while True:
        try:
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
