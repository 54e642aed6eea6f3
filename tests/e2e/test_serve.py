"""``pfopt serve`` as a real server process on a free loopback port."""

import asyncio
import json

import httpx
import pytest
import websockets

from tests.servers import load_sample_prices, serving


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``pfopt serve`` on a free port with 12 assets of sample prices in its store."""
    tmp_path = tmp_path_factory.mktemp("serve")
    url = f"sqlite+aiosqlite:///{tmp_path}/serve.db"
    load_sample_prices(url, tmp_path)
    with serving(url) as address:
        yield address


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


SLOW = {  # a gross-leverage cap takes the CVXPY route: one conic solve per point
    "tickers": ["TEC01", "FIN02", "HEA03", "ENE04", "CON05", "IND06", "UTI07", "TEC08"],
    "points": 200,
    "constraints": {"long_only": False, "leverage": 1.6, "min_weight": -0.3, "max_weight": 0.6},
}


def start_slow(address: str, session_id: str) -> None:
    """Post the ``SLOW`` frontier under ``session_id`` to a running server (202 expected)."""
    r = httpx.post(
        f"http://{address}/api/optimize/efficient-frontier",
        json={**SLOW, "session_id": session_id},
        timeout=30,
    )
    assert r.status_code == 202, r.text


async def follow_and_cancel(ws_base: str, http_base: str, session: str) -> list[dict]:
    """Subscribe, cancel after the first progress event, read to the final event."""
    async with websockets.connect(f"ws://{ws_base}/ws/optimize/progress/{session}") as ws:
        events = []
        async for message in ws:
            events.append(json.loads(message))
            if len(events) == 2:
                async with httpx.AsyncClient() as client:
                    r = await client.delete(
                        f"http://{http_base}/api/optimize/efficient-frontier/{session}"
                    )
                    assert r.status_code == 202, r.text
        return events


def test_cancelling_a_running_frontier_stops_it(server: str) -> None:
    start_slow(server, "slow")
    events = asyncio.run(follow_and_cancel(server, server, "slow"))
    assert events[-1]["status"] == "cancelled", events
    state = httpx.get(f"http://{server}/api/optimize/efficient-frontier/slow", timeout=30).json()
    assert state["status"] == "cancelled"
    assert state["current"] < state["total"] == 200


def test_sigterm_cancels_running_jobs_with_a_final_event_and_keeps_them_in_history(
    tmp_path,
) -> None:
    """A server with a short grace period gets SIGTERM while a slow frontier runs: the
    subscriber receives the final 'cancelled' event, the server exits cleanly, and the run is
    in history marked cancelled."""
    import os
    import subprocess

    from tests.servers import PFOPT, ROOT

    url = f"sqlite+aiosqlite:///{tmp_path}/term.db"
    load_sample_prices(url, tmp_path)
    settings = {"PFOPT_SHUTDOWN_GRACE_S": "0.5", "PFOPT_WS_IDLE_S": "20"}
    with serving(url, env=settings) as address:
        start_slow(address, "term")
        pid = int(
            subprocess.check_output(
                ["pgrep", "-f", f"serve --port {address.split(':')[1]}"]
            ).split()[0]
        )

        async def follow() -> list[dict]:
            async with websockets.connect(f"ws://{address}/ws/optimize/progress/term") as ws:
                events = []
                async for message in ws:
                    events.append(json.loads(message))
                    if len(events) == 2:
                        os.kill(pid, 15)
                return events

        events = asyncio.run(follow())
    assert events[-1]["status"] == "cancelled", events[-3:]
    out = subprocess.run(
        [PFOPT, "--database-url", url, "history", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    runs = json.loads(out)
    assert [(r["kind"], r["status"]) for r in runs] == [("frontier", "cancelled")]
