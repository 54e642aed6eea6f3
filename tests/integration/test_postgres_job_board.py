"""The PostgreSQL job board: a cancel whose NOTIFY was missed still reaches the running process
through its next progress write, and a job whose process died fails when its lease runs out."""

import asyncio

from adapters.postgres_job_board import PostgresJobBoard
from adapters.storage import make_engine
from application.job_board import FINAL
from tests.storage import fresh_database


def test_a_missed_cancel_notification_is_picked_up_on_the_next_write(tmp_path) -> None:
    url = fresh_database("postgres", tmp_path)

    async def go() -> list[str]:
        engine = make_engine(url)
        try:
            runner, other = PostgresJobBoard(engine, url), PostgresJobBoard(engine, url)
            heard: list[str] = []
            runner.on_cancel(heard.append)  # never opened: it hears no NOTIFY at all
            state = await runner.create("j1", "alice")
            await other.request_cancel("j1")
            await runner.publish([{**state, "current": 1, "total": 5, "seq": 1}])
            return heard
        finally:
            await engine.dispose()

    assert asyncio.run(go()) == ["j1"]


def test_a_job_whose_process_died_fails_when_its_lease_runs_out(tmp_path) -> None:
    """A board that never renews stands for a killed process: a live board fails its job with a
    final event, and keeps its own running job alive however long it takes."""
    url = fresh_database("postgres", tmp_path)

    async def go():
        engine = make_engine(url)
        try:
            dead = PostgresJobBoard(engine, url, lease_s=0.4)  # never opened: renews nothing
            await dead.create("gone", "alice")
            alive = PostgresJobBoard(engine, url, lease_s=0.4)
            await alive.open()
            try:
                await alive.create("kept", "bob")
                async with alive.subscribe("gone") as subscription:
                    final = subscription.state
                    if final["status"] not in FINAL:
                        final = await asyncio.wait_for(subscription.next(), timeout=10)
                await asyncio.sleep(1.2)  # three leases without progress
                return final, await alive.get("gone"), await alive.get("kept")
            finally:
                await alive.close()
        finally:
            await engine.dispose()

    final, stored, kept = asyncio.run(go())
    assert final["status"] == "failed"
    assert final["error"]["code"] == "job_lost"
    assert "stopped" in final["error"]["detail"]
    assert stored == final
    assert kept["status"] == "running"
