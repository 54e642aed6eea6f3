"""A stalled PostgreSQL (connections open, nothing answered) behind a real ``pfopt serve``:
requests and readiness answer 503 with Retry-After instead of hanging (they hung past 45 s, and
the pool's limit surfaced as 500s), liveness stays up, and the server recovers without a
restart when the database answers again."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import make_url

from adapters.migrations import upgrade
from tests.servers import load_sample_prices, serving
from tests.stall_proxy import StallProxy
from tests.storage import empty_postgres, postgres_url

ANSWERS_WITHIN_S = 30.0
"""Generous: the point is an answer at all (503), not its speed; the deadline itself is 5 s."""


def test_a_stalled_database_is_a_503_and_the_server_recovers(tmp_path) -> None:
    url = postgres_url()
    empty_postgres(url)
    upgrade(url)
    load_sample_prices(url, tmp_path, assets=6)
    parsed = make_url(url)
    proxy = StallProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
    proxied = parsed.set(port=proxy.port).render_as_string(hide_password=False)
    try:
        with serving(proxied) as address:
            base = f"http://{address}"
            solve = {"tickers": ["TEC01", "FIN02", "HEA03"]}  # loaded in a worker thread
            assert httpx.get(f"{base}/api/tickers", timeout=30).status_code == 200
            for _ in range(2):  # pooled connections of the worker threads' engine, too
                ok = httpx.post(f"{base}/api/optimize/portfolio", json=solve, timeout=30)
                assert ok.status_code == 200, ok.text
            proxy.stall()
            calls = [("GET", "/api/tickers", None)] * 20 + [
                ("POST", "/api/optimize/portfolio", solve),
                ("POST", "/api/optimize/portfolio", solve),
                ("GET", "/api/optimizations", None),
                ("POST", "/api/portfolios", {"name": "during", "tickers": solve["tickers"]}),
                ("GET", "/health", None),
            ]

            def call(method: str, path: str, body: dict | None) -> httpx.Response:
                return httpx.request(method, base + path, json=body, timeout=ANSWERS_WITHIN_S)

            with ThreadPoolExecutor(len(calls)) as pool:
                answers = list(pool.map(lambda c: call(*c), calls))
            assert [a.status_code for a in answers] == [503] * len(calls), [
                (a.status_code, a.text[:200]) for a in answers if a.status_code != 503
            ]
            assert all(a.headers.get("retry-after") for a in answers)
            assert all(a.json()["field"] == "database" for a in answers)
            assert "did not answer within 2 s" in answers[-1].json()["detail"]
            assert httpx.get(f"{base}/health/live", timeout=5).json()["status"] == "ok"

            proxy.resume()
            until = time.monotonic() + 60
            while httpx.get(f"{base}/api/tickers", timeout=ANSWERS_WITHIN_S).status_code != 200:
                assert time.monotonic() < until, "no recovery within 60 s of the database"
                time.sleep(0.5)
            assert httpx.get(f"{base}/health/ready", timeout=10).status_code == 200
    finally:
        proxy.close()
