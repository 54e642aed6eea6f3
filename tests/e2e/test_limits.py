"""Limits a shared service needs: the solver time limit ceiling, jobs per owner, idle sockets,
and a lane for heavy solves so that small ones never wait behind them."""

import asyncio

import pytest
from dependency_injector import providers
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from adapters.migrations import upgrade
from application.job_board import MemoryJobBoard
from domain.errors import BusyError
from entrypoints.container import Container
from entrypoints.http.app import create_app
from entrypoints.http.gate import SolveGate
from tests.e2e.test_serve import SLOW
from tests.servers import load_sample_prices


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("limits")
    found = f"sqlite+aiosqlite:///{folder}/limits.db"
    upgrade(found)
    load_sample_prices(found, folder)
    return found


def _client(url: str, **config) -> TestClient:
    container = Container()
    container.config.database_url.from_value(url)
    for key, value in config.items():
        getattr(container.config, key).from_value(value)
    return container, TestClient(app=create_app(container))


def test_a_time_limit_above_the_ceiling_is_refused(url, monkeypatch) -> None:
    import entrypoints.http.requests as requests

    monkeypatch.setattr(requests, "MAX_TIME_LIMIT_S", 10.0)
    _, client = _client(url)
    with client:
        body = {"tickers": ["TEC01", "FIN02"], "solver": {"time_limit_s": 11}}
        r = client.post("/api/optimize/portfolio", json=body)
    assert r.status_code == 422
    assert r.json()["field"] == "time_limit_s"
    assert "the limit is 10 s (PFOPT_MAX_TIME_LIMIT_S)" in r.json()["detail"]


def test_jobs_per_owner_are_capped_with_429(url) -> None:
    _, client = _client(url, max_jobs_per_owner=1)
    with client:
        first = client.post("/api/optimize/efficient-frontier", json={**SLOW, "session_id": "a"})
        assert first.status_code == 202
        second = client.post("/api/optimize/efficient-frontier", json={**SLOW, "session_id": "b"})
        assert second.status_code == 429
        assert second.headers["retry-after"] == "5"
        assert "the limit is 1 (PFOPT_MAX_JOBS_PER_OWNER)" in second.json()["detail"]
        client.delete("/api/optimize/efficient-frontier/a")


def test_a_socket_without_progress_is_closed_when_idle(url) -> None:
    board = MemoryJobBoard()
    asyncio.run(board.create("stuck"))  # a job nobody runs: its state never changes
    container, client = _client(url, ws_idle_s=0.3)
    container.job_board.override(providers.Object(board))
    first: list[dict] = []

    def follow() -> None:
        with client.websocket_connect("/ws/optimize/progress/stuck") as ws:
            first.append(ws.receive_json())
            ws.receive_json()

    with client, pytest.raises(WebSocketDisconnect) as closed:
        follow()
    assert first[0]["status"] == "running"
    assert closed.value.code == 4408


def test_heavy_solves_have_their_own_lane() -> None:
    async def go() -> list[str]:
        gate, order = SolveGate(limit=10, cores=1), []

        async def heavy(name: str) -> None:
            async with gate.slot(heavy=True):
                order.append(f"{name} starts")
                await asyncio.sleep(0.05)
                order.append(f"{name} ends")

        async def light() -> None:
            await asyncio.sleep(0.01)
            async with gate.slot():
                order.append("light")

        await asyncio.gather(heavy("h1"), heavy("h2"), light())
        return order

    assert asyncio.run(go()) == ["h1 starts", "light", "h1 ends", "h2 starts", "h2 ends"]


def test_admitted_heavy_work_never_fills_the_admission_of_small_requests() -> None:
    gate = SolveGate(limit=1, cores=1, heavy_limit=2)
    gate.acquire(heavy=True)
    gate.acquire(heavy=True)
    with pytest.raises(BusyError, match="large solves"):
        gate.acquire(heavy=True)
    gate.acquire()  # a small request is still admitted
    with pytest.raises(BusyError, match="1 light solves are admitted, the limit is 1"):
        gate.acquire()
