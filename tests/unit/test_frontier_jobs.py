import asyncio

import pytest

from application.frontier_jobs import FrontierJobs
from domain.errors import InfeasibleError, NotFoundError


async def _points(progress, cancel, n: int = 5) -> str:
    for k in range(1, n + 1):
        if cancel.is_cancelled():
            break
        progress.report(k, n, f"Calculating portfolio {k}/{n}")
        await asyncio.sleep(0.01)
    return "run-1"


def test_events_in_order_then_the_final_status() -> None:
    async def go():
        jobs = FrontierJobs()
        job = jobs.start(_points, "a")
        _, queue = jobs.subscribe("a")
        events = []
        while not events or "status" not in events[-1]:
            events.append(await queue.get())
        return job, events

    job, events = asyncio.run(go())
    assert [e["current"] for e in events[:-1]] == [1, 2, 3, 4, 5]
    assert events[-1] == {"status": "done", "optimization_id": "run-1"}
    assert job.state()["current"] == 5


def test_cancel_stops_between_points_and_sessions_are_isolated() -> None:
    async def go():
        jobs = FrontierJobs()
        slow, other = jobs.start(_points, "slow"), jobs.start(_points, "other")
        await asyncio.sleep(0.025)
        jobs.cancel("slow")
        while slow.status == "running" or other.status == "running":
            await asyncio.sleep(0.01)
        return slow, other

    slow, other = asyncio.run(go())
    assert slow.status == "cancelled"
    assert slow.current < 5
    assert (other.status, other.current) == ("done", 5)


def test_domain_errors_fail_the_job_and_state_expires() -> None:
    async def failing(progress, cancel) -> str:
        raise InfeasibleError("sum of per-asset maximum weights is 0.4 < 1", field="max_weight")

    async def go():
        jobs = FrontierJobs(ttl_s=0.0)
        job = jobs.start(failing, "f")
        while job.status == "running":
            await asyncio.sleep(0.005)
        state = job.state()
        await asyncio.sleep(0.01)
        with pytest.raises(NotFoundError, match="no frontier session 'f'"):
            jobs.get("f")
        return state

    state = asyncio.run(go())
    assert state["status"] == "failed"
    assert state["error"]["field"] == "max_weight"
