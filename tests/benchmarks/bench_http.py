"""HTTP benchmark: POST /api/optimize/portfolio on a 20-asset inline problem, beside the bare
in-process solve of the same problem in the same run, with the issue's targets as verdicts.

    python -m tests.benchmarks.bench_http [--requests 800] [--clients 16]
    python -m tests.benchmarks.bench_http --database-url postgresql+psycopg://... --workers 2

The server (``pfopt serve``, on the worktree's code) runs on a free loopback port with a
throw-away SQLite store unless ``--database-url`` names one (its schema is upgraded; runs are
added, nothing is deleted), and PFOPT_MAX_CONCURRENT_SOLVES set to the client count; every
request is also saved to history, as in production. Overhead is what a user sees: one client's
latency p50 minus the bare solve's p50, the two taken in turn. Throughput comes from
``--clients`` keep-alive connections on one asyncio loop that write each request in one go and
read replies by Content-Length, so the client costs the shared cores as little as possible.
Afterwards every acknowledged request (HTTP 200) must be in the store's history.
"""

import argparse
import asyncio
import http.client
import json
import os
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable

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
from tests.servers import ROOT, server_process


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


def _request(port: int, payload: bytes) -> bytes:
    return (
        f"POST /api/optimize/portfolio HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(payload)}\r\n\r\n"
    ).encode() + payload


async def load(port: int, body: dict, requests: int, clients: int) -> tuple[list[float], int]:
    """``clients`` keep-alive connections sending ``requests`` in all: latencies (ms) of the
    answered requests and how many were not HTTP 200."""
    request = _request(port, json.dumps(body).encode())
    latencies: list[float] = []
    errors = 0
    queue = iter(range(requests))

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in queue:
            started = time.perf_counter()
            writer.write(request)
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            length = next(int(x.split(":")[1]) for x in head if x.lower().startswith("content-l"))
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += int(head[0].split()[1]) != 200
        writer.close()
        await writer.wait_closed()

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, errors


class LeanClient:
    """A keep-alive HTTP/1.1 client that sends each request in one write and reads the reply by
    its Content-Length, as wrk or h2load do: it adds next to nothing of its own, so what it
    measures is the server. (``http.client`` sends headers and body in two writes, which costs
    the server a second wake-up, and parses headers with the email package.)"""

    def __init__(self, port: int, payload: bytes) -> None:
        self._socket = socket.create_connection(("127.0.0.1", port))
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._request, self._buffer = _request(port, payload), b""

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
    lean, standard = LeanClient(port, payload), http.client.HTTPConnection("127.0.0.1", port)

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


async def stored_runs(url: str) -> int:
    """How many optimization runs the store's history holds (its public repository)."""
    engine = make_engine(url)
    try:
        async with SqlAlchemyUnitOfWorkFactory(engine)() as uow:
            return len(await uow.optimizations.list(limit=10**9))
    finally:
        await engine.dispose()


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its descendants (uvicorn's worker
    processes), from /proc: a steadier measure of the server's cost per request than req/s on
    a shared machine."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry)] = int(fields[1])
            used[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    family, grew = {pid}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return sum(used.get(p, 0.0) for p in family)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--database-url", help="default: a throw-away SQLite file")
    parser.add_argument("--workers", type=int, default=1, help="pfopt serve --workers")
    args = parser.parse_args()
    universe = random_universe(20, seed=2026)
    folder = tempfile.mkdtemp()
    url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
    postgres = url.startswith("postgresql")
    upgrade(url)
    before = asyncio.run(stored_runs(url))
    env = {
        "PFOPT_MAX_CONCURRENT_SOLVES": str(args.clients),
        "PYTHONPATH": str(ROOT),  # the worktree's code, not the one the venv's .pth names
    }
    acknowledged = 0
    with server_process(url, "--workers", str(args.workers), env=env) as (address, process):
        port = int(address.rsplit(":", 1)[1])
        body = _body(universe)
        latencies, errors = asyncio.run(load(port, body, 32, args.clients))  # warm-up
        acknowledged += len(latencies) - errors
        for requests in (50, 500):  # a warm-up, then the measured turns
            bare_times, clients = sequential(port, universe, requests)
            acknowledged += sum(len(times) for times, _ in clients.values())  # each a 200
        started, cpu = time.perf_counter(), server_cpu_s(process.pid)
        latencies, errors = asyncio.run(load(port, body, args.requests, args.clients))
        elapsed = time.perf_counter() - started
        cpu = server_cpu_s(process.pid) - cpu
        acknowledged += len(latencies) - errors
    after = asyncio.run(stored_runs(url))
    bare = statistics.median(bare_times)
    alone, overheads = clients["lean"]
    sequential_p50 = statistics.median(alone)
    overhead = sequential_p50 - bare
    p50, p99 = np.percentile(latencies, [50, 99])
    rate = len(latencies) / elapsed
    store = "PostgreSQL" if postgres else "SQLite"
    server = f"{args.workers} process{'es' if args.workers > 1 else ''} on {store}"
    rate_target = 1000 if postgres and args.workers >= 2 else 400
    print(f"bare in-process solve, taking turns with the requests: p50 {bare:.2f} ms")
    print(
        f"one client in sequence: p50 {sequential_p50:.2f} ms, {overhead:+.2f} ms over the bare "
        f"solve's p50 (HTTP, JSON, validation, thread hop, history write); target overhead "
        f"<= 2 ms: {verdict(overhead <= 2)}"
    )
    print(
        "  for reference, latency minus the solve time the server reports for that request: "
        f"p50 {statistics.median(overheads):.2f} ms, p90 {np.percentile(overheads, 90):.2f} ms "
        f"(server's own solve p50 {statistics.median(np.subtract(alone, overheads)):.2f} ms); "
        f"from Python's http.client: p50 {statistics.median(clients['http.client'][1]):.2f} ms"
    )
    write = history_write_ms(url)
    print(
        f"  of which the history write alone (same {store} store, in-process): p50 {write:.2f} ms"
    )
    print(
        "| server | clients | requests | req/s | target | p50 | p99 | target | errors | verdict |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    ok = rate >= rate_target and p99 <= 50 and errors == 0
    print(
        f"| {server} | {args.clients} | {args.requests} | {rate:.0f} | >= {rate_target} | "
        f"{p50:.1f} ms | {p99:.1f} ms | <= 50 ms | {errors} (target 0) | "
        f"req/s {verdict(rate >= rate_target)}, p99 {verdict(p99 <= 50)}, errors "
        f"{verdict(errors == 0)} |"
    )
    print(
        f"server CPU (user + system, every server process) per request under load: "
        f"{cpu / len(latencies) * 1000:.2f} ms; the machine's {os.cpu_count()} cores are shared "
        "with the load client"
    )
    stored = after - before
    print(
        f"history: {stored} runs stored for {acknowledged} acknowledged requests: "
        + (
            "every one there"
            if stored == acknowledged
            else f"MISMATCH ({stored - acknowledged:+d})"
        )
        + f"; all targets {verdict(ok and overhead <= 2 and stored == acknowledged)}"
    )


if __name__ == "__main__":
    main()
