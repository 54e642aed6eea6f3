"""Frontier runs as background jobs with live progress, for the HTTP API.

The solve runs in a worker thread of the process that accepted the job. Its progress crosses into
the event loop with ``call_soon_threadsafe`` and goes, in order, through one writer task per job
to the ``JobBoard``, which stores it and delivers it to subscribers in any process. A cancel asked
anywhere reaches the running process through ``JobBoard.on_cancel``.
"""

import asyncio
import collections
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from application.job_board import (
    FINAL,
    JobBoard,
    State,
    Subscription,
    initial_state,
    public,
    taken,
    unknown,
)
from domain.errors import (
    DomainError,
    RunCancelledError,
    StorageUnavailableError,
    TooManyJobsError,
)


def _owned(state: State, owner: str | None) -> State:
    """``state`` if ``owner`` may see it: the job's own owner, or anyone when keys are off."""
    if owner is not None and state.get("owner") != owner:
        raise unknown(state["session_id"])
    return state


class _Running:
    """A job running in this process: its cancel flag (read by the solver thread) and the
    changes waiting for the writer."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.cancelled = False
        self.pending: asyncio.Queue[State] = asyncio.Queue()

    def is_cancelled(self) -> bool:
        return self.cancelled

    def change(self, **fields: Any) -> None:
        self.state = {**self.state, **fields, "seq": self.state["seq"] + 1}
        self.pending.put_nowait(self.state)


class _ThreadProgress:
    """A ``ProgressReporter`` called from the solver thread."""

    def __init__(self, running: _Running, loop: asyncio.AbstractEventLoop) -> None:
        self._running, self._loop = running, loop

    def report(self, current: int, total: int, message: str) -> None:
        self._loop.call_soon_threadsafe(
            lambda: self._running.change(current=current, total=total, message=message)
        )


class FrontierJobs:
    """``max_per_owner`` jobs of one owner may run at once in this process (the anonymous
    caller counts as one owner when keys are off)."""

    retry_s = 0.5

    def __init__(self, board: JobBoard, max_per_owner: int = 4) -> None:
        self._board, self._max_per_owner = board, max_per_owner
        self._running: dict[str, _Running] = {}
        self._tasks: set[asyncio.Task] = set()
        self.ended: collections.Counter[str] = collections.Counter()
        """Jobs of this process that ended, by final status (for the operator's metrics)."""
        board.on_cancel(self._cancel_here)

    def _cancel_here(self, session_id: str) -> None:
        if session_id in self._running:
            self._running[session_id].cancelled = True

    async def _write(self, running: _Running) -> None:
        """Publish changes in order, a batch at a time, until the final one. While the board's
        database is unreachable the batch grows and is retried, so a database restart delays
        events but does not lose the final one."""
        failing_since: float | None = None
        loop = asyncio.get_running_loop()
        batch = [await running.pending.get()]
        while True:
            while not running.pending.empty():
                batch.append(running.pending.get_nowait())
            try:
                await self._board.publish(batch)
            except StorageUnavailableError:
                # Never given up: the final state must land once the database is back, or the
                # job would read "running" for good. The wait grows to 5 s between tries.
                failing_since = failing_since or loop.time()
                await asyncio.sleep(min(5.0, self.retry_s * (1 + loop.time() - failing_since)))
                continue
            failing_since = None
            if batch[-1]["status"] in FINAL:
                return
            batch = [await running.pending.get()]

    async def start(
        self,
        run: Callable[[Any, Any], Awaitable[str]],
        session_id: str | None = None,
        owner: str | None = None,
    ) -> State:
        """Start ``run(progress, cancel)`` (returns the saved optimization id) in the background;
        returns the job's first state. ``ConflictError`` if ``session_id`` is taken."""
        key = session_id or str(uuid.uuid4())
        mine = sum(r.state.get("owner") == owner for r in self._running.values())
        if mine >= self._max_per_owner:
            raise TooManyJobsError(
                f"{mine} frontier jobs of yours are running, the limit is {self._max_per_owner}"
                " (PFOPT_MAX_JOBS_PER_OWNER): wait for one to end or cancel one",
                field="session_id",
            )
        if key in self._running:
            raise taken(key)
        # The slot is taken before the board is asked (an await): concurrent starts of one
        # owner cannot all pass the count above.
        running = self._running[key] = _Running(initial_state(key, owner))
        try:
            running.state = await self._board.create(key, owner)
        except BaseException:
            del self._running[key]
            raise
        loop = asyncio.get_running_loop()

        async def go() -> None:
            writer = asyncio.create_task(self._write(running))
            try:
                optimization_id = await run(_ThreadProgress(running, loop), running)
                status = "cancelled" if running.cancelled else "done"
                running.change(status=status, optimization_id=optimization_id)
            except RunCancelledError:  # stopped inside the trace: no point to keep
                running.change(status="cancelled")
            except DomainError as error:
                detail = {"code": error.code, "detail": error.detail, "field": error.field}
                running.change(status="failed", error=detail)
            except Exception as error:  # a job must end with a final event, whatever happened
                running.change(
                    status="failed",
                    error={"code": "internal_error", "detail": type(error).__name__},
                )
            finally:
                try:
                    await writer
                finally:
                    self.ended[running.state.get("status", "failed")] += 1
                    del self._running[key]

        task = asyncio.create_task(go())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return running.state

    def running_count(self) -> int:
        """Jobs running in this process now."""
        return len(self._running)

    async def status(self, session_id: str, owner: str | None = None) -> State:
        return public(_owned(await self._board.get(session_id), owner))

    async def cancel(self, session_id: str, owner: str | None = None) -> State:
        _owned(await self._board.get(session_id), owner)
        return public(await self._board.request_cancel(session_id))

    @asynccontextmanager
    async def subscribe(
        self, session_id: str, owner: str | None = None
    ) -> AsyncIterator[Subscription]:
        """Another owner's job is not found, exactly like an unknown one."""
        async with self._board.subscribe(session_id) as subscription:
            _owned(subscription.state, owner)
            yield subscription

    def cancel_all(self) -> None:
        """Ask every job running in this process to stop (shutdown)."""
        for running in self._running.values():
            running.cancelled = True

    async def drain(self, timeout_s: float | None = None) -> bool:
        """Wait for every job started here to end, at most ``timeout_s``; True if they all
        did. The jobs themselves are never cancelled by the wait (shutdown, tests)."""
        deadline = None if timeout_s is None else asyncio.get_running_loop().time() + timeout_s
        while self._tasks:
            left = None if deadline is None else deadline - asyncio.get_running_loop().time()
            if left is not None and left <= 0:
                return False
            await asyncio.wait(list(self._tasks), timeout=left)
        return True
