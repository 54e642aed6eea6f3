"""A long exact solve stops at its time limit, and when its client goes away: through a real
``pfopt serve`` process and a real socket."""

import json
import os
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.servers import server_process

N = 6000
"""Diagonal risk with a target below the minimum-variance return: no guessed segment answers
it (its lam would be negative), so the whole path is traced, and at its bottom every asset is
held: one breakpoint per asset, seconds of work."""


def _long_solve(time_limit_s: float | None = None) -> dict:
    rng = np.random.default_rng(3)
    body: dict = {
        "inline": {
            "tickers": [f"A{i}" for i in range(N)],
            "expected_returns": rng.uniform(0.02, 0.2, N).round(6).tolist(),
            "loadings": [[0.0]] * N,
            "factor_covariance": [[0.04]],
            "specific_variance": rng.uniform(0.01, 0.09, N).round(6).tolist(),
        },
        "objective": {"kind": "target_return", "target_return": 0.0},
    }
    if time_limit_s is not None:
        body["solver"] = {"time_limit_s": time_limit_s}
    return body


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('stops')}/s.db"
    env = {"PFOPT_MAX_ASSETS": str(N)}
    with server_process(url, env=env) as (address, process):
        yield address, process.pid


def _history_count(address: str) -> int:
    r = httpx.get(f"http://{address}/api/optimizations", params={"limit": 100}, timeout=30)
    assert r.status_code == 200, r.text
    return len(r.json())


def test_the_exact_engine_keeps_its_time_limit(server) -> None:
    address, _ = server
    r = httpx.post(f"http://{address}/api/optimize/portfolio", json=_long_solve(0.2), timeout=120)
    assert r.status_code == 504, r.text
    problem = r.json()
    assert problem["code"] == "solver_timeout"
    assert problem["field"] == "time_limit_s"
    assert "exact engine did not finish within the 0.2 s time limit" in problem["detail"]


def _cpu_total(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int, over_s: float) -> float:
    before = _cpu_total(pid)
    time.sleep(over_s)
    return _cpu_total(pid) - before


def test_a_client_that_goes_away_stops_its_solve(server) -> None:
    address, pid = server
    stored = _history_count(address)
    body = json.dumps(_long_solve()).encode()
    host, port = address.split(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(
            b"POST /api/optimize/portfolio HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        # the solve is running once the server burns CPU on it
        assert _busy(pid), "the solve never started"
    # the client is gone: the server is idle again, and the run was stopped, not finished
    # (a finished run would be in history)
    assert _idle(pid), "the server kept solving for a client that went away"
    assert _history_count(address) == stored
    ok = httpx.post(
        f"http://{address}/api/optimize/portfolio",
        json={
            "inline": {
                "tickers": ["A", "B"],
                "expected_returns": [0.05, 0.1],
                "covariance": [[0.04, 0.01], [0.01, 0.09]],
            }
        },
        timeout=30,
    )
    assert ok.status_code == 200, ok.text


def _busy(pid: int) -> bool:
    return any(_cpu_seconds(pid, 0.5) > 0.3 for _ in range(60))


def _idle(pid: int) -> bool:
    return any(_cpu_seconds(pid, 1.0) < 0.2 for _ in range(30))


def test_sigterm_stops_a_running_solve_and_the_server_exits(tmp_path) -> None:
    """A heavy single solve is running when SIGTERM arrives: it is stopped like a disconnect
    (its client gets 503, retry elsewhere) and the process exits; before, it lived on until the
    solve finished. Past the grace period a watchdog ends the process whatever still runs."""
    url = f"sqlite+aiosqlite:///{tmp_path}/term.db"
    env = {"PFOPT_MAX_ASSETS": str(N), "PFOPT_SHUTDOWN_GRACE_S": "0.5"}
    with server_process(url, env=env) as (address, process):
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(
                httpx.post,
                f"http://{address}/api/optimize/portfolio",
                json=_long_solve(60),
                timeout=120,
            )
            assert _busy(process.pid), "the solve never started"
            process.send_signal(signal.SIGTERM)
            response = answer.result()
        assert response.status_code == 503, response.text
        assert "shutting down" in response.json()["detail"]
        assert response.headers["retry-after"]
        # uvicorn re-raises the signal it handled: a clean exit reads as killed by SIGTERM
        # (the watchdog's forced exit would be status 1)
        assert process.wait(timeout=60) == -signal.SIGTERM
