"""HTTP benchmark: POST /api/optimize/portfolio on a 20-asset inline problem, 16 concurrent
clients against one server process, beside the bare in-process solve of the same problem.

    python -m tests.benchmarks.bench_http [--requests 800] [--clients 16]

The server runs on a free loopback port with a throw-away SQLite store (every request is also
saved to history, as in production) and PFOPT_MAX_CONCURRENT_SOLVES set to the client count.
"""

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from adapters.cvxpy_solver import CvxpySolver
from application.allocate import allocate
from domain.constraints import Budget, LongOnly, WeightBounds
from domain.linear import compile_constraints
from domain.objectives import MaxSharpe
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
    solver, times = CvxpySolver(), []
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
        alone, _ = asyncio.run(load(base, body, 200, 1))
        started = time.perf_counter()
        latencies, errors = asyncio.run(load(base, body, args.requests, args.clients))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=20)
    bare = statistics.median(bare_ms(universe))
    sequential = statistics.median(alone)
    p50, p99 = np.percentile(latencies, [50, 99])
    print(f"bare in-process solve: p50 {bare:.2f} ms")
    print(
        f"one client, sequential: p50 {sequential:.2f} ms -> HTTP overhead "
        f"{sequential - bare:.2f} ms (JSON, routing, validation, thread hop, history write)"
    )
    print(
        f"{args.clients} clients, {args.requests} requests, one server process: "
        f"{args.requests / elapsed:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"{errors} errors"
    )


if __name__ == "__main__":
    main()
