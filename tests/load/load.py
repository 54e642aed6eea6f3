"""Load (and fault) test: N concurrent clients mixing optimize, frontier with WebSocket,
portfolio CRUD and price reads against one ``pfopt serve`` on PostgreSQL, for a fixed time.

    python -m tests.load.load --database-url postgresql+psycopg://postgres@127.0.0.1/test \
        [--clients 32] [--duration 60] [--fault-at 20 --outage 5]

It EMPTIES that database (schema down and up again), loads 20 assets of sample prices, starts
the server on a free loopback port and prints throughput, p50/p99 per route over the requests
answered (refusals and failures are counted apart) and the error count.
Afterwards it checks in the database that every optimization the server acknowledged (a 200 with
its id, or a frontier's final "done" event) is in history exactly once. With ``--fault-at`` it
stops the local PostgreSQL (pg_ctlcluster) that many seconds in, for ``--outage`` seconds:
requests in between must get 503 with Retry-After (counted as "unavailable", not as errors; a
503 before the stop or ``RECOVERY_S`` after the start is an error) and the service must serve
again afterwards without a restart. With ``--flood`` two tenants share the server instead (see
``flood``): the light tenant's latency alone and beside the other's flood.
"""

import argparse
import asyncio
import json
import os
import random
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import psycopg
import websockets
from sqlalchemy.engine import make_url

from adapters.migrations import upgrade
from tests.servers import create_key, load_sample_prices, serving
from tests.storage import empty_postgres

ROUTES = ("optimize", "frontier", "portfolio_crud", "price_read")


RECOVERY_S = 3.0
"""After the database is back, how long a 503 still counts as the outage's (pooled connections
are found dead on checkout and replaced); a 503 later, or before the stop, is an error."""
BACKPRESSURE = ('"busy"', '"too_many_jobs"', '"too_many_requests"')


@dataclass
class Stats:
    """Latencies of successes only (a refusal is fast and would flatter the percentiles),
    with every refusal and failure counted apart."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {r: [] for r in ROUTES})
    ok_after: list[float] = field(default_factory=list)  # times of successes
    errors: list[str] = field(default_factory=list)
    unavailable_at: list[float] = field(default_factory=list)  # times of 503s not backpressure
    backpressure: int = 0
    last_refused: bool = False
    acked: list[str] = field(default_factory=list)

    def record(
        self,
        route: str,
        started: float,
        status: int | str,
        detail: str = "",
        headers: httpx.Headers | None = None,
    ) -> None:
        now = time.perf_counter()
        self.last_refused = status in (429, 503)
        if self.last_refused and headers is not None and not headers.get("retry-after"):
            self.errors.append(f"{route}: {status} without Retry-After")
        if status in (429, 503) and any(c in detail for c in BACKPRESSURE):
            self.backpressure += 1  # admission control: the client retries shortly
        elif status == 503:
            self.unavailable_at.append(time.monotonic())
        elif isinstance(status, int) and status < 400:
            self.latencies[route].append((now - started) * 1000)
            self.ok_after.append(time.monotonic())
        else:
            self.errors.append(f"{route}: {status} {detail[:160]}")

    def response(self, route: str, started: float, r: httpx.Response) -> None:
        self.record(route, started, r.status_code, r.text, r.headers)


async def _frontier(http: httpx.AsyncClient, ws_base: str, tickers: list[str], sid: str, stats):
    started = time.perf_counter()
    r = await http.post(
        "/api/optimize/efficient-frontier",
        json={"tickers": tickers, "points": 10, "session_id": sid},
    )
    if r.status_code != 202:
        stats.response("frontier", started, r)
        return
    final: dict = {}
    async with websockets.connect(f"{ws_base}/ws/optimize/progress/{sid}", open_timeout=10) as ws:
        async for message in ws:
            final = json.loads(message)
    if final.get("status") == "done":
        stats.acked.append(final["optimization_id"])
        stats.record("frontier", started, 200)
    elif (
        final.get("status") == "failed"
        and final.get("error", {}).get("code") == "storage_unavailable"
    ):
        stats.record("frontier", started, 503)
    else:
        stats.record("frontier", started, "final", json.dumps(final))


async def _client(k: int, address: str, tickers: list[str], deadline: float, stats: Stats) -> None:
    rng = random.Random(k)
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=60) as http:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            route = rng.choice(ROUTES)
            chosen = rng.sample(tickers, 5)
            started = time.perf_counter()
            try:
                if route == "optimize":
                    body = {"tickers": chosen, "objective": {"kind": "min_variance"}}
                    r = await http.post("/api/optimize/portfolio", json=body)
                    if r.status_code == 200:
                        stats.acked.append(r.json()["optimization_id"])
                    stats.response(route, started, r)
                elif route == "frontier":
                    await _frontier(http, f"ws://{address}", chosen, f"c{k}-{n}", stats)
                elif route == "portfolio_crud":
                    body = {"name": f"p{k}-{n}", "tickers": chosen}
                    r = await http.post("/api/portfolios", json=body)
                    if r.status_code == 201:
                        pid = r.json()["id"]
                        for r in (
                            await http.get(f"/api/portfolios/{pid}"),
                            await http.put(
                                f"/api/portfolios/{pid}", json={**body, "name": f"q{k}-{n}"}
                            ),
                            await http.delete(f"/api/portfolios/{pid}"),
                        ):
                            if r.status_code >= 300:
                                break
                    stats.response(route, started, r)
                else:
                    r = await http.get(f"/api/prices/{chosen[0]}?limit=500")
                    stats.response(route, started, r)
            except websockets.ConnectionClosedError as closed:
                # 1011 "the database is unavailable": a socket's way of saying 503.
                unavailable = closed.rcvd is not None and closed.rcvd.code == 1011
                stats.record(route, started, 503 if unavailable else "ws", repr(closed))
            except (httpx.TransportError, websockets.WebSocketException, OSError) as error:
                stats.record(route, started, "transport", repr(error))
            if stats.last_refused:  # honour Retry-After, briefly: the test is short
                stats.last_refused = False
                await asyncio.sleep(0.25)


def _cluster() -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return [version, "main"]


async def _fault(at_s: float, outage_s: float, marks: dict) -> None:
    await asyncio.sleep(at_s)
    marks["stopping"] = time.monotonic()
    stop = ["pg_ctlcluster", "--skip-systemctl-redirect", *_cluster(), "stop", "-m", "fast"]
    await asyncio.to_thread(subprocess.run, stop, check=True)
    marks["down"] = time.monotonic()
    await asyncio.sleep(outage_s)
    start = ["pg_ctlcluster", "--skip-systemctl-redirect", *_cluster(), "start"]
    await asyncio.to_thread(subprocess.run, start, check=True)
    marks["up"] = time.monotonic()


def _stored(url: str, ids: list[str]) -> dict[str, int]:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    for _ in range(30):  # the database may still be coming back
        try:
            with psycopg.connect(conninfo) as connection:
                rows = connection.execute(
                    "SELECT id, count(*) FROM optimization WHERE id = ANY(%s) GROUP BY id", (ids,)
                ).fetchall()
            return {row[0]: row[1] for row in rows}
        except psycopg.OperationalError:
            time.sleep(1)
    raise RuntimeError("the database did not come back")


def run(
    url: str,
    clients: int,
    duration_s: float,
    folder: Path,
    fault_at_s: float | None = None,
    outage_s: float = 5.0,
) -> dict:
    empty_postgres(url)
    upgrade(url)
    load_sample_prices(url, folder, assets=20)
    tickers = [
        f"{s}{i:02d}"
        for i, s in enumerate(["TEC", "FIN", "HEA", "ENE", "CON", "IND", "UTI"] * 3, 1)
    ][:20]
    stats, marks = Stats(), {}
    # Admission sized for this many clients (given to the server it starts, not to this
    # process's environment); anything refused beyond it is retried, as a well-behaved client
    # does with Retry-After, and counted apart from errors.
    limits = {
        "PFOPT_MAX_CONCURRENT_SOLVES": str(2 * clients),
        "PFOPT_MAX_JOBS_PER_OWNER": str(clients),
    }
    with serving(url, env=limits) as address:
        listed = httpx.get(f"http://{address}/api/tickers", timeout=30).json()
        tickers = [t["ticker"] for t in listed]

        async def go() -> None:
            deadline = time.monotonic() + duration_s
            work = [_client(k, address, tickers, deadline, stats) for k in range(clients)]
            if fault_at_s is not None:
                work.append(_fault(fault_at_s, outage_s, marks))
            await asyncio.gather(*work)

        started = time.monotonic()
        asyncio.run(go())
        elapsed = time.monotonic() - started
    stored = _stored(url, stats.acked)
    lost = [i for i in stats.acked if stored.get(i, 0) != 1]
    outage = (marks.get("stopping", 0.0), marks.get("up", 0.0) + RECOVERY_S)
    during = [t for t in stats.unavailable_at if outage[0] <= t <= outage[1]]
    outside = len(stats.unavailable_at) - len(during)
    if outside:
        stats.errors.append(f"{outside} x 503 outside the outage window")
    recovered = "up" not in marks or any(t > marks["up"] + 1 for t in stats.ok_after)
    total = sum(len(v) for v in stats.latencies.values())
    report = {
        "requests": total,
        "per_second": total / elapsed,
        "routes": {
            r: {
                "count": len(v),
                "p50_ms": float(np.percentile(v, 50)) if v else None,
                "p99_ms": float(np.percentile(v, 99)) if v else None,
            }
            for r, v in stats.latencies.items()
        },
        "errors": stats.errors,
        "unavailable_503": len(during),
        "backpressure": stats.backpressure,
        "acknowledged": len(stats.acked),
        "lost": lost,
        "recovered": recovered,
    }
    return report


def _inline(n: int, seed: int) -> dict:
    """An inline factor model of ``n`` assets (10 factors), capped weights: a real solve."""
    rng = np.random.default_rng(seed)
    return {
        "inline": {
            "tickers": [f"A{i}" for i in range(n)],
            "expected_returns": rng.uniform(0.02, 0.2, n).round(5).tolist(),
            "loadings": rng.normal(0, 0.3, (n, 10)).round(4).tolist(),
            "factor_covariance": (np.eye(10) * 0.02).tolist(),
            "specific_variance": rng.uniform(0.01, 0.09, n).round(5).tolist(),
        },
        "constraints": {"max_weight": 4.0 / n},
    }


def _summary(latencies: list[float]) -> dict:
    return {
        "count": len(latencies),
        "p50_ms": float(np.percentile(latencies, 50)) if latencies else None,
        "p99_ms": float(np.percentile(latencies, 99)) if latencies else None,
    }


TENANTS = ("light", "flood")


def flood(url: str, duration_s: float, folder: Path, flooders: int = 6) -> dict:
    """Two tenants on one server with the default limits: "light" sends small optimizations
    one after another; after ``duration_s / 3`` alone, "flood" joins with ``flooders`` clients
    sending large inline solves back to back (1500 assets, the heavy lane, and 800 assets, the
    light lane), retrying at once on 429/503. The light tenant's latency is measured over its
    successes, alone and beside the flood; any refusal of it is an error."""
    empty_postgres(url)
    upgrade(url)
    load_sample_prices(url, folder, assets=20)
    keys = {
        name: {"authorization": f"Bearer {create_key(url, name)}"} for name in ("light", "flood")
    }
    result: dict = {"alone": [], "beside": [], "flood": [], "flood_refused": 0, "errors": []}
    with serving(url) as address:
        tickers = [
            t["ticker"]
            for t in httpx.get(
                f"http://{address}/api/tickers", headers=keys["light"], timeout=30
            ).json()
        ]
        bodies = [_inline(1500, 1), _inline(800, 2)]

        async def light(until: float, flooding: asyncio.Event) -> None:
            rng = random.Random(7)
            async with httpx.AsyncClient(
                base_url=f"http://{address}", headers=keys["light"], timeout=60
            ) as http:
                while time.monotonic() < until:
                    body = {"tickers": rng.sample(tickers, 5)}
                    started = time.perf_counter()
                    r = await http.post("/api/optimize/portfolio", json=body)
                    ms = (time.perf_counter() - started) * 1000
                    if r.status_code == 200:
                        result["beside" if flooding.is_set() else "alone"].append(ms)
                    else:
                        result["errors"].append(f"light: {r.status_code} {r.text[:160]}")
                    await asyncio.sleep(0.02)

        async def flooder(k: int, until: float) -> None:
            async with httpx.AsyncClient(
                base_url=f"http://{address}", headers=keys["flood"], timeout=120
            ) as http:
                n = k
                while time.monotonic() < until:
                    n += 1
                    started = time.perf_counter()
                    r = await http.post("/api/optimize/portfolio", json=bodies[n % 2])
                    if r.status_code == 200:
                        result["flood"].append((time.perf_counter() - started) * 1000)
                    elif r.status_code in (429, 503) and r.headers.get("retry-after"):
                        result["flood_refused"] += 1
                        await asyncio.sleep(0.01)
                    else:
                        result["errors"].append(f"flood: {r.status_code} {r.text[:160]}")

        async def go() -> None:
            until = time.monotonic() + duration_s
            flooding = asyncio.Event()

            async def start_flood() -> None:
                await asyncio.sleep(duration_s / 3)
                flooding.set()
                await asyncio.gather(*(flooder(k, until) for k in range(flooders)))

            await asyncio.gather(light(until, flooding), start_flood())

        asyncio.run(go())
    return {
        "light_alone": _summary(result["alone"]),
        "light_beside_flood": _summary(result["beside"]),
        "flood": {**_summary(result["flood"]), "refused": result["flood_refused"]},
        "errors": result["errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("PFOPT_TEST_DATABASE_URL"))
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--fault-at", type=float, default=None)
    parser.add_argument("--outage", type=float, default=5.0)
    parser.add_argument(
        "--flood", action="store_true", help="two tenants: one floods, one sends light requests"
    )
    args = parser.parse_args()
    if not (args.database_url or "").startswith("postgresql"):
        parser.error("--database-url (or PFOPT_TEST_DATABASE_URL) must name a PostgreSQL database")
    import tempfile

    if args.flood:
        report = flood(args.database_url, args.duration, Path(tempfile.mkdtemp()))
        for name in ("light_alone", "light_beside_flood", "flood"):
            r = report[name]
            print(
                f"  {name:19s} {r['count']:6d} ok  p50 {r['p50_ms'] or 0:8.1f} ms"
                f"  p99 {r['p99_ms'] or 0:8.1f} ms"
            )
        p99 = report["light_beside_flood"]["p99_ms"] or float("inf")
        verdict = "met" if p99 <= 500 else "NOT met"
        print(f"flood refused {report['flood']['refused']} (429/503 with Retry-After)")
        print(f"light tenant p99 beside the flood {p99:.1f} ms (target <= 500 ms): {verdict}")
        print(f"errors {len(report['errors'])}")
        for line in report["errors"][:10]:
            print("  ", line)
        return

    report = run(
        args.database_url,
        args.clients,
        args.duration,
        Path(tempfile.mkdtemp()),
        args.fault_at,
        args.outage,
    )
    print(
        f"{report['requests']} requests answered in {args.duration:g} s by {args.clients} "
        f"clients: {report['per_second']:.1f} req/s (latencies over answered requests)"
    )
    for route, r in report["routes"].items():
        if r["count"]:
            print(
                f"  {route:15s} {r['count']:6d}  p50 {r['p50_ms']:8.1f} ms"
                f"  p99 {r['p99_ms']:8.1f} ms"
            )
    print(
        f"errors {len(report['errors'])}, 503 during the outage {report['unavailable_503']}, "
        f"acknowledged optimizations {report['acknowledged']}, lost {len(report['lost'])}, "
        f"recovered {report['recovered']}"
    )
    for line in report["errors"][:10]:
        print("  ", line)


if __name__ == "__main__":
    main()
