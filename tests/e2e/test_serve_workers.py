"""Several server processes on one PostgreSQL: a job started in one process is followed,
read and cancelled through another (``pfopt serve --workers 2`` beside a second server)."""

import asyncio
import json

import httpx
import pytest
import websockets

from entrypoints.cli.main import main
from tests.e2e.test_serve import SLOW, follow_and_cancel, start_slow
from tests.servers import load_sample_prices, serving
from tests.storage import fresh_database


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Two ``pfopt serve`` on one PostgreSQL: one with ``--workers 2``, one with a single
    process, as two servers behind a balancer would be."""
    tmp_path = tmp_path_factory.mktemp("workers")
    url = fresh_database("postgres", tmp_path)
    load_sample_prices(url, tmp_path)
    # Which worker accepts a connection is the kernel's choice, and the per-owner job cap is
    # per process: eight quick jobs could all land on one worker and meet its cap of 4.
    roomy = {"PFOPT_MAX_JOBS_PER_OWNER": "8"}
    with serving(url, "--workers", "2", env=roomy) as pair, serving(url) as single:
        yield pair, single


async def _follow(address: str, session: str) -> list[dict]:
    async with websockets.connect(f"ws://{address}/ws/optimize/progress/{session}") as ws:
        return [json.loads(message) async for message in ws]


def test_progress_of_a_job_reaches_a_socket_on_another_server(servers) -> None:
    pair, single = servers
    body = {**SLOW, "points": 40, "constraints": SLOW["constraints"], "session_id": "cross"}
    r = httpx.post(f"http://{pair}/api/optimize/efficient-frontier", json=body, timeout=30)
    assert r.status_code == 202, r.text
    events = asyncio.run(_follow(single, "cross"))
    assert events[-1]["status"] == "done"
    progress = [e for e in events[1:-1] if "current" in e]
    assert progress, "no progress event crossed the processes"
    assert all(e["total"] == 40 for e in progress)
    currents = [e["current"] for e in progress]
    assert currents == sorted(set(currents))
    assert currents[-1] == 40
    state = httpx.get(f"http://{single}/api/optimize/efficient-frontier/cross", timeout=30).json()
    assert state["status"] == "done"
    assert len(state["result"]["points"]) == 40
    late = asyncio.run(_follow(pair, "cross"))
    assert [e["status"] for e in late] == ["done"]


def test_a_cancel_sent_to_another_server_stops_the_job(servers) -> None:
    pair, single = servers
    start_slow(single, "far")
    events = asyncio.run(follow_and_cancel(pair, pair, "far"))
    assert events[-1]["status"] == "cancelled"
    state = httpx.get(f"http://{single}/api/optimize/efficient-frontier/far", timeout=30).json()
    assert state["status"] == "cancelled"
    assert state["current"] < 200


def test_every_worker_serves_jobs_and_sessions_stay_apart(servers) -> None:
    """Eight jobs through the two-process server, each on a fresh connection (so both workers
    take some): every socket receives only its own job's events."""
    pair, _ = servers

    async def go():
        async with httpx.AsyncClient() as client:
            for k in range(8):
                body = {"tickers": SLOW["tickers"][:5], "points": 5 + k, "session_id": f"w{k}"}
                for _ in range(60):  # a busy worker says "retry shortly", as a client would
                    r = await client.post(
                        f"http://{pair}/api/optimize/efficient-frontier",
                        json=body,
                        headers={"connection": "close"},
                    )
                    if r.status_code != 503 or r.json().get("code") != "busy":
                        break
                    await asyncio.sleep(float(r.headers.get("retry-after", "0.5")))
                assert r.status_code == 202, r.text
        return await asyncio.gather(*(_follow(pair, f"w{k}") for k in range(8)))

    for k, events in enumerate(asyncio.run(go())):
        assert events[-1]["status"] == "done", events
        assert all(e.get("total", 5 + k) == 5 + k for e in events[1:])
        assert all(e["session_id"] == f"w{k}" for e in events[:1])


def test_workers_need_postgresql(tmp_path, capsys) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/one.db"
    assert main(["--database-url", url, "serve", "--workers", "2"]) == 2
    assert "--workers above 1 needs a PostgreSQL database" in capsys.readouterr().err
