"""A server killed mid-frontier (kill -9: no drain, no final event of its own): another server
on the same PostgreSQL ends the job as failed once its lease runs out, and a socket following it
there receives that final event instead of waiting for ever."""

import asyncio
import json
import signal

import httpx
import websockets

from tests.e2e.test_serve import start_slow
from tests.servers import load_sample_prices, server_process, serving
from tests.storage import fresh_database

LEASE = {"PFOPT_JOB_LEASE_S": "1.5"}


async def _follow_then_kill(address: str, session: str, victim) -> list[dict]:
    async with websockets.connect(f"ws://{address}/ws/optimize/progress/{session}") as ws:
        events = []
        async with asyncio.timeout(60):
            async for message in ws:
                events.append(json.loads(message))
                if "current" in events[-1] and events[-1]["current"] >= 1 and victim.poll() is None:
                    victim.send_signal(signal.SIGKILL)
                    victim.wait(timeout=10)
        return events


def test_a_killed_servers_job_ends_failed_on_the_other_server(tmp_path) -> None:
    url = fresh_database("postgres", tmp_path)
    load_sample_prices(url, tmp_path)
    with server_process(url, env=LEASE) as (doomed, process), serving(url, env=LEASE) as other:
        start_slow(doomed, "orphan")
        events = asyncio.run(_follow_then_kill(other, "orphan", process))
        assert process.returncode == -signal.SIGKILL
        final = events[-1]
        assert final["status"] == "failed", events
        assert final["error"]["code"] == "job_lost"
        state = httpx.get(f"http://{other}/api/optimize/efficient-frontier/orphan", timeout=30)
        assert state.json()["status"] == "failed"
        assert state.json()["current"] < 200  # it really stopped mid-way
