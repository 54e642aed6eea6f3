"""Frontier jobs on the in-memory board: order, isolation, cancel, failure, expiry."""

import asyncio

import pytest

from application.frontier_jobs import FrontierJobs
from application.job_board import FINAL, MemoryJobBoard
from domain.errors import ConflictError, InfeasibleError, NotFoundError, RunCancelledError


async def _points(progress, cancel, n: int = 5) -> str:
    for k in range(1, n + 1):
        if cancel.is_cancelled():
            break
        progress.report(k, n, f"Calculating portfolio {k}/{n}")
        await asyncio.sleep(0.01)
    return "run-1"


async def _follow(jobs: FrontierJobs, key: str) -> list[dict]:
    async with jobs.subscribe(key) as subscription:
        states = [subscription.state]
        while states[-1]["status"] not in FINAL:
            states.append(await subscription.next())
    return states


def test_events_in_order_then_the_final_status() -> None:
    async def go():
        jobs = FrontierJobs(MemoryJobBoard())
        await jobs.start(_points, "a")
        states = await _follow(jobs, "a")
        with pytest.raises(ConflictError):
            await jobs.start(_points, "a")
        return states, await jobs.status("a")

    states, last = asyncio.run(go())
    assert [s["current"] for s in states[1:-1]] == [1, 2, 3, 4, 5]
    assert [s["seq"] for s in states] == list(range(len(states)))
    assert states[-1]["status"] == "done"
    assert states[-1]["optimization_id"] == "run-1"
    assert last == states[-1]


def test_cancel_stops_between_points_and_sessions_are_isolated() -> None:
    async def go():
        jobs = FrontierJobs(MemoryJobBoard())
        await jobs.start(_points, "slow")
        await jobs.start(_points, "other")
        await asyncio.sleep(0.025)
        await jobs.cancel("slow")
        await jobs.drain()
        return await jobs.status("slow"), await jobs.status("other")

    slow, other = asyncio.run(go())
    assert slow["status"] == "cancelled"
    assert slow["current"] < 5
    assert (other["status"], other["current"]) == ("done", 5)


def test_a_cancel_inside_the_trace_ends_the_job_as_cancelled() -> None:
    """The exact engine stops between breakpoints with ``RunCancelledError``: the job is
    cancelled (not failed), with no run stored."""

    async def tracing(progress, cancel) -> str:
        while not cancel.is_cancelled():
            await asyncio.sleep(0.005)
        raise RunCancelledError("the run was cancelled before the solve finished")

    async def go():
        jobs = FrontierJobs(MemoryJobBoard())
        await jobs.start(tracing, "t")
        await asyncio.sleep(0.02)
        await jobs.cancel("t")
        return await _follow(jobs, "t")

    states = asyncio.run(go())
    assert states[-1]["status"] == "cancelled"
    assert states[-1].get("optimization_id") is None
    assert "error" not in states[-1] or states[-1]["error"] is None


def test_domain_errors_fail_the_job_and_state_expires() -> None:
    async def failing(progress, cancel) -> str:
        raise InfeasibleError("sum of per-asset maximum weights is 0.4 < 1", field="max_weight")

    async def go():
        jobs = FrontierJobs(MemoryJobBoard(ttl_s=0.05))
        await jobs.start(failing, "f")
        await jobs.drain()
        state = await jobs.status("f")
        await asyncio.sleep(0.1)
        with pytest.raises(NotFoundError, match="no frontier session 'f'"):
            await jobs.status("f")
        return state

    state = asyncio.run(go())
    assert state["status"] == "failed"
    assert state["error"]["field"] == "max_weight"


def test_unexpected_errors_still_end_the_job() -> None:
    async def broken(progress, cancel) -> str:
        raise RuntimeError("boom")

    async def go():
        jobs = FrontierJobs(MemoryJobBoard())
        await jobs.start(broken, "x")
        return await _follow(jobs, "x")

    states = asyncio.run(go())
    assert states[-1]["status"] == "failed"
    assert states[-1]["error"] == {"code": "internal_error", "detail": "RuntimeError"}


def test_events_wait_out_a_database_outage_in_order() -> None:
    from domain.errors import StorageUnavailableError

    class Flaky(MemoryJobBoard):
        failures = 3

        async def publish(self, states):
            if self.failures:
                self.failures -= 1
                raise StorageUnavailableError("down", field="database")
            await super().publish(states)

    async def go():
        board = Flaky()
        jobs = FrontierJobs(board)
        jobs.retry_s = 0.01
        await jobs.start(_points, "f")
        await jobs.drain()
        return await jobs.status("f"), board

    state, board = asyncio.run(go())
    assert board.failures == 0
    assert (state["status"], state["current"]) == ("done", 5)
