"""HTTP benchmark: POST /api/optimize/portfolio on a 20-asset inline problem, 16 concurrent
clients against one server process, beside the bare in-process solve of the same problem.

    python -m tests.benchmarks.bench_http [--requests 800] [--clients 16]

The server runs on a free loopback port with a throw-away SQLite store (every request is also
saved to history, as in production) and PFOPT_MAX_CONCURRENT_SOLVES set to the client count.
"""

import argparse
import asyncio
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np

from adapters.sqlalchemy_store import SqlAlchemyUnitOfWorkFactory, make_engine
from application.allocate import allocate
from domain.constraints import Budget, LongOnly, WeightBounds
from domain.linear import compile_constraints
from domain.objectives import MaxSharpe
from domain.records import OptimizationRecord
from entrypoints.container import Container
from tests.conftest import random_universe

ROOT = Path(__file__).resolve().parents[2]


def _body(universe) -> dict:
    return {
        "inline": {
            "tickers": list(universe.tickers),
            "expected_returns": universe.expected_returns.tolist(),
            "covariance": universe.covariance.tolist(),
        },
        "objective": {"kind": "max_sharpe", "risk_free_rate": 0.01},
        "constraints": {"max_weight": 0.2},
    }


def bare_ms(universe, runs: int = 50) -> list[float]:
    lc = compile_constraints(universe.tickers, [Budget(), LongOnly(), WeightBounds(max_weight=0.2)])
    solver, times = Container().solver(), []  # what the server solves with
    for _ in range(runs + 1):
        started = time.perf_counter()
        allocate(solver, universe, lc, MaxSharpe(0.01), 0.01)
        times.append((time.perf_counter() - started) * 1000)
    return times[1:]


async def load(base: str, body: dict, requests: int, clients: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue = iter(range(requests))

    async def client() -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            for _ in queue:
                started = time.perf_counter()
                r = await http.post("/api/optimize/portfolio", json=body)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += r.status_code != 200

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, errors


def sequential(port: int, body: dict, requests: int) -> tuple[list[float], list[float]]:
    """One keep-alive client (the standard library's, which adds little of its own) posting in
    sequence: latency, and latency minus the solve time the server reports for that request."""
    payload = json.dumps(body).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port)
    latencies, overheads = [], []
    for _ in range(requests):
        started = time.perf_counter()
        connection.request(
            "POST", "/api/optimize/portfolio", payload, {"content-type": "application/json"}
        )
        response = connection.getresponse()
        doc = json.loads(response.read())
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status == 200, doc
        latencies.append(elapsed)
        overheads.append(elapsed - doc["duration_ms"])
    connection.close()
    return latencies, overheads


def history_write_ms(url: str, runs: int = 200) -> float:
    """One optimization record written and committed through the storage port, alone: the
    durable part of every request's overhead."""

    async def go() -> list[float]:
        engine = make_engine(url)
        uow, times = SqlAlchemyUnitOfWorkFactory(engine), []
        for _ in range(runs):
            record = OptimizationRecord(
                str(uuid.uuid4()), "single", "max_sharpe", {"x": [0.05] * 20}, {}, "optimal", 1.0
            )
            started = time.perf_counter()
            async with uow() as u:
                await u.optimizations.add(record)
                await u.commit()
            times.append((time.perf_counter() - started) * 1000)
        await engine.dispose()
        return times

    return statistics.median(asyncio.run(go()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    universe = random_universe(20, seed=2026)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tempfile.mkdtemp()
    env = {**os.environ, "PFOPT_MAX_CONCURRENT_SOLVES": str(args.clients)}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "pfopt"),
            "--database-url",
            f"sqlite+aiosqlite:///{folder}/bench.db",
            "--migrate",
            "serve",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        body = _body(universe)
        asyncio.run(load(base, body, 32, args.clients))  # warm-up
        alone, overheads = sequential(port, body, 300)
        started = time.perf_counter()
        latencies, errors = asyncio.run(load(base, body, args.requests, args.clients))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=20)
    bare = statistics.median(bare_ms(universe))
    sequential_p50 = statistics.median(alone)
    p50, p99 = np.percentile(latencies, [50, 99])
    write = history_write_ms(f"sqlite+aiosqlite:///{folder}/bench.db")
    print(f"bare in-process solve: p50 {bare:.2f} ms")
    print(
        f"one client, sequential: p50 {sequential_p50:.2f} ms; per request, latency minus the "
        f"server's own solve time: p50 {statistics.median(overheads):.2f} ms, "
        f"p90 {np.percentile(overheads, 90):.2f} ms (HTTP, JSON, validation, thread hop, "
        "history write)"
    )
    print(f"of which the history write alone (same SQLite store, in-process): p50 {write:.2f} ms")
    print(
        f"{args.clients} clients, {args.requests} requests, one server process: "
        f"{args.requests / elapsed:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"{errors} errors"
    )


if __name__ == "__main__":
    main()
