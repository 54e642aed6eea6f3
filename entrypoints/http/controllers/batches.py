"""Batches as jobs: start (202), status, results (JSON pages, CSV, Parquet), cancel, and live
progress on a WebSocket.

A batch runs in a worker thread of the process that accepted it, on the executor the server
is configured with (``PFOPT_DASK_SCHEDULER``: that cluster; ``PFOPT_BATCH_WORKERS``: an
embedded ``LocalCluster`` per batch; neither: the thread itself). Its state lives in the
``batch`` table, so any server process answers for it, and a cancel asked anywhere is seen by
the batch at its next chunk."""

import asyncio
import io
import os
import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, WebSocket, delete, get, post, websocket
from litestar.params import FromPath, FromQuery

from adapters.documents.batch import BatchDocument, to_accounts
from adapters.storage.batches import SqlAlchemyBatchStore
from adapters.storage.engines import sync_twin
from domain.batch import FINAL_BATCH, BatchState, check_accounts
from domain.errors import NotFoundError, StorageUnavailableError, ValidationError
from entrypoints.container import batch_executor, max_batch_accounts
from entrypoints.exports import batch_csv, batch_rows, batch_state
from entrypoints.http.dependencies import Owner, Services, Uow, check_page
from entrypoints.http.problems import READ, SOLVE, problems

PATH = "/api/batches"
_RUNNING: set[asyncio.Task] = set()
"""Batches running in this process (held so they are not collected mid-run)."""


def _store(uow: Any, owner: str | None) -> SqlAlchemyBatchStore:
    return SqlAlchemyBatchStore(sync_twin(uow.engine), owner)


def state_document(state: BatchState) -> dict[str, Any]:
    url = f"{PATH}/{state.id}"
    return {
        **batch_state(state),
        "status_url": url,
        "results_url": f"{url}/results",
        "websocket": f"/ws/batches/{state.id}",
    }


def _executor():
    workers = os.environ.get("PFOPT_BATCH_WORKERS")
    return batch_executor(int(workers) if workers else None, None)


class BatchController(Controller):
    path = PATH
    tags = ("batches",)

    @post(
        operation_id="start_batch",
        summary="Start a batch of accounts on one shared universe (a job)",
        status_code=202,
        responses={**SOLVE, **problems(503)},
    )
    async def start(
        self, request: Request, uow: Uow, owner: Owner, container: Services
    ) -> Response[dict]:
        """The body is a batch document (``universe``, ``objective``, ``constraints``,
        ``rebalance``, and ``accounts`` or ``sweep``). It is checked whole first (a malformed
        one is a 4xx, never a 202 and a failed batch); an account whose own values are
        wrong is stored as failed with its error. 202 with the batch's URLs."""
        from adapters.documents.batch import read_document

        data = await request.body()
        doc: BatchDocument = await asyncio.to_thread(read_document, data, "body")
        accounts = await asyncio.to_thread(to_accounts, doc)
        check_accounts(accounts, max_batch_accounts())
        executor = _executor()
        await asyncio.to_thread(executor.open)  # an unreachable cluster: 503, nothing stored
        batch_id = str(uuid.uuid4())
        engine = sync_twin(uow.engine)

        def work() -> None:
            from entrypoints.batch_runs import run_batch_document

            run_batch_document(container, engine, doc, executor, owner=owner, batch_id=batch_id)

        task = asyncio.create_task(asyncio.to_thread(work))
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)
        store = _store(uow, owner)
        for _ in range(200):  # the row exists once estimation is done: wait for it briefly
            try:
                state = await asyncio.to_thread(store.get, batch_id)
                break
            except NotFoundError:
                if task.done():
                    task.result()  # the batch's own error (a 4xx), raised here
                await asyncio.sleep(0.05)
        else:
            state = BatchState(batch_id, "running", len(accounts), owner=owner)
        body = state_document(state)
        return Response(body, status_code=202, headers={"location": body["status_url"]})

    @get("/{batch_id:str}", operation_id="batch_status", summary="A batch's state", responses=READ)
    async def status(self, batch_id: FromPath[str], uow: Uow, owner: Owner) -> dict:
        store = _store(uow, owner)
        return state_document(await asyncio.to_thread(store.get, batch_id))

    @get(
        "/{batch_id:str}/results",
        operation_id="batch_results",
        summary="A batch's accounts: a JSON page, or all of them as CSV or Parquet",
        responses=READ,
    )
    async def results(
        self,
        batch_id: FromPath[str],
        uow: Uow,
        owner: Owner,
        offset: FromQuery[int] = 0,
        limit: FromQuery[int] = 100,
        status: FromQuery[str | None] = None,
        format: FromQuery[str] = "json",
    ) -> Response:
        """``?format=csv`` or ``parquet``: every account (offset and limit apply to JSON
        pages only); ``?status=failed``: only the failed ones."""
        if status not in (None, "ok", "failed"):
            raise ValidationError("status is ok or failed", field="status")
        if format not in ("json", "csv", "parquet"):
            raise ValidationError("format is json, csv or parquet", field="format")
        store = _store(uow, owner)
        if format == "json":
            check_page(limit, offset, 1000)
            page, count = await asyncio.to_thread(store.results, batch_id, offset, limit, status)
            body = {"batch_id": batch_id, "total": count, "offset": offset, "limit": limit}
            return Response({**body, "accounts": batch_rows(page)})
        rows, _ = await asyncio.to_thread(store.results, batch_id, 0, None, status)
        name = f"batch-{batch_id}.{format}"
        disposition = {"content-disposition": f'attachment; filename="{name}"'}
        if format == "csv":
            return Response(batch_csv(rows), media_type="text/csv", headers=disposition)
        import polars as pl

        out = io.BytesIO()
        pl.DataFrame(batch_rows(rows), infer_schema_length=None).write_parquet(out)
        return Response(
            out.getvalue(), media_type="application/vnd.apache.parquet", headers=disposition
        )

    @delete(
        "/{batch_id:str}",
        status_code=202,
        operation_id="cancel_batch",
        summary="Cancel a batch (it stops after the chunks in flight)",
        responses=READ,
    )
    async def cancel(self, batch_id: FromPath[str], uow: Uow, owner: Owner) -> dict:
        store = _store(uow, owner)
        return state_document(await asyncio.to_thread(store.request_cancel, batch_id))


@websocket("/ws/batches/{batch_id:str}")
async def batch_socket(socket: WebSocket, batch_id: FromPath[str], uow: Uow, owner: Owner) -> None:
    """The state now, then each change of progress (never backwards), then the final state;
    then it closes. Unknown batch: close 4404."""
    await socket.accept()
    store = _store(uow, owner)
    last: tuple | None = None
    try:
        while True:
            state = await asyncio.to_thread(store.get, batch_id)
            seen = (state.status, state.done)
            if seen != last:
                await socket.send_json(msgspec.to_builtins(state_document(state)))
                last = seen
            if state.status in FINAL_BATCH:
                break
            await asyncio.sleep(0.2)
    except NotFoundError:
        await socket.close(code=4404, reason="unknown batch")
        return
    except StorageUnavailableError:
        await socket.close(code=1011, reason="the database is unavailable")
        return
    await socket.close()
