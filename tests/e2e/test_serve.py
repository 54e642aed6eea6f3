"""``pfopt serve`` as a real server process on a free loopback port."""

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``pfopt serve`` on a free port with 12 assets of sample prices in its store."""
    tmp_path = tmp_path_factory.mktemp("serve")
    port = _free_port()
    url = f"sqlite+aiosqlite:///{tmp_path}/serve.db"
    pfopt = str(Path(sys.executable).parent / "pfopt")
    prices = tmp_path / "p.csv"
    for args in (
        ["sample-data", "-o", str(prices), "--assets", "12"],
        ["--database-url", url, "prices", "import", str(prices)],
    ):
        subprocess.run([pfopt, *args], check=True, capture_output=True, cwd=ROOT)
    process = subprocess.Popen(
        [pfopt, "--database-url", url, "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://{address}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "server did not come up in 60 s"
            time.sleep(0.2)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_answers_an_optimization(server: str) -> None:
    base = f"http://{server}"
    body = {
        "inline": {
            "tickers": ["A", "B"],
            "expected_returns": [0.05, 0.1],
            "covariance": [[0.04, 0.01], [0.01, 0.09]],
        },
        "objective": {"kind": "min_variance"},
    }
    r = httpx.post(f"{base}/api/optimize/portfolio", json=body, timeout=30)
    assert r.status_code == 200, r.text
    assert abs(sum(r.json()["weights"].values()) - 1.0) < 1e-12
    bad = httpx.post(f"{base}/api/optimize/portfolio", json={"inline": {}}, timeout=30)
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")


async def _follow(server: str, session: str) -> list[dict]:
    async with websockets.connect(f"ws://{server}/ws/optimize/progress/{session}") as ws:
        events = []
        async for message in ws:
            events.append(json.loads(message))
        return events


def test_two_concurrent_frontiers_each_get_only_their_own_events(server: str) -> None:
    base = f"http://{server}"
    tickers = ["TEC01", "FIN02", "HEA03", "ENE04", "CON05", "IND06"]

    async def go():
        for session, points in (("one", 25), ("two", 12)):
            r = httpx.post(
                f"{base}/api/optimize/efficient-frontier",
                json={"tickers": tickers, "points": points, "session_id": session},
                timeout=30,
            )
            assert r.status_code == 202, r.text
        return await asyncio.gather(_follow(server, "one"), _follow(server, "two"))

    one, two = asyncio.run(go())
    for events, total in ((one, 25), (two, 12)):
        assert events[-1]["status"] == "done"
        progress = [e for e in events[1:-1] if "current" in e]
        assert all(e["total"] == total for e in progress)
        assert [e["current"] for e in progress] == sorted(e["current"] for e in progress)
        assert events[0].get("total") in (0, total)  # the latest state comes first
    late = asyncio.run(_follow(server, "one"))
    assert [e["status"] for e in late] == ["done"]


def test_unknown_session_closes_with_4404(server: str) -> None:
    async def go() -> int:
        async with websockets.connect(f"ws://{server}/ws/optimize/progress/nope") as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            return closed.value.rcvd.code

    assert asyncio.run(go()) == 4404
