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
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable

import httpx
import numpy as np

from adapters.migrations import upgrade
from adapters.storage import SqlAlchemyUnitOfWorkFactory, make_engine
from application.allocate import allocate
from domain.constraints import Budget, LongOnly, WeightBounds
from domain.linear import compile_constraints
from domain.objectives import MaxSharpe
from domain.records import OptimizationRecord
from entrypoints.container import Container
from tests.conftest import random_universe
from tests.servers import serving


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


def bare_solver(universe) -> Callable[[], float]:
    """The same solve in this process with the server's solver: one call, its time in ms."""
    lc = compile_constraints(universe.tickers, [Budget(), LongOnly(), WeightBounds(max_weight=0.2)])
    solver = Container().solver()

    def solve() -> float:
        started = time.perf_counter()
        allocate(solver, universe, lc, MaxSharpe(0.01), 0.01)
        return (time.perf_counter() - started) * 1000

    solve()
    return solve


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


class LeanClient:
    """A keep-alive HTTP/1.1 client that sends each request in one write and reads the reply by
    its Content-Length, as wrk or h2load do: it adds next to nothing of its own, so what it
    measures is the server. (``http.client`` sends headers and body in two writes, which costs
    the server a second wake-up, and parses headers with the email package.)"""

    def __init__(self, port: int, path: str, payload: bytes) -> None:
        self._socket = socket.create_connection(("127.0.0.1", port))
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        head = (
            f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(payload)}\r\n\r\n"
        )
        self._request, self._buffer = head.encode() + payload, b""

    def post(self) -> tuple[int, dict]:
        self._socket.sendall(self._request)
        while b"\r\n\r\n" not in self._buffer:
            self._buffer += self._socket.recv(65536)
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(int(x.split(":")[1]) for x in lines if x.lower().startswith("content-length"))
        while len(self._buffer) < length:
            self._buffer += self._socket.recv(65536)
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return int(lines[0].split()[1]), json.loads(body)

    def close(self) -> None:
        self._socket.close()


BLOCK = 25
"""Runs of this many bare solves, then as many requests from each client, in turn: short enough
that all three see the machine in the same state, long enough that the client's own solves do
not leave every request's caches cold."""


def sequential(
    port: int, universe, requests: int
) -> tuple[list[float], dict[str, tuple[list[float], list[float]]]]:
    """Blocks of bare in-process solves and of requests from each of two keep-alive clients,
    in turn, so all see the machine in the same state (its speed drifts by 2x over minutes
    here): the bare solve times, and per client the latencies and each latency minus the solve
    time the server reports for that request (its overhead)."""
    path, payload = "/api/optimize/portfolio", json.dumps(_body(universe)).encode()
    solve, bare = bare_solver(universe), []
    lean, standard = LeanClient(port, path, payload), http.client.HTTPConnection("127.0.0.1", port)

    def via_http_client() -> tuple[int, dict]:
        standard.request("POST", path, payload, {"content-type": "application/json"})
        response = standard.getresponse()
        return response.status, json.loads(response.read())

    out: dict[str, tuple[list[float], list[float]]] = {"lean": ([], []), "http.client": ([], [])}
    for _ in range(max(1, requests // BLOCK)):
        bare.extend(solve() for _ in range(BLOCK))
        for name, post in (("lean", lean.post), ("http.client", via_http_client)):
            for _ in range(BLOCK):
                started = time.perf_counter()
                status, doc = post()
                elapsed = (time.perf_counter() - started) * 1000
                assert status == 200, doc
                out[name][0].append(elapsed)
                out[name][1].append(elapsed - doc["duration_ms"])
    lean.close()
    standard.close()
    return bare, out


def history_write_ms(url: str, runs: int = 200) -> float:
    """One optimization record appended through the history port alone, as the server does it
    (from the thread that solved): the durable part of every request's overhead."""
    engine = make_engine(url)
    journal, times = SqlAlchemyUnitOfWorkFactory(engine).journal(), []
    for _ in range(runs):
        record = OptimizationRecord(
            str(uuid.uuid4()), "single", "max_sharpe", {"x": [0.05] * 20}, {}, "optimal", 1.0
        )
        started = time.perf_counter()
        journal.append(record)
        times.append((time.perf_counter() - started) * 1000)
    asyncio.run(engine.dispose())
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    universe = random_universe(20, seed=2026)
    folder = tempfile.mkdtemp()
    url = f"sqlite+aiosqlite:///{folder}/bench.db"
    upgrade(url)
    limits = {"PFOPT_MAX_CONCURRENT_SOLVES": str(args.clients)}
    with serving(url, env=limits) as address:
        base, port = f"http://{address}", int(address.rsplit(":", 1)[1])
        body = _body(universe)
        asyncio.run(load(base, body, 32, args.clients))  # warm-up
        sequential(port, universe, 50)  # warm-up
        bare_times, clients = sequential(port, universe, 500)
        started = time.perf_counter()
        latencies, errors = asyncio.run(load(base, body, args.requests, args.clients))
        elapsed = time.perf_counter() - started
    bare = statistics.median(bare_times)
    alone, overheads = clients["lean"]
    sequential_p50, overhead_p50 = statistics.median(alone), statistics.median(overheads)
    p50, p99 = np.percentile(latencies, [50, 99])
    write = history_write_ms(f"sqlite+aiosqlite:///{folder}/bench.db")
    print(f"bare in-process solve, taking turns with the requests: p50 {bare:.2f} ms")
    print(
        f"one client in sequence: p50 {sequential_p50:.2f} ms "
        f"({sequential_p50 - bare:+.2f} ms over the bare solve's p50; the server's own solve "
        f"time for these requests: p50 {statistics.median(np.subtract(alone, overheads)):.2f} ms)"
    )
    print(
        f"per request, latency minus the server's own solve time: p50 {overhead_p50:.2f} ms, "
        f"p90 {np.percentile(overheads, 90):.2f} ms (HTTP, JSON, validation, thread hop, "
        f"history write); target < 2 ms p50: {'met' if overhead_p50 < 2 else 'NOT met'}"
    )
    print(
        "the same from Python's http.client, taking turns with it: p50 "
        f"{statistics.median(clients['http.client'][1]):.2f} ms"
    )
    print(f"of which the history write alone (same SQLite store, in-process): p50 {write:.2f} ms")
    print(
        f"{args.clients} clients, {args.requests} requests, one server process: "
        f"{args.requests / elapsed:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"{errors} errors"
    )


if __name__ == "__main__":
    main()
