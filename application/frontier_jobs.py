"""Frontier runs as background jobs with live progress, for the HTTP API.

Pure asyncio: the solve runs in a worker thread; its progress crosses into the event loop with
``call_soon_threadsafe`` and fans out to every subscriber's queue. A subscriber that arrives
late first receives the latest state, so it never waits for an event that already happened.
State is dropped ``ttl_s`` seconds after the job ends. One process only: several processes
need a shared backend (issue 4, not built yet).
"""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from domain.errors import ConflictError, DomainError, NotFoundError

FINAL = ("done", "failed", "cancelled")


@dataclass
class Job:
    session_id: str
    status: str = "running"
    current: int = 0
    total: int = 0
    message: str = "queued"
    optimization_id: str | None = None
    error: dict[str, Any] | None = None
    cancelled: bool = False
    ended_at: float | None = None
    subscribers: list[asyncio.Queue] = field(default_factory=list)

    def is_cancelled(self) -> bool:
        return self.cancelled

    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "session_id": self.session_id,
            "status": self.status,
            "current": self.current,
            "total": self.total,
            "message": self.message,
        }
        if self.optimization_id:
            out["optimization_id"] = self.optimization_id
        if self.error:
            out["error"] = self.error
        return out


class _ThreadProgress:
    """A ``ProgressReporter`` called from the solver thread."""

    def __init__(self, jobs: "FrontierJobs", job: Job, loop: asyncio.AbstractEventLoop) -> None:
        self._jobs, self._job, self._loop = jobs, job, loop

    def report(self, current: int, total: int, message: str) -> None:
        self._loop.call_soon_threadsafe(self._jobs.progress, self._job, current, total, message)


class FrontierJobs:
    def __init__(self, ttl_s: float = 600.0) -> None:
        self._jobs: dict[str, Job] = {}
        self._ttl_s = ttl_s
        self._tasks: set[asyncio.Task] = set()

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [
            k
            for k, j in self._jobs.items()
            if j.ended_at is not None and now - j.ended_at > self._ttl_s
        ]:
            del self._jobs[key]

    def get(self, session_id: str) -> Job:
        self._sweep()
        if session_id not in self._jobs:
            raise NotFoundError(f"no frontier session {session_id!r}", field="session_id")
        return self._jobs[session_id]

    def _publish(self, job: Job, event: dict[str, Any]) -> None:
        for queue in job.subscribers:
            queue.put_nowait(event)

    def progress(self, job: Job, current: int, total: int, message: str) -> None:
        job.current, job.total, job.message = current, total, message
        self._publish(job, {"current": current, "total": total, "message": message})

    def _end(self, job: Job, status: str) -> None:
        job.status, job.ended_at = status, time.monotonic()
        self._publish(
            job,
            {
                "status": status,
                **({"optimization_id": job.optimization_id} if job.optimization_id else {}),
                **({"error": job.error} if job.error else {}),
            },
        )

    def start(
        self, run: Callable[[Any, Any], Awaitable[str]], session_id: str | None = None
    ) -> Job:
        """Start ``run(progress, cancel)`` (returns the saved optimization id) in the background."""
        self._sweep()
        key = session_id or str(uuid.uuid4())
        if key in self._jobs:
            raise ConflictError(f"frontier session {key!r} already exists", field="session_id")
        job = self._jobs[key] = Job(key)
        loop = asyncio.get_running_loop()

        async def go() -> None:
            try:
                job.optimization_id = await run(_ThreadProgress(self, job, loop), job)
                self._end(job, "cancelled" if job.cancelled else "done")
            except DomainError as error:
                job.error = {"code": error.code, "detail": error.detail, "field": error.field}
                self._end(job, "failed")
            except Exception as error:  # a job must end with a final event, whatever happened
                job.error = {"code": "internal_error", "detail": type(error).__name__}
                self._end(job, "failed")

        task = asyncio.create_task(go())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def cancel(self, session_id: str) -> Job:
        job = self.get(session_id)
        job.cancelled = True
        return job

    def subscribe(self, session_id: str) -> tuple[Job, asyncio.Queue]:
        job = self.get(session_id)
        queue: asyncio.Queue = asyncio.Queue()
        job.subscribers.append(queue)
        return job, queue

    def unsubscribe(self, job: Job, queue: asyncio.Queue) -> None:
        if queue in job.subscribers:
            job.subscribers.remove(queue)
