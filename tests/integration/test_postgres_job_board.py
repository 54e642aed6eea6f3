"""The PostgreSQL job board without its listener: a cancel whose NOTIFY was missed still
reaches the running process through its next progress write."""

import asyncio

from adapters.postgres_job_board import PostgresJobBoard
from adapters.sqlalchemy_store import make_engine
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
